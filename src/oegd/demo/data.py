"""The demo data set: the fictional state of Musterland with two health offices.

Everything here is invented. Loading is idempotent: running it again changes nothing but
the demo API token, which is re-issued because only its hash is stored.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from oegd.core.audit import SystemActor
from oegd.core.models import ApiClient, CitizenProfile, Department, Membership, Office, Role, User
from oegd.core.services import create_api_client
from oegd.directory.models import HealthAuthority, Institution, ResponsibilityEntry
from oegd.directory.rki_plz import normalize_text

DEMO_PASSWORD = "demo-Musterland-2026"  # noqa: S105 - printed on purpose, demo only
ACTOR = SystemActor("demo loader")

OFFICES = [
    {
        "slug": "musterstadt",
        "name": "Gesundheitsamt Musterstadt",
        "rki_code": "9.99.0.01.",
        "street": "Hygieneplatz 1",
        "postal_code": "12345",
        "place": "Musterstadt",
        "email": "gesundheitsamt@musterstadt.example",
        "phone": "01234 567-0",
        "departments": ["Infektionsschutz", "Kinder- und Jugendgesundheit", "Hygiene"],
        "postal_codes": ["12340", "12341", "12342", "12343", "12344", "12345"],
        "places": ["Musterstadt", "Altstadt", "Neustadt", "Am Hafen"],
    },
    {
        "slug": "beispielkreis",
        "name": "Gesundheitsamt Landkreis Beispielkreis",
        "rki_code": "9.99.0.02.",
        "street": "Kreishausweg 7",
        "postal_code": "12350",
        "place": "Beispielheim",
        "email": "gesundheitsamt@beispielkreis.example",
        "phone": "01234 890-0",
        "departments": ["Infektionsschutz", "Sozialpsychiatrischer Dienst"],
        # 12345 is shared: Musterstadt itself belongs to the city, Vorwerk to the district.
        "postal_codes": ["12345", "12350", "12351", "12352", "12353"],
        "places": ["Beispielheim", "Vorwerk", "Kleindorf", "Großwiese"],
    },
]


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    kind: str
    office: str | None = None
    role: str | None = None


USERS = [
    DemoUser("landesadmin@musterland.example", "Lena Landesadmin", User.Kind.STAFF, "musterstadt", Role.STATE_ADMIN),
    DemoUser("admin@musterstadt.example", "Anna Amtsleitung", User.Kind.STAFF, "musterstadt", Role.OFFICE_ADMIN),
    DemoUser("aerztin@musterstadt.example", "Dr. Petra Praxis", User.Kind.STAFF, "musterstadt", Role.PHYSICIAN),
    DemoUser("fachkraft@musterstadt.example", "Sven Sozial", User.Kind.STAFF, "musterstadt", Role.SPECIALIST),
    DemoUser("sachbearbeitung@musterstadt.example", "Carla Clerk", User.Kind.STAFF, "musterstadt", Role.CLERK),
    DemoUser(
        "datenschutz@musterstadt.example",
        "Dieter Datenschutz",
        User.Kind.STAFF,
        "musterstadt",
        Role.DATA_PROTECTION_OFFICER,
    ),
    DemoUser("auswertung@musterstadt.example", "Rita Report", User.Kind.STAFF, "musterstadt", Role.REPORTING_ANALYST),
    DemoUser("admin@beispielkreis.example", "Bernd Beispiel", User.Kind.STAFF, "beispielkreis", Role.OFFICE_ADMIN),
    DemoUser("buerger@example.org", "Mia Muster", User.Kind.CITIZEN),
    DemoUser("schule@grundschule-musterstadt.example", "Grundschule am Park", User.Kind.INSTITUTION),
]


def demo_totp_key(email: str) -> str:
    """A fixed TOTP key per demo user, so an authenticator app set up once keeps working."""
    return hashlib.sha256(f"oegd-demo-totp:{email}".encode()).hexdigest()[:40]


def totp_secret_base32(email: str) -> str:
    return base64.b32encode(bytes.fromhex(demo_totp_key(email))).decode()


@transaction.atomic
def load_demo() -> str:
    """Create or refresh the demo state; return a fresh API token with all scopes."""
    offices = {}
    for spec in OFFICES:
        office, _ = Office.objects.update_or_create(
            slug=spec["slug"],
            defaults={
                key: spec[key] for key in ("name", "rki_code", "street", "postal_code", "place", "email", "phone")
            },
        )
        offices[office.slug] = office
        for department in spec["departments"]:
            Department.objects.get_or_create(office=office, name=department)
        authority, _ = HealthAuthority.objects.update_or_create(
            code=spec["rki_code"],
            defaults={
                "name": spec["name"],
                "department": spec["departments"][0],
                "street": spec["street"],
                "postal_code": spec["postal_code"],
                "place": spec["place"],
                "phone": spec["phone"],
                "email": spec["email"],
            },
        )
        for kind, values in (
            (ResponsibilityEntry.Kind.POSTAL_CODE, spec["postal_codes"]),
            (ResponsibilityEntry.Kind.PLACE, spec["places"]),
        ):
            for value in values:
                ResponsibilityEntry.objects.get_or_create(
                    authority=authority, kind=kind, value=value, defaults={"normalized": normalize_text(value)}
                )

    for person in USERS:
        user, created = User.objects.get_or_create(
            email=person.email,
            defaults={"full_name": person.name, "kind": person.kind, "email_verified_at": timezone.now()},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        if person.kind == User.Kind.STAFF:
            Membership.objects.get_or_create(user=user, office=offices[person.office], role=person.role)
            TOTPDevice.objects.update_or_create(
                user=user, name="demo authenticator", defaults={"key": demo_totp_key(person.email), "confirmed": True}
            )
        if person.kind == User.Kind.CITIZEN:
            CitizenProfile.objects.get_or_create(user=user, defaults={"postal_code": "12345", "place": "Musterstadt"})
        if person.kind == User.Kind.INSTITUTION:
            school, _ = Institution.objects.get_or_create(
                office=offices["musterstadt"],
                name="Grundschule am Park",
                defaults={
                    "kind": Institution.Kind.SCHOOL,
                    "street": "Parkweg 3",
                    "postal_code": "12341",
                    "place": "Musterstadt",
                    "email": person.email,
                },
            )
            school.members.add(user)
    # The second office's admin also works for the first one (office switcher).
    Membership.objects.get_or_create(
        user=User.objects.get(email="admin@beispielkreis.example"), office=offices["musterstadt"], role=Role.CLERK
    )

    ApiClient.objects.filter(office=offices["musterstadt"], name="Demo-Schnittstelle").delete()
    _client, token = create_api_client(
        actor=ACTOR, office=offices["musterstadt"], name="Demo-Schnittstelle", scopes=list(ApiClient.Scope.values)
    )
    return token
