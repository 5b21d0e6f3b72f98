from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from oegd.core.models import Office
from oegd.demo.casework import load_sample_requests
from oegd.demo.data import DEMO_PASSWORD, USERS, load_demo, totp_secret_base32
from oegd.demo.infection import load_infection


class Command(BaseCommand):
    help = "Load the demo state Musterland (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        if settings.PRODUCTION and not settings.TESTING:
            raise CommandError("The demo data set is not loaded in production mode.")
        tokens = load_demo()
        load_sample_requests()  # work waiting in the worklists (not part of the test fixture)
        load_infection({office.slug: office for office in Office.objects.all()})  # DEMIS inbox, an outbreak
        out = self.stdout.write
        out("")
        out("Demo of the ÖGD platform – fictional state Musterland, http://127.0.0.1:8000")
        out(f"All demo users have the password: {DEMO_PASSWORD}")
        out("")
        for person in USERS:
            role = f"{person.role.label} – {person.office}" if person.role else person.kind.label
            out(f"  {person.email:<42} {role}")
            if person.role:
                out(
                    f"  {'':<42} TOTP key {totp_secret_base32(person.email)}"
                    f"  (current code: manage.py demo_totp {person.email})"
                )
        out("")
        out(f"Staff log in at /login/ then /staff/; API token (all scopes, shown once): {tokens.office}")
        out(f"API token of the school (scope forms, §34 notifications via FHIR or REST): {tokens.school}")
        out("")
