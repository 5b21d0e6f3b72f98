"""The demo data set: the fictional state of Musterland with two health offices.

Everything here is invented. Loading is idempotent: running it again changes nothing but
the demo API token, which is re-issued because only its hash is stored.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from oegd.core.audit import SystemActor
from oegd.core.models import ApiClient, CitizenProfile, Department, Membership, Office, Role, User
from oegd.core.names import fold_text
from oegd.core.services import create_api_client
from oegd.demo.appointments import load_appointments
from oegd.demo.casework import load_casework
from oegd.demo.messaging import load_messaging
from oegd.directory.models import HealthAuthority, Institution, ResponsibilityEntry
from oegd.forms.models import FormDefinition, FormVersion, Service, ServiceOffer

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
    DemoUser("technik@stadtbad-musterstadt.example", "Stadtbad Musterstadt", User.Kind.INSTITUTION),
]

# The demo institutions and who works for them.
INSTITUTIONS = [
    {
        "member": "schule@grundschule-musterstadt.example",
        "name": "Grundschule am Park",
        "kind": Institution.Kind.SCHOOL,
        "street": "Parkweg 3",
        "postal_code": "12341",
        "place": "Musterstadt",
    },
    {
        "member": "technik@stadtbad-musterstadt.example",
        "name": "Stadtbad Musterstadt",
        "kind": Institution.Kind.POOL,
        "street": "Am Hafen 12",
        "postal_code": "12344",
        "place": "Musterstadt",
    },
]
QUESTIONNAIRES = Path(__file__).resolve().parent / "questionnaires"


def demo_totp_key(email: str) -> str:
    """A fixed TOTP key per demo user, so an authenticator app set up once keeps working."""
    return hashlib.sha256(f"oegd-demo-totp:{email}".encode()).hexdigest()[:40]


def totp_secret_base32(email: str) -> str:
    return base64.b32encode(bytes.fromhex(demo_totp_key(email))).decode()


@transaction.atomic
def load_demo() -> DemoTokens:
    """Create or refresh the demo state; return fresh API tokens (the office's, the school's)."""
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
                    authority=authority, kind=kind, value=value, defaults={"normalized": fold_text(value)}
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
    institutions = {}
    for spec in INSTITUTIONS:
        institution, _ = Institution.objects.get_or_create(
            office=offices["musterstadt"],
            name=spec["name"],
            defaults={key: spec[key] for key in ("kind", "street", "postal_code", "place")} | {"email": spec["member"]},
        )
        institution.members.add(User.objects.get(email=spec["member"]))
        institutions[institution.kind] = institution
    # The second office's admin also works for the first one (office switcher).
    Membership.objects.get_or_create(
        user=User.objects.get(email="admin@beispielkreis.example"), office=offices["musterstadt"], role=Role.CLERK
    )

    load_online_services(list(offices.values()))
    load_appointments(offices)
    load_casework(offices)
    load_messaging(offices)

    ApiClient.objects.filter(office=offices["musterstadt"], name__in=["Demo-Schnittstelle", "Schulverwaltung"]).delete()
    _client, token = create_api_client(
        actor=ACTOR, office=offices["musterstadt"], name="Demo-Schnittstelle", scopes=list(ApiClient.Scope.values)
    )
    _client, school_token = create_api_client(
        actor=ACTOR,
        office=offices["musterstadt"],
        name="Schulverwaltung",
        scopes=[ApiClient.Scope.FORMS],
        institution=institutions[Institution.Kind.SCHOOL],
    )
    return DemoTokens(office=token, school=school_token)


@dataclass(frozen=True)
class DemoTokens:
    office: str  # all scopes, for the office's own systems
    school: str  # scope forms, acting for the demo school (§34 notifications by API)


def load_online_services(offices: list[Office]) -> list[Service]:
    """The demo forms as published version 1 and their services, switched on in every office.

    A form already published stays as it is (an admin may have published newer versions).
    """
    from oegd.demo.services import SERVICES

    loaded = []
    for spec in SERVICES:
        resource = json.loads((QUESTIONNAIRES / f"{spec['form']}.json").read_text(encoding="utf-8"))
        form, _ = FormDefinition.objects.get_or_create(
            slug=spec["form"], defaults={"url": resource["url"], "title": resource.get("title", spec["form"])}
        )
        if not form.versions.exists():
            FormVersion.objects.create(
                form=form, version=1, status=FormVersion.Status.ACTIVE, resource=resource, published_at=timezone.now()
            )
        fields = {key: spec[key] for key in (*Service.SETTINGS_FIELDS, "texts")}
        service, _ = Service.objects.update_or_create(slug=spec["slug"], defaults={**fields, "form": form})
        for office in offices:
            ServiceOffer.objects.get_or_create(service=service, office=office, defaults={"is_active": True})
        loaded.append(service)
    return loaded
