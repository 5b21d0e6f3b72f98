"""Staff appointment pages: calendars, outcomes, booking by phone, planning and figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from oegd.appointments import planning
from oegd.appointments.models import (
    Appointment,
    AvailabilityException,
    GroupSession,
    Resource,
    ResourceClaim,
    WorkingPlan,
)
from oegd.appointments.tests import factories
from oegd.core.models import AuditEvent
from oegd.core.tests.factories import login_staff

pytestmark = [pytest.mark.django_db, pytest.mark.urls("oegd.appointments.tests.staff_test_urls")]

BASE = "/staff/appointments"
WINTER_DAY = date(2025, 1, 15)  # a Wednesday, CET (UTC+1)


@pytest.fixture(autouse=True)
def _english(client, settings):
    """Pages and messages in English (staff pages speak German or English)."""
    from django.utils import translation

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def site(cast):
    """Office A with a location, a physician, a room and one appointment at 07:30 UTC (08:30 in
    Berlin) on a winter day; office B with an appointment of its own."""
    place = factories.location(cast.office_a)
    physician = Resource.objects.create(
        office=cast.office_a, location=place, kind=Resource.Kind.STAFF, name="Dr. Paula", user=cast.physician_a
    )
    room = Resource.objects.create(office=cast.office_a, location=place, kind=Resource.Kind.ROOM, name="Raum 1.12")
    advice = factories.appointment_type(place)
    visit = _appointment(advice, datetime(2025, 1, 15, 7, 30, tzinfo=UTC), "Erika Mustermann", physician, room)

    place_b = factories.location(cast.office_b, name="Nebenstelle")
    advice_b = factories.appointment_type(place_b)
    physician_b = Resource.objects.create(
        office=cast.office_b, location=place_b, kind=Resource.Kind.STAFF, name="Dr. Bernd"
    )
    visit_b = _appointment(advice_b, datetime(2025, 1, 15, 8, 0, tzinfo=UTC), "Berta Beispiel", physician_b)
    return {
        "place": place,
        "physician": physician,
        "room": room,
        "advice": advice,
        "visit": visit,
        "place_b": place_b,
        "physician_b": physician_b,
        "visit_b": visit_b,
    }


def _appointment(appointment_type, start, name, *resources, status=Appointment.Status.BOOKED, session=None):
    end = start + timedelta(minutes=appointment_type.duration_minutes)
    appointment = Appointment.objects.create(
        office=appointment_type.office,
        appointment_type=appointment_type,
        session=session,
        start=start,
        end=end,
        status=status,
        name=name,
        email="person@example.org",
        language="de",
        manage_token_hash=f"hash-{name}-{start.isoformat()}",
    )
    for resource in resources:
        ResourceClaim.objects.create(resource=resource, appointment=appointment, start=start, end=end)
    return appointment


def _plan_rows(resource):
    return list(WorkingPlan.objects.filter(resource=resource).values_list("weekday", "start", "end"))


# --- permission matrix ------------------------------------------------------------------------


def test_anonymous_and_citizen_are_sent_to_the_login(client, cast, site):
    urls = [f"{BASE}/", f"{BASE}/week/", f"{BASE}/planning/", f"{BASE}/{site['visit'].public_id}/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
    client.force_login(cast.citizen)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
    response = client.post(f"{BASE}/planning/resources/{site['physician'].pk}/plans/", _plan(0, "08:00", "12:00"))
    assert response.status_code == 302
    assert _plan_rows(site["physician"]) == []


def test_other_office_gets_404_and_changes_nothing(client, cast, site):
    login_staff(client, cast.clerk_b, cast.office_b)
    visit = site["visit"]
    assert client.get(f"{BASE}/{visit.public_id}/").status_code == 404
    assert client.post(f"{BASE}/{visit.public_id}/outcome/", {"status": "no_show"}).status_code == 404
    assert client.post(f"{BASE}/{visit.public_id}/cancel/").status_code == 404
    assert client.get(f"{BASE}/?resource={site['physician'].pk}").status_code == 404
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.BOOKED

    login_staff(client, cast.admin_b, cast.office_b)
    resource_url = f"{BASE}/planning/resources/{site['physician'].pk}/"
    assert client.get(resource_url).status_code == 404
    assert client.post(resource_url + "plans/", _plan(0, "08:00", "12:00")).status_code == 404
    assert _plan_rows(site["physician"]) == []
    closure = {"start": "2025-01-20T08:00", "end": "2025-01-20T12:00", "reason": "Betriebsversammlung"}
    assert client.post(f"{BASE}/planning/locations/{site['place'].pk}/closures/", closure).status_code == 404
    assert not AvailabilityException.objects.exists()
    plan = WorkingPlan.objects.create(resource=site["physician"], weekday=0, start=time(8), end=time(12))
    assert client.post(f"{BASE}/planning/plans/{plan.pk}/delete/").status_code == 404
    assert WorkingPlan.objects.filter(pk=plan.pk).exists()
    # B's own calendar does not show A's person.
    page = client.get(f"{BASE}/?date=2025-01-15").content.decode()
    assert "Berta Beispiel" in page
    assert "Erika Mustermann" not in page


def test_clerk_views_calendars_but_cannot_plan(client, cast, site):
    login_staff(client, cast.clerk_a, cast.office_a)
    assert client.get(f"{BASE}/?date=2025-01-15").status_code == 200
    assert client.get(f"{BASE}/week/?date=2025-01-15").status_code == 200
    assert client.get(f"{BASE}/planning/").status_code == 404
    assert client.get(f"{BASE}/statistics/").status_code == 404
    response = client.post(f"{BASE}/planning/resources/{site['physician'].pk}/plans/", _plan(0, "08:00", "12:00"))
    assert response.status_code == 404
    assert _plan_rows(site["physician"]) == []
    response = client.post(f"{BASE}/planning/", {"kind": "room", "location": site["place"].pk, "name": "Raum 2"})
    assert response.status_code == 404
    assert Resource.objects.filter(office=cast.office_a).count() == 2


def test_dpo_without_case_permission_gets_404(client, cast, site):
    login_staff(client, cast.dpo_a, cast.office_a)
    assert client.get(f"{BASE}/").status_code == 404
    assert client.get(f"{BASE}/{site['visit'].public_id}/").status_code == 404


# --- calendars --------------------------------------------------------------------------------


def test_day_view_shows_local_time_and_audits_the_read(client, cast, site):
    _appointment(site["advice"], datetime(2025, 1, 16, 9, 0, tzinfo=UTC), "Otto Morgen", site["physician"])
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.get(f"{BASE}/?date=2025-01-15")
    page = response.content.decode()
    assert response.status_code == 200
    assert "08:30" in page and "09:00" in page  # 07:30–08:00 UTC in CET
    assert "07:30" not in page
    assert "Erika Mustermann" in page
    assert "Vaccination advice" in page
    assert "Booked" in page
    assert "Dr. Paula, Raum 1.12" in page
    assert "Otto Morgen" not in page  # the next day
    assert "Berta Beispiel" not in page  # office B
    assert 'href="?date=2025-01-14"' in page and 'href="?date=2025-01-16"' in page
    assert AuditEvent.objects.filter(action="appointment.calendar", office=cast.office_a, actor=cast.clerk_a).exists()


def test_day_boundaries_follow_the_location_time_zone(client, cast, site):
    # 23:30 UTC on the 15th is 00:30 on the 16th in Berlin.
    _appointment(site["advice"], datetime(2025, 1, 15, 23, 30, tzinfo=UTC), "Nina Nacht", site["physician"])
    login_staff(client, cast.clerk_a, cast.office_a)
    assert "Nina Nacht" not in client.get(f"{BASE}/?date=2025-01-15").content.decode()
    page = client.get(f"{BASE}/?date=2025-01-16").content.decode()
    assert "Nina Nacht" in page and "00:30" in page


def test_week_view_shows_monday_to_sunday_only(client, cast, site):
    advice = site["advice"]
    _appointment(advice, datetime(2025, 1, 13, 8, 0, tzinfo=UTC), "Monika Montag", site["physician"])
    _appointment(advice, datetime(2025, 1, 17, 12, 0, tzinfo=UTC), "Frieda Freitag", site["physician"])
    _appointment(advice, datetime(2025, 1, 20, 8, 0, tzinfo=UTC), "Nils Naechstewoche", site["physician"])
    _appointment(advice, datetime(2025, 1, 14, 8, 0, tzinfo=UTC), "Cora Cancelled", status=Appointment.Status.CANCELLED)
    login_staff(client, cast.clerk_a, cast.office_a)
    page = client.get(f"{BASE}/week/?date=2025-01-15").content.decode()
    for name in ("Monika Montag", "Erika Mustermann", "Frieda Freitag"):
        assert name in page
    assert "Nils Naechstewoche" not in page
    assert "Cora Cancelled" not in page
    assert "13:00" in page  # Friday 12:00 UTC
    assert page.index("Monika Montag") < page.index("Erika Mustermann") < page.index("Frieda Freitag")
    assert 'href="?date=2025-01-06"' in page and 'href="?date=2025-01-20"' in page
    with_cancelled = client.get(f"{BASE}/week/?date=2025-01-15&cancelled=1").content.decode()
    assert "Cora Cancelled" in with_cancelled and "Cancelled" in with_cancelled


def test_calendar_filters_by_staff_member_and_room(client, cast, site):
    other = Resource.objects.create(
        office=cast.office_a, location=site["place"], kind=Resource.Kind.STAFF, name="Dr. Zweit"
    )
    _appointment(site["advice"], datetime(2025, 1, 15, 10, 0, tzinfo=UTC), "Gustav Anders", other)
    login_staff(client, cast.clerk_a, cast.office_a)
    page = client.get(f"{BASE}/?date=2025-01-15&resource={site['physician'].pk}").content.decode()
    assert "Erika Mustermann" in page and "Gustav Anders" not in page
    page = client.get(f"{BASE}/?date=2025-01-15&resource={other.pk}").content.decode()
    assert "Gustav Anders" in page and "Erika Mustermann" not in page
    page = client.get(f"{BASE}/?date=2025-01-15&resource={site['room'].pk}").content.decode()
    assert "Erika Mustermann" in page and "Gustav Anders" not in page
    page = client.get(f"{BASE}/?date=2025-01-15&location={site['place'].pk}").content.decode()
    assert "Erika Mustermann" in page and "Gustav Anders" in page
    assert client.get(f"{BASE}/?location={site['place_b'].pk}").status_code == 404


def test_group_session_shows_places_taken(client, cast, site):
    course = factories.appointment_type(site["place"], slug="belehrung", capacity=3, texts={"en": {"name": "§43"}})
    start = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
    session = GroupSession.objects.create(appointment_type=course, start=start, end=start + timedelta(minutes=30))
    ResourceClaim.objects.create(resource=site["room"], session=session, start=session.start, end=session.end)
    _appointment(course, start, "Anna Eins", session=session)
    _appointment(course, start, "Bernd Zwei", session=session)
    login_staff(client, cast.clerk_a, cast.office_a)
    page = client.get(f"{BASE}/?date=2025-01-15").content.decode()
    assert "2 of 3 places taken" in page
    assert "Anna Eins" in page and "Bernd Zwei" in page
    assert page.count("Group session") == 1
    # The room's calendar finds the session through its claim.
    page = client.get(f"{BASE}/?date=2025-01-15&resource={site['room'].pk}").content.decode()
    assert "2 of 3 places taken" in page


def test_calendar_links_the_print_stylesheet(client, cast, site):
    login_staff(client, cast.clerk_a, cast.office_a)
    page = client.get(f"{BASE}/").content.decode()
    assert 'href="/static/appointments/print.css" media="print"' in page


# --- outcomes and cancellation ----------------------------------------------------------------


def test_clerk_records_a_no_show_after_the_start(client, cast, site):
    visit = site["visit"]
    login_staff(client, cast.clerk_a, cast.office_a)
    detail = client.get(f"{BASE}/{visit.public_id}/").content.decode()
    assert "Erika Mustermann" in detail and "Did the person come?" in detail
    response = client.post(f"{BASE}/{visit.public_id}/outcome/", {"status": "no_show"})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.NO_SHOW
    assert AuditEvent.objects.filter(action="appointment.no_show", object_id=str(visit.pk)).exists()
    assert AuditEvent.objects.filter(action="appointment.read", object_id=str(visit.pk), actor=cast.clerk_a).exists()


def test_outcome_before_the_start_is_refused(client, cast, site):
    future = _appointment(site["advice"], timezone.now() + timedelta(days=2), "Fritz Zukunft", site["physician"])
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(f"{BASE}/{future.public_id}/outcome/", {"status": "completed"})
    assert response.status_code == 400
    assert "once it has begun" in response.content.decode()
    future.refresh_from_db()
    assert future.status == Appointment.Status.BOOKED
    response = client.post(f"{BASE}/{site['visit'].public_id}/outcome/", {"status": "booked"})
    assert response.status_code == 400
    site["visit"].refresh_from_db()
    assert site["visit"].status == Appointment.Status.BOOKED


def test_office_cancels_an_appointment(client, cast, site, mailoutbox):
    future = _appointment(site["advice"], timezone.now() + timedelta(hours=2), "Fritz Zukunft", site["physician"])
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(f"{BASE}/{future.public_id}/cancel/")
    assert response.status_code == 302
    future.refresh_from_db()
    assert future.status == Appointment.Status.CANCELLED
    assert not future.claims.filter(active=True).exists()
    assert AuditEvent.objects.filter(action="appointment.cancel", object_id=str(future.pk)).exists()
    # Cancelling again changes nothing and says why.
    response = client.post(f"{BASE}/{future.public_id}/cancel/")
    assert response.status_code == 400


def test_malformed_appointment_id_is_404(client, cast, site):
    login_staff(client, cast.clerk_a, cast.office_a)
    assert client.get(f"{BASE}/not-a-uuid/").status_code == 404


# --- planning ---------------------------------------------------------------------------------


def _plan(weekday, start, end, valid_from="", valid_until=""):
    return {"weekday": weekday, "start": start, "end": end, "valid_from": valid_from, "valid_until": valid_until}


def test_admin_creates_resources_for_own_staff_and_rooms(client, cast, site):
    login_staff(client, cast.admin_a, cast.office_a)
    assert client.get(f"{BASE}/planning/").status_code == 200
    response = client.post(
        f"{BASE}/planning/",
        {"kind": "staff", "location": site["place"].pk, "user": cast.clerk_a.pk, "qualifications": "Vaccination, STI"},
    )
    assert response.status_code == 302
    created = Resource.objects.get(user=cast.clerk_a)
    assert created.office == cast.office_a
    assert created.qualifications == ["vaccination", "sti"]
    assert created.name == cast.clerk_a.full_name
    assert AuditEvent.objects.filter(action="appointment_resource.create", object_id=str(created.pk)).exists()

    count = Resource.objects.count()
    # A staff member of office B, B's location, a room without a name, a duplicate: refused.
    for data in (
        {"kind": "staff", "location": site["place"].pk, "user": cast.clerk_b.pk},
        {"kind": "room", "location": site["place_b"].pk, "name": "Raum X"},
        {"kind": "room", "location": site["place"].pk, "name": ""},
        {"kind": "staff", "location": site["place"].pk, "user": cast.clerk_a.pk},
    ):
        response = client.post(f"{BASE}/planning/", data)
        assert response.status_code == 400, data
        assert "Please check your entries" in response.content.decode()
    assert Resource.objects.count() == count
    response = client.post(f"{BASE}/planning/", {"kind": "room", "location": site["place"].pk, "name": ""})
    assert "Enter the name of the room." in response.content.decode()


def test_admin_adds_and_deletes_working_plans(client, cast, site):
    physician = site["physician"]
    url = f"{BASE}/planning/resources/{physician.pk}/"
    login_staff(client, cast.admin_a, cast.office_a)
    assert client.post(url + "plans/", _plan(0, "08:00", "12:00")).status_code == 302
    assert client.post(url + "plans/", _plan(0, "13:00", "16:00")).status_code == 302  # a lunch break
    assert _plan_rows(physician) == [(0, time(8), time(12)), (0, time(13), time(16))]
    page = client.get(url).content.decode()
    assert "Monday" in page and "13:00" in page

    plan = WorkingPlan.objects.get(resource=physician, start=time(13))
    assert client.post(f"{BASE}/planning/plans/{plan.pk}/delete/").status_code == 302
    assert _plan_rows(physician) == [(0, time(8), time(12))]
    assert AuditEvent.objects.filter(action="appointment_plan.delete", office=cast.office_a).exists()


def test_bad_working_plans_are_refused_with_a_reason(client, cast, site):
    physician = site["physician"]
    url = f"{BASE}/planning/resources/{physician.pk}/plans/"
    login_staff(client, cast.admin_a, cast.office_a)
    client.post(url, _plan(2, "08:00", "12:00", valid_from="2025-01-01", valid_until="2025-06-30"))
    before = _plan_rows(physician)
    cases = [
        (_plan(2, "12:00", "09:00"), "The end must be after the start."),
        (_plan(2, "11:00", "14:00"), "This overlaps the working time 08:00–12:00"),
        (_plan(2, "07:00", "13:00", valid_from="2025-06-01"), "This overlaps"),
        (_plan(2, "09:00", "10:00", "2025-03-01", "2025-02-01"), "The end of the validity must not be before"),
        (_plan(9, "09:00", "10:00"), "Select a valid choice"),
        (_plan(2, "9 Uhr", "10:00"), "Enter a valid time."),
    ]
    for data, message in cases:
        response = client.post(url, data)
        assert response.status_code == 400, data
        assert message in response.content.decode(), data
        assert _plan_rows(physician) == before
    # Same hours in a later validity period do not overlap.
    assert client.post(url, _plan(2, "08:00", "12:00", valid_from="2025-07-01")).status_code == 302
    assert len(_plan_rows(physician)) == 2


def test_admin_blocks_time_and_closes_a_location_in_local_time(client, cast, site):
    physician = site["physician"]
    login_staff(client, cast.admin_a, cast.office_a)
    response = client.post(
        f"{BASE}/planning/resources/{physician.pk}/exceptions/",
        {"kind": "blocked", "start": "2025-01-20T10:00", "end": "2025-01-24T16:00", "reason": "Fortbildung"},
    )
    assert response.status_code == 302
    blocked = AvailabilityException.objects.get(resource=physician)
    assert blocked.start == datetime(2025, 1, 20, 9, 0, tzinfo=UTC)  # 10:00 CET
    assert blocked.reason == "Fortbildung"
    assert "Fortbildung" in client.get(f"{BASE}/planning/resources/{physician.pk}/").content.decode()

    response = client.post(
        f"{BASE}/planning/resources/{physician.pk}/exceptions/",
        {"kind": "extra", "start": "2025-01-20T10:00", "end": "2025-01-20T09:00", "reason": ""},
    )
    assert response.status_code == 400
    assert "The end must be after the start." in response.content.decode()
    assert AvailabilityException.objects.count() == 1

    response = client.post(
        f"{BASE}/planning/locations/{site['place'].pk}/closures/",
        {"start": "2025-07-01T08:00", "end": "2025-07-01T12:00", "reason": "Betriebsversammlung"},
    )
    assert response.status_code == 302
    closure = AvailabilityException.objects.get(location=site["place"], resource=None)
    assert closure.start == datetime(2025, 7, 1, 6, 0, tzinfo=UTC)  # 08:00 CEST
    assert closure.kind == AvailabilityException.Kind.BLOCKED
    assert "Betriebsversammlung" in client.get(f"{BASE}/planning/").content.decode()
    assert client.post(f"{BASE}/planning/closures/{closure.pk}/delete/").status_code == 302
    assert not AvailabilityException.objects.filter(pk=closure.pk).exists()


def test_admin_edits_qualifications(client, cast, site):
    physician = site["physician"]
    login_staff(client, cast.admin_a, cast.office_a)
    url = f"{BASE}/planning/resources/{physician.pk}/"
    response = client.post(url, {"name": "Dr. Paula P.", "qualifications": "physician; sti-testing", "is_active": "on"})
    assert response.status_code == 302
    physician.refresh_from_db()
    assert (physician.name, physician.qualifications, physician.is_active) == (
        "Dr. Paula P.",
        ["physician", "sti-testing"],
        True,
    )
    assert client.post(url, {"name": "", "qualifications": ""}).status_code == 400
    physician.refresh_from_db()
    assert physician.name == "Dr. Paula P."


# --- figures ----------------------------------------------------------------------------------


def test_appointment_counts_per_type(cast, site):
    advice = site["advice"]
    course = factories.appointment_type(site["place"], slug="sti", texts={"en": {"name": "STI test"}})
    day = datetime(2025, 1, 20, 8, 0, tzinfo=UTC)
    rows = [
        (advice, Appointment.Status.COMPLETED, 24),
        (advice, Appointment.Status.NO_SHOW, 48),
        (advice, Appointment.Status.CANCELLED, 10),
        (advice, Appointment.Status.RESCHEDULED, 5),  # counted at its new time, not here
        (course, Appointment.Status.BOOKED, 2),
    ]
    for n, (appointment_type, status, hours_ahead) in enumerate(rows):
        appointment = _appointment(appointment_type, day + timedelta(hours=n), f"P{n}", status=status)
        Appointment.objects.filter(pk=appointment.pk).update(
            created_at=appointment.start - timedelta(hours=hours_ahead)
        )
    _appointment(advice, datetime(2025, 2, 20, 8, 0, tzinfo=UTC), "Later")  # outside the period
    site["visit_b"].delete()

    counts = planning.appointment_counts(
        office=cast.office_a, start=datetime(2025, 1, 16, tzinfo=UTC), end=datetime(2025, 2, 1, tzinfo=UTC)
    )
    assert counts["types"]["impfberatung"] == {
        "name": "Vaccination advice",
        "bookings": 3,
        "cancellations": 1,
        "no_shows": 1,
        "completed": 1,
        "median_lead_time_hours": 24.0,
    }
    assert counts["types"]["sti"]["bookings"] == 1
    assert counts["types"]["sti"]["median_lead_time_hours"] == 2.0
    assert counts["total"]["bookings"] == 4
    assert counts["total"]["median_lead_time_hours"] == 17.0  # median of 2, 10, 24, 48

    empty = planning.appointment_counts(
        office=cast.office_b, start=datetime(2025, 1, 16, tzinfo=UTC), end=datetime(2025, 2, 1, tzinfo=UTC)
    )
    assert empty["types"] == {} and empty["total"]["median_lead_time_hours"] is None


def test_statistics_page(client, cast, site):
    Appointment.objects.filter(pk=site["visit"].pk).update(status=Appointment.Status.NO_SHOW)
    login_staff(client, cast.admin_a, cast.office_a)
    response = client.get(f"{BASE}/statistics/?start=2025-01-01&end=2025-01-31")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Vaccination advice" in page
    assert "Erika" not in page  # figures only
    assert client.get(f"{BASE}/statistics/?start=2025-02-01&end=2025-01-01").status_code == 400


# --- booking on someone's behalf --------------------------------------------------------------


@time_machine.travel(datetime(2025, 3, 3, 7, 0, tzinfo=UTC), tick=False)  # Monday 08:00 in Berlin
def test_clerk_books_for_a_caller_and_a_taken_slot_is_refused(client, cast, mailoutbox):
    place = factories.location(cast.office_a)
    factories.staff_resource(place)
    advice = factories.appointment_type(place)
    login_staff(client, cast.clerk_a, cast.office_a)
    page = client.get(f"{BASE}/book/?type={advice.pk}&week=2025-03-05").content.decode()
    slot = "2025-03-04T08:00:00+00:00"  # Tuesday 09:00 in Berlin
    assert f'value="{slot}"' in page
    data = {
        "type": advice.pk,
        "week": "2025-03-05",
        "start": slot,
        "name": "Anrufer Anton",
        "email": "anton@example.org",
        "phone": "+49 30 1234567",
        "language": "de",
        "note": "",
    }
    response = client.post(f"{BASE}/book/", data)
    assert response.status_code == 302
    booked = Appointment.objects.get(name="Anrufer Anton")
    assert booked.booked_by == cast.clerk_a
    assert booked.status == Appointment.Status.BOOKED
    assert booked.start == datetime(2025, 3, 4, 8, 0, tzinfo=UTC)

    response = client.post(f"{BASE}/book/", {**data, "name": "Zweite Zora", "email": "zora@example.org"})
    assert response.status_code == 400
    assert "This time is no longer available" in response.content.decode()
    assert not Appointment.objects.filter(name="Zweite Zora").exists()
    # The taken slot is no longer offered.
    assert f'value="{slot}"' not in client.get(f"{BASE}/book/?type={advice.pk}&week=2025-03-05").content.decode()


def test_booking_form_errors_and_foreign_types(client, cast, site):
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(f"{BASE}/book/", {"type": site["advice"].pk, "name": "", "email": "x", "language": "de"})
    assert response.status_code == 400
    assert "Choose a time." in response.content.decode()
    other_type = factories.appointment_type(site["place_b"], slug="andere")
    assert client.get(f"{BASE}/book/?type={other_type.pk}").status_code == 404
    count = Appointment.objects.count()
    assert (
        client.post(f"{BASE}/book/", {"type": other_type.pk, "start": "2025-03-04T08:00:00+00:00"}).status_code == 404
    )
    assert Appointment.objects.count() == count
