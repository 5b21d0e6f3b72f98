"""Linking a youth's own account to the parent's record, and what stays private from the parent:
confidential conversations and confidential appointments."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache

from oegd.appointments.models import Appointment
from oegd.appointments.tests import factories as appointment_factories
from oegd.core.models import AuditEvent
from oegd.core.tests.factories import UserFactory
from oegd.portal import services
from oegd.portal.models import Dependant
from oegd.portal.tests.conftest import born_years_ago, youth_thread

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
CODE = re.compile(r"<strong>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})</strong>")


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def youth(family):
    """Finn, 14, with his own account that is not linked yet."""
    account = UserFactory(email="finn@example.org", full_name="Finn Citizen")
    finn = Dependant.objects.create(
        guardian=family.parent, given_name="Finn", family_name="Citizen", birth_date=born_years_ago(14)
    )
    return finn, account


def _code_from_family_page(client, dependant) -> str:
    response = client.post(f"/my/family/{dependant.pk}/link-code/", **EN)
    assert response.status_code == 200
    found = CODE.search(response.content.decode())
    assert found, response.content.decode()
    return found.group(1)


def test_parent_creates_a_code_shown_once_and_the_youth_links(client, family, youth):
    finn, account = youth
    client.force_login(family.parent)
    code = _code_from_family_page(client, finn)
    finn.refresh_from_db()
    assert finn.link_code_hash and code.replace("-", "") not in finn.link_code_hash
    assert finn.link_code_expires_at - datetime.now(UTC) > timedelta(days=6, hours=23)
    assert code not in client.get("/my/family/", **EN).content.decode()  # shown once
    assert AuditEvent.objects.filter(action="dependant.link_code", actor=family.parent).exists()

    client.force_login(account)
    assert client.get("/my/family/link/", **EN).status_code == 200
    response = client.post("/my/family/link/", {"code": code.lower()}, **EN)
    assert response.status_code == 302 and response["Location"] == "/my/"
    finn.refresh_from_db()
    assert finn.account == account and finn.link_code_hash == "" and finn.link_code_expires_at is None
    event = AuditEvent.objects.get(action="dependant.link_account")
    assert event.actor == account and event.object_id == str(finn.pk)

    # The code works once.
    other = UserFactory(email="other@example.org")
    client.force_login(other)
    response = client.post("/my/family/link/", {"code": code}, **EN)
    assert response.status_code == 400
    assert "This code is not valid." in response.content.decode()
    assert not Dependant.objects.filter(account=other).exists()


def test_no_code_for_a_child_already_linked(client, family):
    client.force_login(family.parent)
    response = client.post(f"/my/family/{family.mia.pk}/link-code/", **EN)
    assert response.status_code == 400
    assert "own account is already linked" in response.content.decode()
    family.mia.refresh_from_db()
    assert family.mia.link_code_hash == ""
    # Someone else's child is not found.
    client.force_login(UserFactory(email="someone@example.org"))
    assert client.post(f"/my/family/{family.mia.pk}/link-code/", **EN).status_code == 404


def test_wrong_and_expired_codes_get_the_same_answer(client, family, youth):
    finn, account = youth
    code = services.create_link_code(guardian=family.parent, dependant=finn)
    client.force_login(account)
    wrong = client.post("/my/family/link/", {"code": "0000-0000-0000"}, **EN)
    malformed = client.post("/my/family/link/", {"code": "abc"}, **EN)
    with time_machine.travel(datetime.now(UTC) + timedelta(days=7, minutes=1)):
        client.force_login(account)  # the session has expired too
        expired = client.post("/my/family/link/", {"code": code}, **EN)
    for response in (wrong, malformed, expired):
        assert response.status_code == 400
        assert "This code is not valid. Check it, or ask your parent for a new one." in response.content.decode()
    finn.refresh_from_db()
    assert finn.account is None
    assert AuditEvent.objects.filter(action="dependant.link_refused", actor=account).count() == 3


def test_five_wrong_codes_lock_the_account_for_an_hour(client, family, youth):
    finn, account = youth
    code = services.create_link_code(guardian=family.parent, dependant=finn)
    client.force_login(account)
    for _attempt in range(5):
        assert client.post("/my/family/link/", {"code": "ZZZZ-ZZZZ-ZZZZ"}, **EN).status_code == 400
    locked = client.post("/my/family/link/", {"code": code}, **EN)
    assert locked.status_code == 400
    assert "Too many wrong codes. Please try again in an hour." in locked.content.decode()
    finn.refresh_from_db()
    assert finn.account is None


def test_the_guardian_cannot_use_their_own_code(client, family, youth):
    finn, _account = youth
    code = services.create_link_code(guardian=family.parent, dependant=finn)
    client.force_login(family.parent)
    response = client.post("/my/family/link/", {"code": code}, **EN)
    assert response.status_code == 400 and "This code is for your child." in response.content.decode()
    finn.refresh_from_db()
    assert finn.account is None and finn.link_code_hash


def test_a_youth_linked_to_another_record_of_the_same_parent_is_refused(client, family, youth):
    finn, _account = youth
    code = services.create_link_code(guardian=family.parent, dependant=finn)
    client.force_login(family.mia.account)  # already Mia's record of the same parent
    response = client.post("/my/family/link/", {"code": code}, **EN)
    assert response.status_code == 400
    assert "already linked to another child of this parent" in response.content.decode()
    finn.refresh_from_db()
    assert finn.account is None


def test_new_routes_need_a_citizen(client, family, youth):
    finn, _account = youth
    assert client.get("/my/family/link/")["Location"].startswith("/login/")
    assert client.post(f"/my/family/{finn.pk}/link-code/")["Location"].startswith("/login/")
    client.force_login(family.cast.clerk_a)
    assert client.get("/my/family/link/").status_code == 302
    assert client.post(f"/my/family/{finn.pk}/link-code/").status_code == 302
    finn.refresh_from_db()
    assert finn.link_code_hash == ""
    client.force_login(family.parent)
    assert client.get(f"/my/family/{finn.pk}/link-code/").status_code == 405


def _row(page: str, name: str) -> str:
    """The table row of the family page that names ``name``."""
    return next(row for row in page.split("<tr>") if name in row).split("</tr>")[0]


def _appointment(office, citizen, *, confidential: bool, name: str) -> Appointment:
    place = appointment_factories.location(office=office)
    kind = appointment_factories.appointment_type(place, slug=name.lower())
    start = datetime.now(UTC) + timedelta(days=3)
    return Appointment.objects.create(
        office=office,
        appointment_type=kind,
        start=start,
        end=start + timedelta(minutes=30),
        citizen=citizen,
        name=name,
        email=citizen.email,
        language="en",
        manage_token_hash=name,
        confidential=confidential,
    )


def test_after_linking_the_parent_sees_only_what_is_not_confidential(client, family, youth):
    finn, account = youth
    code = services.create_link_code(guardian=family.parent, dependant=finn)
    services.link_youth_account(youth=account, code=code)
    youth_thread(family, account, subject="Sportattest")
    youth_thread(family, account, subject="Verhütung", confidential=True)
    open_one = _appointment(family.cast.office_a, account, confidential=False, name="Open")
    secret = _appointment(family.cast.office_a, account, confidential=True, name="Secret")
    Appointment.objects.filter(pk=secret.pk).update(start=open_one.start + timedelta(days=1))
    # Ole (16) has an appointment of his own: the parent sees none from 16.
    _appointment(family.cast.office_a, family.ole.account, confidential=False, name="Older")

    client.force_login(family.parent)
    listing = client.get("/my/messages/", **EN).content.decode()
    assert "Sportattest" in listing and "Verhütung" not in listing

    page = client.get("/my/family/", **EN).content.decode()
    assert _row(page, "Finn Citizen").count("<li>") == 1  # the open appointment only
    assert "<li>" not in _row(page, "Ole Citizen")


BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2030, 3, 4, 8, 0, tzinfo=BERLIN)  # a Monday without public holidays that week
TUESDAY_TEN = datetime(2030, 3, 5, 10, 0, tzinfo=BERLIN)


@pytest.fixture
def bookable(cast):
    with time_machine.travel(NOW, tick=False):
        place = appointment_factories.location(office=cast.office_a)
        appointment_factories.staff_resource(place)
        yield appointment_factories.appointment_type(place)


def _book_path(kind) -> str:
    return f"/appointments/book/{kind.pk}/{TUESDAY_TEN.astimezone(UTC):%Y%m%dT%H%M}/"


def test_only_a_linked_youth_is_offered_the_private_checkbox(
    client, cast, bookable, django_capture_on_commit_callbacks
):
    teen = UserFactory(email="teen@example.org", full_name="Tea Teen")
    Dependant.objects.create(
        guardian=cast.citizen, given_name="Tea", family_name="Teen", birth_date=date(2016, 1, 1), account=teen
    )
    label = "Keep this appointment private from my parents"
    client.force_login(cast.citizen)
    assert label not in client.get(_book_path(bookable), **EN).content.decode()
    client.logout()
    assert label not in client.get(_book_path(bookable), **EN).content.decode()

    client.force_login(teen)
    assert label in client.get(_book_path(bookable), **EN).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _book_path(bookable), {"name": "Tea Teen", "email": "teen@example.org", "confidential": "on"}, **EN
        )
    assert response.status_code == 302, response.content.decode()
    appointment = Appointment.objects.get(citizen=teen)
    assert appointment.confidential is True

    client.force_login(cast.citizen)
    family_page = client.get("/my/family/", **EN).content.decode()
    assert "<li>" not in _row(family_page, "Tea Teen")


def test_a_confidential_tick_from_someone_not_linked_is_ignored(
    client, cast, bookable, django_capture_on_commit_callbacks
):
    client.force_login(cast.citizen)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _book_path(bookable), {"name": "Clara", "email": "clara@example.org", "confidential": "on"}, **EN
        )
    assert response.status_code == 302
    assert Appointment.objects.get(citizen=cast.citizen).confidential is False


def test_a_moved_confidential_appointment_stays_private(cast, bookable):
    from oegd.appointments.services import book_appointment, rebook_appointment

    teen = UserFactory(email="teen@example.org", full_name="Tea Teen")
    appointment, _token = book_appointment(
        actor=teen,
        appointment_type=bookable,
        start=TUESDAY_TEN,
        name="Tea Teen",
        email=teen.email,
        language="en",
        citizen=teen,
        confidential=True,
    )
    moved, _token = rebook_appointment(actor=teen, appointment=appointment, start=TUESDAY_TEN + timedelta(hours=1))
    assert moved.confidential is True and moved.pk != appointment.pk
