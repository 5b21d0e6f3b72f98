"""Factories and the test cast: per office an admin, a case worker, a physician, a DPO; a
citizen, an institution user, and a stranger from the other office."""

from __future__ import annotations

import factory
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from oegd.core.models import Membership, Office, Role, User

PASSWORD = "correct horse battery staple"


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Office
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"office-{n}")
    name = factory.LazyAttribute(lambda o: f"Gesundheitsamt {o.slug.title()}")
    postal_code = "12345"
    place = "Musterstadt"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    kind = User.Kind.CITIZEN
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def staff(office: Office, role: str, **kwargs) -> User:
    user = UserFactory(kind=User.Kind.STAFF, **kwargs)
    Membership.objects.get_or_create(user=user, office=office, role=role)
    return user


def totp_device(user: User) -> TOTPDevice:
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="authenticator", defaults={"confirmed": True})
    return device


def login_staff(client, user: User, office: Office | None = None) -> None:
    """Log a staff member in as after password and TOTP."""
    from django_otp import DEVICE_ID_SESSION_KEY

    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    if office is not None:
        session["oegd_office"] = office.pk
    session.save()


class Cast:
    def __init__(self) -> None:
        self.office_a = OfficeFactory(slug="musterstadt", name="Gesundheitsamt Musterstadt")
        self.office_b = OfficeFactory(slug="beispielkreis", name="Gesundheitsamt Beispielkreis")
        self.admin_a = staff(self.office_a, Role.OFFICE_ADMIN, email="alice@musterstadt.example")
        self.clerk_a = staff(self.office_a, Role.CLERK, email="carl@musterstadt.example")
        self.physician_a = staff(self.office_a, Role.PHYSICIAN, email="paula@musterstadt.example")
        self.dpo_a = staff(self.office_a, Role.DATA_PROTECTION_OFFICER, email="dora@musterstadt.example")
        self.admin_b = staff(self.office_b, Role.OFFICE_ADMIN, email="bob@beispielkreis.example")
        self.clerk_b = staff(self.office_b, Role.CLERK, email="bert@beispielkreis.example")
        self.citizen = UserFactory(email="clara@example.org", full_name="Clara Citizen")
        self.institution_user = UserFactory(email="school@example.org", kind=User.Kind.INSTITUTION)
