from django.core.management.base import BaseCommand, CommandError

from oegd.core.audit import SystemActor
from oegd.core.models import ApiClient, Office
from oegd.core.services import DomainError, create_api_client


class Command(BaseCommand):
    help = "Register an API client for an office and print its token once (it is stored hashed)."

    def add_arguments(self, parser):
        parser.add_argument("--office", required=True, help="Slug of the office.")
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--scopes", nargs="+", required=True, help=f"Any of: {', '.join(ApiClient.Scope.values)}, or 'all'."
        )
        parser.add_argument("--institution", type=int, help="Id of the institution the token acts for.")

    def handle(self, *args, office: str, name: str, scopes: list[str], institution: int | None = None, **options):
        from oegd.directory.models import Institution

        target = Office.objects.filter(slug=office).first()
        if target is None:
            raise CommandError(f"No office with slug '{office}'.")
        acting_for = None
        if institution is not None:
            acting_for = Institution.objects.filter(pk=institution, office=target).first()
            if acting_for is None:
                raise CommandError(f"No institution {institution} in office '{office}'.")
        if scopes == ["all"]:
            scopes = list(ApiClient.Scope.values)
        try:
            client, token = create_api_client(
                actor=SystemActor("manage.py create_api_client"),
                office=target,
                name=name,
                scopes=scopes,
                institution=acting_for,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"API client {client.name} ({target.slug}), scopes: {' '.join(client.scopes)}")
        self.stdout.write(f"Token (shown once): {token}")
