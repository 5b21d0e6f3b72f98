"""The citizen's way through online appointments with Django's test client: find a time, book,
confirm by e-mail, move, cancel, the video waiting room, the waiting list and "my appointments"."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client

from oegd.appointments.models import (
    Appointment,
    AppointmentType,
    CalendarFeed,
    Location,
    Resource,
    WaitingListEntry,
    WorkingPlan,
)
from oegd.core.tests.factories import OfficeFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("oegd.appointments.tests.citizen_test_urls")]

BERLIN = ZoneInfo("Europe/Berlin")
# Monday 4 March 2030, 08:00 in Berlin (UTC+1): no public holiday that week.
NOW = datetime(2030, 3, 4, 8, 0, tzinfo=BERLIN)
# Tuesday 10:00 Berlin = 09:00 UTC: more than a day ahead (cutoff), inside the working plan.
TUESDAY_TEN = datetime(2030, 3, 5, 10, 0, tzinfo=BERLIN)


def key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M")


@pytest.fixture
def traveller():
    with time_machine.travel(NOW, tick=False) as travelling:
        yield travelling


@pytest.fixture
def client():
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def place(traveller):
    """One office, one location with a nurse working Monday to Friday 08:00–12:00, two types."""
    office = OfficeFactory(slug="musterstadt", name="Gesundheitsamt Musterstadt", phone="030 123456")
    location = Location.objects.create(
        office=office,
        name="Main building",
        street="Marktplatz 1",
        postal_code="12345",
        place="Musterstadt",
        accessibility={"en": "Step-free entrance and a lift.", "de": "Stufenloser Eingang und Aufzug."},
    )
    nurse = Resource.objects.create(office=office, location=location, kind=Resource.Kind.STAFF, name="Nora")
    for weekday in range(5):
        WorkingPlan.objects.create(resource=nurse, weekday=weekday, start=time(8), end=time(12))
    common = {
        "office": office,
        "location": location,
        "duration_minutes": 30,
        "slot_step_minutes": 30,
        "min_notice_minutes": 120,
        "horizon_days": 60,
        "cancellation_cutoff_minutes": 1440,
        "reminder_offsets": [1440],
    }
    advice = AppointmentType.objects.create(
        slug="vaccination-advice",
        texts={
            "en": {"name": "Vaccination advice", "description": "We check your vaccination record."},
            "de": {"name": "Impfberatung", "description": "Wir prüfen Ihren Impfpass."},
        },
        **common,
    )
    video = AppointmentType.objects.create(
        slug="video-counselling",
        texts={"en": {"name": "Video counselling"}, "de": {"name": "Videoberatung"}},
        mode=AppointmentType.Mode.VIDEO,
        **common,
    )
    invited = AppointmentType.objects.create(
        slug="school-entry",
        texts={"en": {"name": "School-entry examination"}},
        audience=AppointmentType.Audience.INVITED,
        **common,
    )
    return {"office": office, "location": location, "advice": advice, "video": video, "invited": invited}


def book_as_guest(client, appointment_type, start, django_capture_on_commit_callbacks, email="gus@example.org"):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/appointments/book/{appointment_type.pk}/{key(start)}/",
            {"name": "Gus Guest", "email": email, "note": "I need a sign-language interpreter."},
        )
    return response


def manage_path_from(message) -> str:
    match = re.search(r"(/appointments/manage/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def booked(place, start=TUESDAY_TEN, **extra) -> tuple[Appointment, str]:
    from oegd.appointments.services import book_appointment

    values = {"name": "Gus Guest", "email": "gus@example.org", "language": "en", **extra}
    return book_appointment(actor=None, appointment_type=place["advice"], start=start, **values)


# --- choosing a time --------------------------------------------------------------------------


def test_index_lists_offices_and_types_but_not_invitation_only_ones(client, place):
    start = client.get("/appointments/")
    assert start.status_code == 200
    assert "Gesundheitsamt Musterstadt" in start.content.decode()

    office = client.get("/appointments/?office=musterstadt").content.decode()
    assert "Vaccination advice" in office and "We check your vaccination record." in office
    assert "30 minutes" in office and "Step-free entrance and a lift." in office
    assert "Video counselling" in office
    assert "School-entry examination" not in office
    assert client.get(f"/appointments/?type={place['invited'].pk}").status_code == 404


def test_week_view_shows_free_slots_in_local_time_and_links_to_the_booking(client, place):
    page = client.get(f"/appointments/?type={place['advice'].pk}")
    html = page.content.decode()
    assert page.status_code == 200
    # minimum notice of two hours: Monday starts at 10:00, Tuesday at 08:00 (local time)
    assert f"/appointments/book/{place['advice'].pk}/{key(datetime(2030, 3, 4, 10, 0, tzinfo=BERLIN))}/" in html
    assert f"/appointments/book/{place['advice'].pk}/{key(datetime(2030, 3, 4, 9, 30, tzinfo=BERLIN))}/" not in html
    assert ">08:00<" in html.replace('<span class="oegd-visually-hidden">', "<")  # Tuesday 08:00 local
    assert "Next week" in html and "Previous week" not in html

    following = client.get(f"/appointments/?type={place['advice'].pk}&start=2030-03-11").content.decode()
    assert key(datetime(2030, 3, 11, 8, 0, tzinfo=BERLIN)) in following
    assert "Previous week" in following


def test_a_start_from_a_waiting_list_mail_preselects_the_slot(client, place):
    html = client.get(f"/appointments/?type={place['advice'].pk}&start=2030-03-12T07:00:00Z").content.decode()
    preselected = f'kern-btn--primary" href="/appointments/book/{place["advice"].pk}/20300312T0700/"'
    assert preselected in html


def test_postal_code_finds_the_responsible_office_and_its_types(client, place):
    from oegd.directory.models import HealthAuthority, ResponsibilityEntry

    place["office"].rki_code = "1.01.0.01."
    place["office"].save()
    authority = HealthAuthority.objects.create(
        code="1.01.0.01.", name="Gesundheitsamt Musterstadt", place="Musterstadt"
    )
    ResponsibilityEntry.objects.create(
        authority=authority, kind=ResponsibilityEntry.Kind.POSTAL_CODE, value="12345", normalized="12345"
    )
    html = client.get("/appointments/?postal_code=12345").content.decode()
    assert "Appointments at Gesundheitsamt Musterstadt" in html and "Vaccination advice" in html

    unknown = client.get("/appointments/?postal_code=99999")
    assert unknown.status_code == 400
    assert "We do not know the postal code 99999" in unknown.content.decode()


def test_postal_code_errors_are_shown_next_to_the_field(client, place):
    response = client.get("/appointments/?postal_code=12")
    assert response.status_code == 400
    assert 'href="#id_postal_code"' in response.content.decode()


# --- booking ----------------------------------------------------------------------------------


def test_guest_booking_is_pending_until_the_mail_link_is_opened(client, place, django_capture_on_commit_callbacks):
    response = book_as_guest(client, place["advice"], TUESDAY_TEN, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"] == "/appointments/check-your-email/"
    appointment = Appointment.objects.get()
    assert appointment.status == Appointment.Status.PENDING
    assert appointment.start == TUESDAY_TEN
    assert appointment.note == "I need a sign-language interpreter."
    assert appointment.citizen is None
    assert "gus@example.org" in client.get(response["Location"]).content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["gus@example.org"]

    link = manage_path_from(mail.outbox[0])
    with django_capture_on_commit_callbacks(execute=True):
        page = Client(headers={"accept-language": "en"}).get(link)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Your appointment is confirmed" in html
    assert "Vaccination advice" in html and "10:00" in html and "Step-free entrance" in html
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    assert len(mail.outbox) == 2  # the booking confirmation follows

    again = client.get(link).content.decode()
    assert "Your appointment is confirmed" not in again  # confirmed once
    assert len(mail.outbox) == 2


def test_logged_in_citizen_books_directly_with_prefilled_email(client, place, django_capture_on_commit_callbacks):
    clara = UserFactory(email="clara@example.org", full_name="Clara Citizen")
    client.force_login(clara)
    form = client.get(f"/appointments/book/{place['advice'].pk}/{key(TUESDAY_TEN)}/").content.decode()
    assert 'value="clara@example.org"' in form and 'value="Clara Citizen"' in form

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/appointments/book/{place['advice'].pk}/{key(TUESDAY_TEN)}/",
            {"name": "Clara Citizen", "email": "clara@example.org", "phone": "0151 2345678", "reminder_consent": "on"},
        )
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/my/appointments/{appointment.public_id}/"
    assert appointment.status == Appointment.Status.BOOKED
    assert appointment.citizen == clara and appointment.phone == "0151 2345678"
    assert "is booked" in mail.outbox[0].subject
    detail = client.get(response["Location"]).content.decode()
    assert "Your appointment is booked" in detail and "Booked" in detail


def test_a_pending_booking_not_confirmed_in_time_is_released(client, place, traveller):
    appointment, token = booked(place, confirmed=False)
    traveller.move_to(NOW + timedelta(minutes=31))
    response = client.get(f"/appointments/manage/{token}/")
    assert response.status_code == 400
    assert "This booking was not confirmed in time" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED  # the held slot is free again
    assert "Cancel the appointment" not in response.content.decode()


def test_missing_details_come_back_with_an_error_summary(client, place):
    response = client.post(f"/appointments/book/{place['advice'].pk}/{key(TUESDAY_TEN)}/", {})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'href="#id_name"' in html and 'href="#id_email"' in html
    assert 'aria-invalid="true"' in html
    assert not Appointment.objects.exists()


def test_phone_number_without_consent_is_refused(client, place):
    response = client.post(
        f"/appointments/book/{place['advice'].pk}/{key(TUESDAY_TEN)}/",
        {"name": "Gus Guest", "email": "gus@example.org", "phone": "0151 2345678"},
    )
    assert response.status_code == 400
    assert 'href="#id_reminder_consent"' in response.content.decode()
    assert not Appointment.objects.exists()


def test_the_same_slot_again_is_refused_with_409_and_nothing_booked(client, place, django_capture_on_commit_callbacks):
    booked(place)
    response = book_as_guest(
        client, place["advice"], TUESDAY_TEN, django_capture_on_commit_callbacks, "ole@example.org"
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "This time is no longer available" in html
    assert "Free times in the week of" in html  # the week view again
    assert Appointment.objects.count() == 1
    assert mail.outbox == []


def test_invitation_only_types_cannot_be_booked_from_the_portal(client, place):
    response = client.get(f"/appointments/book/{place['invited'].pk}/{key(TUESDAY_TEN)}/")
    assert response.status_code == 404


def test_logged_in_types_send_guests_to_the_login(client, place):
    place["advice"].audience = AppointmentType.Audience.LOGGED_IN
    place["advice"].save()
    response = client.get(f"/appointments/book/{place['advice'].pk}/{key(TUESDAY_TEN)}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "Log in to book" in client.get("/appointments/?office=musterstadt").content.decode()


# --- managing by the e-mail link --------------------------------------------------------------


def test_cancel_via_the_manage_page(client, place, django_capture_on_commit_callbacks):
    appointment, token = booked(place)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/appointments/manage/{token}/", {"action": "cancel"})
    assert response.status_code == 200
    assert "Your appointment is cancelled" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    assert any(message.to == ["gus@example.org"] for message in mail.outbox)


def test_cancel_after_the_cutoff_is_refused_and_changes_nothing(client, place, traveller):
    appointment, token = booked(place)
    traveller.move_to(TUESDAY_TEN - timedelta(hours=3))  # cutoff: 24 hours before
    page = client.get(f"/appointments/manage/{token}/").content.decode()
    assert "It is too late to move or cancel this appointment online" in page
    response = client.post(f"/appointments/manage/{token}/", {"action": "cancel"})
    assert response.status_code == 400
    assert "It is too late to change this appointment online" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


def test_rebook_moves_the_appointment_and_the_old_link_stops_working(client, place, django_capture_on_commit_callbacks):
    appointment, token = booked(place)
    week = client.get(f"/appointments/manage/{token}/move/")
    assert week.status_code == 200
    new_start = datetime(2030, 3, 6, 9, 0, tzinfo=BERLIN)
    assert f'value="{key(new_start)}"' in week.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/appointments/manage/{token}/move/", {"start": key(new_start)})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.RESCHEDULED
    moved = appointment.moved_to
    assert moved.start == new_start and moved.status == Appointment.Status.BOOKED
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Your appointment is moved" in html and "09:00" in html
    assert client.get(f"/appointments/manage/{token}/").status_code == 404
    assert manage_path_from(mail.outbox[-1]) == response["Location"]


def test_rebook_to_a_taken_time_is_refused(client, place):
    appointment, token = booked(place)
    other_start = datetime(2030, 3, 6, 9, 0, tzinfo=BERLIN)
    booked(place, start=other_start, email="ole@example.org")
    response = client.post(f"/appointments/manage/{token}/move/", {"start": key(other_start)})
    assert response.status_code == 409
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED and appointment.start == TUESDAY_TEN


def test_unknown_token_is_404(client, place):
    assert client.get("/appointments/manage/not-a-token/").status_code == 404
    assert client.get("/appointments/manage/not-a-token/appointment.ics").status_code == 404


def test_ics_download_of_one_appointment(client, place):
    _appointment, token = booked(place)
    response = client.get(f"/appointments/manage/{token}/appointment.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert "BEGIN:VEVENT" in body and "20300305T090000Z" in body


# --- video consultation -----------------------------------------------------------------------


def test_video_page_shows_the_room_only_from_ten_minutes_before(client, place, traveller, settings):
    from oegd.appointments.services import book_appointment

    settings.VIDEO_BASE_URL = "https://meet.example.org/"
    appointment, token = book_appointment(
        actor=None,
        appointment_type=place["video"],
        start=TUESDAY_TEN,
        name="Vera Video",
        email="vera@example.org",
        language="en",
    )
    video_url = f"/appointments/video/{appointment.public_id}/"
    locked = client.get(video_url)  # neither the owner nor the e-mail link opened in this browser
    assert locked.status_code == 404
    assert "open the link to your appointment from our e-mail" in locked.content.decode()
    room = f"https://meet.example.org/{appointment.video_room}"

    traveller.move_to(TUESDAY_TEN - timedelta(minutes=11))
    manage = client.get(f"/appointments/manage/{token}/").content.decode()
    assert video_url in manage
    early = client.get(video_url).content.decode()
    assert room not in early
    assert "The room opens at 09:50" in early

    traveller.move_to(TUESDAY_TEN - timedelta(minutes=10))
    assert room in client.get(video_url).content.decode()

    traveller.move_to(TUESDAY_TEN + timedelta(minutes=31))
    late = client.get(video_url).content.decode()
    assert room not in late and "This appointment has ended" in late


def test_video_page_opens_with_the_token_and_drops_it_from_the_address(client, place, traveller):
    from oegd.appointments.services import book_appointment

    appointment, token = book_appointment(
        actor=None,
        appointment_type=place["video"],
        start=TUESDAY_TEN,
        name="Vera Video",
        email="vera@example.org",
        language="en",
    )
    video_url = f"/appointments/video/{appointment.public_id}/"
    traveller.move_to(TUESDAY_TEN - timedelta(minutes=5))
    response = client.get(f"{video_url}?token={token}")
    assert response.status_code == 302 and response["Location"] == video_url
    assert appointment.video_room in client.get(video_url).content.decode()
    assert Client().get(f"{video_url}?token=wrong").status_code == 404


# --- waiting list -----------------------------------------------------------------------------


def test_join_the_waiting_list(client, place):
    form = client.get(f"/appointments/waiting-list/?type={place['advice'].pk}").content.decode()
    assert "School-entry examination" not in form
    response = client.post(
        "/appointments/waiting-list/",
        {
            "appointment_type": place["advice"].pk,
            "name": "Wanda Wait",
            "email": "wanda@example.org",
            "earliest": "2030-03-11",
            "latest": "2030-03-15",
        },
    )
    assert response.status_code == 302
    assert "wanda@example.org" in client.get(response["Location"]).content.decode()
    entry = WaitingListEntry.objects.get()
    assert entry.appointment_type == place["advice"] and entry.language == "en"
    assert entry.earliest == datetime(2030, 3, 11, tzinfo=BERLIN)
    assert entry.latest == datetime(2030, 3, 16, tzinfo=BERLIN)


def test_waiting_list_refuses_a_period_that_ends_before_it_starts(client, place):
    response = client.post(
        "/appointments/waiting-list/",
        {
            "appointment_type": place["advice"].pk,
            "name": "Wanda Wait",
            "email": "wanda@example.org",
            "earliest": "2030-03-15",
            "latest": "2030-03-11",
        },
    )
    assert response.status_code == 400
    assert 'href="#id_latest"' in response.content.decode()
    assert not WaitingListEntry.objects.exists()


# --- my appointments --------------------------------------------------------------------------


def test_my_appointments_lists_only_my_own(client, place):
    clara = UserFactory(email="clara@example.org", full_name="Clara Citizen")
    ole = UserFactory(email="ole@example.org", full_name="Ole Other")
    mine, _token = booked(place, name="Clara Citizen", email="clara@example.org", citizen=clara)
    theirs, _token = booked(
        place, start=datetime(2030, 3, 6, 9, 0, tzinfo=BERLIN), name="Ole Other", email="ole@example.org", citizen=ole
    )
    client.force_login(clara)
    html = client.get("/my/appointments/").content.decode()
    assert f"/my/appointments/{mine.public_id}/" in html
    assert str(theirs.public_id) not in html
    assert client.get(f"/my/appointments/{theirs.public_id}/").status_code == 404
    assert client.get("/my/appointments/not-a-uuid/").status_code == 404


def test_my_appointment_can_be_cancelled_without_the_token(client, place):
    clara = UserFactory(email="clara@example.org", full_name="Clara Citizen")
    appointment, _token = booked(place, name="Clara Citizen", email="clara@example.org", citizen=clara)
    client.force_login(clara)
    response = client.post(f"/my/appointments/{appointment.public_id}/", {"action": "cancel"})
    assert response.status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED


def test_every_citizen_route_declares_access_and_turns_anonymous_away_where_protected(client, place):
    from oegd.appointments import urls
    from oegd.core.access import ACCESS_ATTR

    rules = {pattern.name: getattr(pattern.callback, ACCESS_ATTR, None) for pattern in urls.urlpatterns}
    assert None not in rules.values(), rules
    assert {name for name, rule in rules.items() if rule != "public"} == {
        "mine",
        "mine_detail",
        "mine_rebook",
        "mine_ics",
    }
    for path in (
        "/my/appointments/",
        "/my/appointments/x/",
        "/my/appointments/x/move/",
        "/my/appointments/x/appointment.ics",
    ):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), path


def test_calendar_feed_address_is_made_and_serves_my_appointments(client, place):
    clara = UserFactory(email="clara@example.org", full_name="Clara Citizen")
    booked(place, name="Clara Citizen", email="clara@example.org", citizen=clara)
    client.force_login(clara)
    html = client.post("/my/appointments/", {"action": "feed"}).content.decode()
    match = re.search(r"http://testserver(/appointments/feed/[^\"]+\.ics)", html)
    assert match, html
    assert CalendarFeed.objects.filter(user=clara).exists()
    feed = Client().get(match.group(1))
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    assert "20300305T090000Z" in feed.content.decode()
    assert Client().get("/appointments/feed/wrong.ics").status_code == 404
