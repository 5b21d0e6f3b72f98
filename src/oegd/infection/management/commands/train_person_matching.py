"""Retrain the person matching weights (m/u per comparison level) with splink on the synthetic person set."""

from django.core.management.base import BaseCommand

from oegd.infection.matching import WEIGHTS_FILE, records_of_synthetic, save_match_weights, train_match_weights
from oegd.infection.synthetic_persons import synthetic_persons


class Command(BaseCommand):
    help = "Train the person matching model with splink on the synthetic person set and write match_weights.json."

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=int, default=20_000, help="Size of the synthetic set (default 20000).")
        parser.add_argument("--seed", type=int, default=7, help="Seed of the synthetic set (default 7).")
        parser.add_argument("--dry-run", action="store_true", help="Print the weights instead of writing them.")

    def handle(self, *args, persons: int, seed: int, dry_run: bool, **options):
        dataset = synthetic_persons(persons, seed=seed)
        weights = train_match_weights(records_of_synthetic(dataset.records))
        weights["trained_on"] = {"synthetic_persons": persons, "seed": seed}
        if dry_run:
            import json

            self.stdout.write(json.dumps(weights, indent=2, sort_keys=True))
            return
        save_match_weights(weights)
        self.stdout.write(f"Wrote {WEIGHTS_FILE}.")
