from django.core.management.base import BaseCommand, CommandError

from oegd.core.models import Office
from oegd.infection.pull import PullFailed, pull_notifications


class Command(BaseCommand):
    help = "Fetch new notifications from a DEMIS FHIR storage (resumes at the stored checkpoint)."

    def add_arguments(self, parser):
        parser.add_argument("--source", required=True, help="Base URL of the FHIR storage, e.g. https://host/fhir")
        parser.add_argument("--office", required=True, help="Slug of the receiving office.")
        parser.add_argument("--page-size", type=int, default=200)
        parser.add_argument("--max-pages", type=int, default=None)

    def handle(self, *args, source: str, office: str, page_size: int, max_pages: int | None, **options):
        target = Office.objects.filter(slug=office, is_active=True).first()
        if target is None:
            raise CommandError(f"No active office with slug '{office}'.")
        try:
            report = pull_notifications(source_url=source, office=target, page_size=page_size, max_pages=max_pages)
        except PullFailed as exc:
            raise CommandError(f"Pull stopped, checkpoint kept: {exc}") from exc
        self.stdout.write(
            f"{report.pages} pages, {report.received} bundles: {report.created} new, {report.existing} known, "
            f"{report.refused} refused, {report.retries} retries; checkpoint {report.checkpoint or '-'}"
        )
