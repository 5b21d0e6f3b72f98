from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from oegd.core.audit import SystemActor
from oegd.core.models import Office
from oegd.infection.ingestion import ingest_demis_bundles
from oegd.infection.models import Notification


class Command(BaseCommand):
    help = "Ingest DEMIS notification bundles from JSON files (a folder or single files) for an office."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="JSON files or folders holding them.")
        parser.add_argument("--office", required=True, help="Slug of the receiving office.")
        parser.add_argument("--batch", type=int, default=500)

    def handle(self, *args, paths: list[str], office: str, batch: int, **options):
        target = Office.objects.filter(slug=office, is_active=True).first()
        if target is None:
            raise CommandError(f"No active office with slug '{office}'.")
        files: list[Path] = []
        for name in paths:
            path = Path(name)
            files.extend(sorted(path.glob("*.json")) if path.is_dir() else [path])
        created = existing = refused = 0
        for start in range(0, len(files), batch):
            chunk = files[start : start + batch]
            result = ingest_demis_bundles(
                receiving_office=target,
                raws=[path.read_bytes() for path in chunk],
                source=Notification.Source.PUSH,
                actor=SystemActor("manage.py ingest_demis_files"),
            )
            created, existing = created + len(result.created), existing + len(result.existing)
            refused += len(result.refused)
            for index, refusal in result.refused:
                self.stderr.write(f"{chunk[index].name}: {refusal.message}")
        self.stdout.write(f"{len(files)} files: {created} new, {existing} known, {refused} refused")
