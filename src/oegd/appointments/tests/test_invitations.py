"""Booking with the personal link of an invitation (e.g. the school-entry examination)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import translation

from oegd.appointments import services
from oegd.appointments.models import Appointment, AppointmentType, Invitation
from oegd.appointments.tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.urls("oegd.appointments.tests.citizen_test_urls")]

MONDAY = datetime(2027, 3, 1, 6, 30, tzinfo=UTC)  # 07:30 in Berlin
TUESDAY_NINE = datetime(2027, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 in Berlin, inside the working plan
SLOT = "20270302T0800"


@pytest.fixture
def client():
    """Pages in English; afterwards the language the requests activated is dropped again, so
    later tests in the same process start from the default language."""
    yield Client(headers={"accept-language": "en"})
    translation.deactivate()


@pytest.fixture
def invited(cast):
    """An invitation-only type of office A and an invitation to it."""
    with time_machine.travel(MONDAY, tick=False):
        place = factories.location(cast.office_a)
        factories.staff_resource(place)
        exam = factories.appointment_type(
            place,
            slug="schuleingang",
            audience=AppointmentType.Audience.INVITED,
            texts={"de": {"name": "Schuleingangsuntersuchung"}, "en": {"name": "School entry examination"}},
        )
        invitation, token = services.create_invitation(
            actor=cast.admin_a, appointment_type=exam, name="Ida Invited", email="ida@example.org"
        )
        yield {"exam": exam, "invitation": invitation, "token": token, "url": f"/appointments/invitation/{token}/"}


def _book(client, invited, captured, **changes):
    data = {"start": SLOT, "name": "Ida Invited", "email": "ida@example.org", **changes}
    with captured(execute=True):
        return client.post(invited["url"], data)


def test_the_page_shows_the_type_free_times_and_prefilled_details(client, invited):
    response = client.get(invited["url"])
    page = response.content.decode()
    assert response.status_code == 200
    assert "School entry examination" in page
    assert f'value="{SLOT}"' in page  # Tuesday 09:00 Berlin is offered
    assert "09:00" in page
    # Choosing a time asks for the details, prefilled from the invitation; nothing is booked yet.
    response = client.post(invited["url"], {"start": SLOT})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="Ida Invited"' in page and 'value="ida@example.org"' in page
    assert f'name="start" value="{SLOT}"' in page
    assert not Appointment.objects.exists()


def test_the_invitation_books_once_and_then_answers_404(client, invited, django_capture_on_commit_callbacks):
    response = _book(client, invited, django_capture_on_commit_callbacks)
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"].startswith("/appointments/manage/")
    assert appointment.status == Appointment.Status.BOOKED  # the link proved the address
    assert appointment.start == TUESDAY_NINE
    assert appointment.invitation == invited["invitation"]
    assert (appointment.name, appointment.email, appointment.language) == ("Ida Invited", "ida@example.org", "en")
    invited["invitation"].refresh_from_db()
    assert invited["invitation"].used_at is not None
    assert [message.to for message in mail.outbox] == [["ida@example.org"]]
    manage = client.get(response["Location"])
    assert manage.status_code == 200
    assert "School entry examination" in manage.content.decode()
    # Used: the link no longer opens, and a second booking is impossible.
    assert client.get(invited["url"]).status_code == 404
    later = "20270302T0900"
    assert _book(client, invited, django_capture_on_commit_callbacks, start=later).status_code == 404
    assert Appointment.objects.count() == 1


def test_logged_in_citizen_books_with_the_invitation_as_themselves(
    client, cast, invited, django_capture_on_commit_callbacks
):
    client.force_login(cast.citizen)
    response = _book(client, invited, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert Appointment.objects.get().citizen == cast.citizen


def test_a_taken_time_is_refused_with_409_and_nothing_booked(client, cast, invited, django_capture_on_commit_callbacks):
    with time_machine.travel(MONDAY, tick=False):
        services.book_appointment(
            actor=cast.admin_a,
            appointment_type=invited["exam"],
            start=TUESDAY_NINE,
            name="Otto Other",
            email="otto@example.org",
            language="de",
            booked_by=cast.admin_a,
        )
    response = _book(client, invited, django_capture_on_commit_callbacks)
    assert response.status_code == 409
    assert "no longer available" in response.content.decode()
    assert Appointment.objects.filter(invitation__isnull=False).count() == 0
    invited["invitation"].refresh_from_db()
    assert invited["invitation"].used_at is None


def test_bad_details_and_bad_times_book_nothing(client, invited, django_capture_on_commit_callbacks):
    response = _book(client, invited, django_capture_on_commit_callbacks, email="no-address")
    assert response.status_code == 400
    assert 'id="id_email-error"' in response.content.decode()
    # Too soon (minimum notice of an hour): refused with its message, 400.
    response = _book(client, invited, django_capture_on_commit_callbacks, start="20270301T0700")
    assert response.status_code == 400
    assert "too soon" in response.content.decode()
    assert not Appointment.objects.exists()
    assert mail.outbox == []


def test_unknown_and_expired_invitations_answer_404(client, invited):
    assert client.get("/appointments/invitation/not-a-token/").status_code == 404
    Invitation.objects.update(expires_at=MONDAY - timedelta(minutes=1))
    assert client.get(invited["url"]).status_code == 404


def test_invited_only_types_are_refused_without_an_invitation(client, invited, django_capture_on_commit_callbacks):
    exam = invited["exam"]
    assert client.get(f"/appointments/?type={exam.pk}").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/appointments/book/{exam.pk}/{SLOT}/", {"name": "Gus Guest", "email": "gus@example.org"}
        )
    assert response.status_code == 404
    with pytest.raises(services.BookingRefused) as refused:
        services.book_appointment(
            actor=None,
            appointment_type=exam,
            start=TUESDAY_NINE,
            name="Gus Guest",
            email="gus@example.org",
            language="en",
        )
    assert refused.value.code == "audience"
    assert not Appointment.objects.exists()
    assert mail.outbox == []
