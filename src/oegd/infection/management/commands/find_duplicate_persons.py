"""Search an office's persons for duplicates with splink and put new pairs into the review queue."""

from django.core.management.base import BaseCommand, CommandError

from oegd.core.models import Office
from oegd.infection.matching import find_duplicates


class Command(BaseCommand):
    help = "Batch duplicate search (splink) over the persons of an office; new pairs go to the review queue."

    def add_arguments(self, parser):
        parser.add_argument("--office", required=True, help="Slug of the office.")

    def handle(self, *args, office: str, **options):
        found = Office.objects.filter(slug=office).first()
        if found is None:
            raise CommandError(f"No office with the slug {office}.")
        created = find_duplicates(found)
        self.stdout.write(f"{created} new possible duplicates in the review queue of {found.slug}.")
