from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp

from oegd.demo.data import demo_totp_key


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo staff user (demo only)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options):
        if settings.PRODUCTION:
            raise CommandError("Not available in production mode.")
        self.stdout.write(f"{totp(bytes.fromhex(demo_totp_key(email))):06d}")
