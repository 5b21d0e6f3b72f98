"""Transfer every case of an office that meets its reference definition and was not transferred
yet, or changed since its last transfer (Übermittlung nach § 11 IfSG, batch run)."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from oegd.core.audit import SystemActor
from oegd.core.models import Office
from oegd.infection import transfers
from oegd.infection.models import Transfer


class Command(BaseCommand):
    help = "Transfer due infection cases of an office to the state authority (SurvNet outbox)."

    def add_arguments(self, parser):
        parser.add_argument("--office", required=True, help="slug of the office")
        parser.add_argument("--since", help="only cases changed on or after this date (YYYY-MM-DD)")
        parser.add_argument("--format", default=Transfer.Format.SURVNET, choices=Transfer.Format.values)

    def handle(self, *args, **options):
        office = Office.objects.filter(slug=options["office"]).first()
        if office is None:
            raise CommandError(f"No office with the slug {options['office']!r}.")
        since = None
        if options.get("since"):
            try:
                since = date.fromisoformat(options["since"])
            except ValueError as exc:
                raise CommandError("--since must be a date like 2026-01-31.") from exc
        actor = SystemActor("transfer_cases")
        sent = refused = 0
        for case in transfers.cases_due_for_transfer(office=office, since=since, format=options["format"]):
            try:
                transfer = transfers.transfer_case(actor=actor, infection_case=case, format=options["format"])
            except transfers.TransferRefused as exc:
                refused += 1
                self.stderr.write(f"{case.reference}: {exc.message}")
            else:
                sent += 1
                self.stdout.write(f"{case.reference}: version {transfer.version}")
        self.stdout.write(self.style.SUCCESS(f"{sent} transferred, {refused} refused."))
