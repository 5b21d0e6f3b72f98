import time

from django.core.management.base import BaseCommand, CommandError

from oegd.core.audit import SystemActor
from oegd.core.services import DomainError
from oegd.directory.services import import_rki_plz


class Command(BaseCommand):
    help = "Import the RKI PLZ-Tool directory of health offices (TransmittingSiteSearchText.xml); idempotent."

    def add_arguments(self, parser):
        parser.add_argument("path", help="Path of the XML file (release 2.8.0 still carries postal codes).")

    def handle(self, *args, path: str, **options):
        started = time.perf_counter()
        try:
            result = import_rki_plz(path=path, actor=SystemActor("manage.py import_rki_plz"))
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"authorities: {result.authorities} ({result.created} new, {result.updated} changed)\n"
            f"postal codes: {result.postal_codes}\n"
            f"shared postal codes: {result.shared_postal_codes}\n"
            f"places: {result.places}\n"
            f"authorities with changed postal codes or places: {result.entries_replaced}\n"
            f"imported in {elapsed:.1f} s"
        )
        if result.postal_codes == 0:
            self.stderr.write("The file has no postal codes: use the release-2.8.0 file for routing.")
