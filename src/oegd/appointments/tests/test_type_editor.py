"""The appointment type editor of office admins, and invitations sent from it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import translation

from oegd.appointments import planning
from oegd.appointments.models import AppointmentType, Invitation
from oegd.appointments.tests import factories
from oegd.core.models import AuditEvent
from oegd.core.tests.factories import login_staff

pytestmark = [pytest.mark.django_db, pytest.mark.urls("oegd.appointments.tests.citizen_test_urls")]

BASE = "/staff/appointments/types"
MONDAY = datetime(2027, 3, 1, 6, 30, tzinfo=UTC)


@pytest.fixture
def client():
    """Pages in English; afterwards the language the requests activated is dropped again, so
    later tests in the same process start from the default language."""
    yield Client(headers={"accept-language": "en"})
    translation.deactivate()


@pytest.fixture
def site(cast):
    with time_machine.travel(MONDAY, tick=False):
        place = factories.location(cast.office_a)
        factories.staff_resource(place)
        advice = factories.appointment_type(place)
        place_b = factories.location(cast.office_b, name="Nebenstelle")
        yield {"place": place, "advice": advice, "place_b": place_b}


def _values(place, **changes):
    values = {
        "slug": "sti-beratung",
        "location": place.pk,
        "mode": "in_person",
        "audience": "public",
        "duration_minutes": "45",
        "buffer_before_minutes": "5",
        "buffer_after_minutes": "10",
        "slot_step_minutes": "15",
        "min_notice_minutes": "120",
        "horizon_days": "30",
        "cancellation_cutoff_minutes": "720",
        "capacity": "1",
        "required_qualification": "Physician",
        "needs_room": "on",
        "max_active_per_person": "1",
        "reminder_offsets": "120, 1440",
        "is_active": "on",
        "name_de": "STI-Beratung",
        "description_de": "Anonyme Beratung und Test",
        "name_en": "STI counselling",
        "description_en": "Anonymous counselling and testing",
        "name_ar": "استشارة",
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


def _snapshot(appointment_type):
    appointment_type.refresh_from_db()
    return (
        appointment_type.texts,
        appointment_type.duration_minutes,
        appointment_type.slot_step_minutes,
        appointment_type.capacity,
        appointment_type.is_active,
        appointment_type.location_id,
    )


# --- permission matrix ------------------------------------------------------------------------


def test_anonymous_and_citizen_go_to_the_login_and_change_nothing(client, cast, site):
    advice = site["advice"]
    before = _snapshot(advice)
    for user in (None, cast.citizen):
        if user is not None:
            client.force_login(user)
        for url in (f"{BASE}/", f"{BASE}/new/", f"{BASE}/{advice.pk}/"):
            response = client.get(url)
            assert response.status_code == 302 and response["Location"].startswith("/login/"), url
        response = client.post(f"{BASE}/{advice.pk}/", _values(site["place"], duration_minutes="90"))
        assert response.status_code == 302
        response = client.post(f"{BASE}/new/", _values(site["place"]))
        assert response.status_code == 302
        response = client.post(f"{BASE}/{advice.pk}/invite/", {"name": "Ida", "email": "ida@example.org"})
        assert response.status_code == 302
    assert _snapshot(advice) == before
    assert AppointmentType.objects.count() == 1
    assert not Invitation.objects.exists()


def test_clerk_gets_404_and_changes_nothing(client, cast, site):
    advice = site["advice"]
    before = _snapshot(advice)
    login_staff(client, cast.clerk_a, cast.office_a)
    assert client.get(f"{BASE}/").status_code == 404
    assert client.get(f"{BASE}/new/").status_code == 404
    assert client.get(f"{BASE}/{advice.pk}/").status_code == 404
    assert client.post(f"{BASE}/{advice.pk}/", _values(site["place"], duration_minutes="90")).status_code == 404
    assert client.post(f"{BASE}/new/", _values(site["place"])).status_code == 404
    response = client.post(f"{BASE}/{advice.pk}/invite/", {"name": "Ida", "email": "ida@example.org"})
    assert response.status_code == 404
    assert _snapshot(advice) == before
    assert AppointmentType.objects.count() == 1
    assert not Invitation.objects.exists()


def test_other_office_admin_gets_404_on_our_type(client, cast, site, django_capture_on_commit_callbacks):
    advice = site["advice"]
    before = _snapshot(advice)
    login_staff(client, cast.admin_b, cast.office_b)
    assert client.get(f"{BASE}/{advice.pk}/").status_code == 404
    assert client.post(f"{BASE}/{advice.pk}/", _values(site["place_b"], duration_minutes="90")).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}/{advice.pk}/invite/", {"name": "Ida", "email": "ida@example.org"})
    assert response.status_code == 404
    # B's list does not show A's type; B cannot create a type at A's location.
    assert "impfberatung" not in client.get(f"{BASE}/").content.decode()
    response = client.post(f"{BASE}/new/", _values(site["place"]))
    assert response.status_code == 400
    assert _snapshot(advice) == before
    assert AppointmentType.objects.count() == 1
    assert not Invitation.objects.exists()
    assert mail.outbox == []


# --- create and edit --------------------------------------------------------------------------


def test_admin_creates_a_type_with_texts(client, cast, site):
    login_staff(client, cast.admin_a, cast.office_a)
    page = client.get(f"{BASE}/new/").content.decode()
    assert 'name="name_ar"' in page and 'dir="rtl"' in page
    response = client.post(f"{BASE}/new/", _values(site["place"]))
    created = AppointmentType.objects.get(office=cast.office_a, slug="sti-beratung")
    assert response.status_code == 302 and response["Location"] == f"{BASE}/{created.pk}/"
    assert created.texts == {
        "de": {"name": "STI-Beratung", "description": "Anonyme Beratung und Test"},
        "en": {"name": "STI counselling", "description": "Anonymous counselling and testing"},
        "ar": {"name": "استشارة", "description": ""},
    }
    assert (created.duration_minutes, created.buffer_before_minutes, created.buffer_after_minutes) == (45, 5, 10)
    assert (created.slot_step_minutes, created.min_notice_minutes, created.horizon_days) == (15, 120, 30)
    assert (created.cancellation_cutoff_minutes, created.capacity, created.max_active_per_person) == (720, 1, 1)
    assert created.required_qualification == "physician"
    assert created.needs_room and created.is_active
    assert created.reminder_offsets == [1440, 120]
    assert created.location == site["place"]
    assert AuditEvent.objects.filter(
        action="appointment_type.save", office=cast.office_a, actor=cast.admin_a, purpose="create"
    ).exists()
    listing = client.get(f"{BASE}/").content.decode()
    assert "STI counselling" in listing and "Vaccination advice" in listing


def test_admin_edits_a_type_and_can_reopen_it_when_inactive(client, cast, site):
    advice = site["advice"]
    login_staff(client, cast.admin_a, cast.office_a)
    page = client.get(f"{BASE}/{advice.pk}/").content.decode()
    assert 'value="Impfberatung"' in page and 'value="Vaccination advice"' in page
    assert 'name="slug"' not in page  # the short name is fixed once created
    values = _values(
        site["place"],
        slug="renamed",
        name_de="Impfsprechstunde",
        name_uk="Щеплення",
        duration_minutes="20",
        capacity="12",
        reminder_offsets="",
        is_active=None,
        needs_room=None,
    )
    response = client.post(f"{BASE}/{advice.pk}/", values)
    assert response.status_code == 302
    advice.refresh_from_db()
    assert advice.slug == "impfberatung"
    assert advice.texts["de"]["name"] == "Impfsprechstunde"
    assert advice.texts["uk"] == {"name": "Щеплення", "description": ""}
    assert (advice.duration_minutes, advice.capacity, advice.reminder_offsets) == (20, 12, [])
    assert not advice.is_active and not advice.needs_room
    assert AuditEvent.objects.filter(action="appointment_type.save", purpose="update").count() == 1
    # Inactive types stay editable (and can be switched on again).
    assert client.get(f"{BASE}/{advice.pk}/").status_code == 200
    client.post(f"{BASE}/{advice.pk}/", _values(site["place"], name_de="Impfsprechstunde"))
    advice.refresh_from_db()
    assert advice.is_active


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"duration_minutes": "4"}, "duration_minutes", "greater than or equal to 5"),
        ({"duration_minutes": "481"}, "duration_minutes", "less than or equal to 480"),
        ({"slot_step_minutes": "241"}, "slot_step_minutes", "less than or equal to 240"),
        ({"capacity": "0"}, "capacity", "greater than or equal to 1"),
        ({"name_de": ""}, "name_de", "This field is required"),
        ({"reminder_offsets": "morgen"}, "reminder_offsets", "Enter whole minutes"),
        ({"slug": "Impf beratung!"}, "slug", "Enter a valid"),
        ({"slug": "impfberatung"}, "slug", "already has a type with this short name"),
    ],
)
def test_bad_input_is_refused_with_400_next_to_the_field(client, cast, site, changes, field, message):
    advice = site["advice"]
    before = _snapshot(advice)
    login_staff(client, cast.admin_a, cast.office_a)
    response = client.post(f"{BASE}/new/", _values(site["place"], **changes))
    page = response.content.decode()
    assert response.status_code == 400
    assert re.search(rf'id="id_{field}-error">[^<]*{re.escape(message)}', page), page[:0]
    assert AppointmentType.objects.count() == 1
    assert not AuditEvent.objects.filter(action="appointment_type.save").exists()
    # The same on the edit page (the short name is not part of it).
    if field != "slug":
        assert client.post(f"{BASE}/{advice.pk}/", _values(site["place"], **changes)).status_code == 400
        assert _snapshot(advice) == before


def test_location_of_another_office_is_refused(client, cast, site):
    advice = site["advice"]
    before = _snapshot(advice)
    login_staff(client, cast.admin_a, cast.office_a)
    response = client.post(f"{BASE}/{advice.pk}/", _values(site["place_b"], duration_minutes="90"))
    assert response.status_code == 400
    assert 'id="id_location-error"' in response.content.decode()
    assert _snapshot(advice) == before


def test_service_collects_all_problems_and_saves_nothing(cast, site):
    with pytest.raises(planning.AppointmentTypeRefused) as refused:
        planning.save_appointment_type(
            actor=cast.admin_a,
            office=cast.office_a,
            slug="impfberatung",
            location=site["place_b"],
            texts={"en": {"name": "Only English"}},
            duration_minutes=500,
            slot_step_minutes=1,
            capacity=0,
        )
    assert set(refused.value.errors) == {
        "name_de",
        "slug",
        "location",
        "duration_minutes",
        "slot_step_minutes",
        "capacity",
    }
    assert AppointmentType.objects.count() == 1


# --- invitations ------------------------------------------------------------------------------


def test_admin_invites_someone_by_email_with_a_working_link(client, cast, site, django_capture_on_commit_callbacks):
    advice = site["advice"]
    login_staff(client, cast.admin_a, cast.office_a)
    with time_machine.travel(MONDAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}/{advice.pk}/invite/", {"name": "Ida Invited", "email": "Ida@Example.org"})
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.appointment_type, invitation.name, invitation.email) == (
        advice,
        "Ida Invited",
        "ida@example.org",
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ida@example.org"]
    assert "Impfberatung" in message.body  # German, whatever language the staff member uses
    assert "Vaccination advice" not in message.body
    link = re.search(r"https?://\S+/appointments/invitation/(\S+)/", message.body)
    assert link is not None
    assert AuditEvent.objects.filter(action="appointment.invite", office=cast.office_a).exists()
    client.logout()
    with time_machine.travel(MONDAY, tick=False):
        page = client.get(f"/appointments/invitation/{link.group(1)}/")
    assert page.status_code == 200
    assert "Vaccination advice" in page.content.decode()


def test_invitation_form_errors_send_nothing(client, cast, site, django_capture_on_commit_callbacks):
    login_staff(client, cast.admin_a, cast.office_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}/{site['advice'].pk}/invite/", {"name": "Ida", "email": "not-an-address"})
    assert response.status_code == 400
    assert 'id="id_email-error"' in response.content.decode()
    assert not Invitation.objects.exists()
    assert mail.outbox == []
