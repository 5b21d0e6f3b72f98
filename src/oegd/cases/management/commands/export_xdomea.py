"""Write the xdomea 3.0.0 package (Aussonderung.Aussonderung.0503) of a closed case to a file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from oegd.cases.export import ExportRefused, export_package
from oegd.cases.models import Case
from oegd.core.audit import SystemActor


class Command(BaseCommand):
    help = "Export a closed case file as an xdomea 3.0.0 message (zip with the message and its documents)."

    def add_arguments(self, parser):
        parser.add_argument("--reference", required=True, help="Reference of the case, e.g. K7QM-4X2D-R.")
        parser.add_argument("--out", required=True, help="The zip file to write.")

    def handle(self, *args, reference: str, out: str, **options):
        case = Case.objects.select_related("office", "type_version", "subject").filter(reference=reference).first()
        if case is None:
            raise CommandError(f"No case with the reference {reference}.")
        target = Path(out)
        if not target.parent.is_dir():
            raise CommandError(f"The folder {target.parent} does not exist.")
        try:
            name, package = export_package(actor=SystemActor("export_xdomea"), case=case)
        except ExportRefused as exc:
            raise CommandError(exc.message) from exc
        target.write_bytes(package)
        self.stdout.write(f"Wrote {target} ({len(package)} bytes; message {name}).")
