"""Booking, cancelling, rebooking: the rules, the audit, and no double booking under contention."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection, connections, transaction

from oegd.appointments import services
from oegd.appointments.models import Appointment, Reminder, ResourceClaim
from oegd.appointments.tests.factories import appointment_type, location, staff_resource
from oegd.core.models import AuditEvent

# Monday 2026-12-07, 09:00 in Berlin = 08:00 UTC; "now" is the Monday before.
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SLOT = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


@pytest.fixture
def setup(db):
    place = location()
    doctor = staff_resource(place)
    kind = appointment_type(place)
    with time_machine.travel(NOW, tick=False):
        yield place, doctor, kind


def book(kind, start=SLOT, email="mia@example.org", **kwargs):
    return services.book_appointment(
        actor=None, appointment_type=kind, start=start, name="Mia Muster", email=email, language="de", **kwargs
    )


def test_a_booking_claims_its_resources_and_schedules_reminders(setup):
    _place, doctor, kind = setup
    appointment, token = book(kind, phone="0170 1234567")
    assert appointment.status == Appointment.Status.BOOKED and token
    claim = ResourceClaim.objects.get(appointment=appointment)
    assert (claim.resource, claim.start, claim.end) == (doctor, SLOT, SLOT + timedelta(minutes=30))
    assert Reminder.objects.filter(appointment=appointment).count() == 4  # 24 h and 2 h, e-mail and SMS
    assert AuditEvent.objects.filter(action="appointment.book", object_id=str(appointment.pk)).exists()


@pytest.mark.parametrize(
    ("start", "code"),
    [
        (NOW - timedelta(days=1), "past"),
        (NOW + timedelta(minutes=30), "notice"),
        (NOW + timedelta(days=90), "horizon"),
        (datetime(2026, 12, 6, 9, 0, tzinfo=UTC), "closed"),  # a Sunday
        (SLOT + timedelta(minutes=10), "invalid"),  # off the 30-minute grid
    ],
)
def test_times_that_cannot_be_booked_are_refused_with_the_reason(setup, start, code):
    _place, _doctor, kind = setup
    with pytest.raises(services.BookingRefused) as refused:
        book(kind, start=start)
    assert refused.value.code == code and refused.value.message
    assert not Appointment.objects.exists()


def test_a_taken_slot_and_the_booking_limit(setup):
    _place, _doctor, kind = setup
    book(kind)
    with pytest.raises(services.BookingRefused) as refused:
        book(kind, email="other@example.org")
    assert refused.value.code == "taken"
    book(kind, start=SLOT + timedelta(hours=1))
    with pytest.raises(services.BookingRefused) as refused:
        book(kind, start=SLOT + timedelta(hours=2))  # two open bookings per person
    assert refused.value.code == "limit"
    assert Appointment.objects.count() == 2


def test_cancel_frees_the_slot_and_stops_reminders(setup):
    _place, _doctor, kind = setup
    appointment, _token = book(kind)
    services.cancel_appointment(actor=None, appointment=appointment)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    assert not ResourceClaim.objects.filter(appointment=appointment, active=True).exists()
    assert not Reminder.objects.filter(appointment=appointment, cancelled_at=None).exists()
    again, _ = book(kind, email="other@example.org")
    assert again.start == SLOT


def test_cancel_after_the_cutoff_is_refused_unless_by_the_office(setup):
    _place, _doctor, kind = setup
    appointment, _token = book(kind)
    with time_machine.travel(SLOT - timedelta(hours=3), tick=False):
        with pytest.raises(services.BookingRefused) as refused:
            services.cancel_appointment(actor=None, appointment=appointment)
        assert refused.value.code == "cutoff"
        assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.BOOKED
        services.cancel_appointment(actor=None, appointment=appointment, by_office=True)
    assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.CANCELLED


def test_rebook_moves_the_appointment_and_keeps_the_history(setup):
    _place, _doctor, kind = setup
    old, old_token = book(kind)
    new, new_token = services.rebook_appointment(actor=None, appointment=old, start=SLOT + timedelta(days=1))
    old.refresh_from_db()
    assert old.status == Appointment.Status.RESCHEDULED and old.moved_to == new
    assert new.start == SLOT + timedelta(days=1) and new_token != old_token
    assert not Reminder.objects.filter(appointment=old, cancelled_at=None).exists()
    # the old time is free again
    assert book(kind, email="other@example.org")[0].start == SLOT


def test_a_failed_rebook_changes_nothing(setup):
    _place, _doctor, kind = setup
    mine, _ = book(kind)
    theirs, _ = book(kind, start=SLOT + timedelta(days=1), email="other@example.org")
    with pytest.raises(services.BookingRefused):
        services.rebook_appointment(actor=None, appointment=mine, start=theirs.start)
    mine.refresh_from_db()
    assert mine.status == Appointment.Status.BOOKED
    assert ResourceClaim.objects.filter(appointment=mine, active=True).exists()


def test_pending_booking_holds_the_slot_until_confirmed(setup):
    _place, _doctor, kind = setup
    pending, token = book(kind, confirmed=False)
    assert pending.status == Appointment.Status.PENDING
    with pytest.raises(services.BookingRefused):
        book(kind, email="other@example.org")
    assert services.confirm_booking(token=token).status == Appointment.Status.BOOKED
    assert services.confirm_booking(token=token).status == Appointment.Status.BOOKED  # twice is harmless
    with pytest.raises(services.BookingRefused):
        services.confirm_booking(token="wrong")


def test_the_database_refuses_overlapping_claims(setup):
    _place, doctor, kind = setup
    if connection.vendor != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL")
    appointment, _ = book(kind)
    with pytest.raises(IntegrityError), transaction.atomic():
        ResourceClaim.objects.create(
            resource=doctor, appointment=appointment, start=SLOT + timedelta(minutes=15), end=SLOT + timedelta(hours=1)
        )
    # touching ends are fine: [) ranges
    ResourceClaim.objects.create(
        resource=doctor, appointment=appointment, start=SLOT + timedelta(minutes=30), end=SLOT + timedelta(hours=1)
    )


def _race(kind, attempts: int, workers: int) -> list[str]:
    """``attempts`` bookings of SLOT by different people, ``workers`` at the same moment."""
    go = threading.Event()

    def attempt(number: int) -> str:
        go.wait()
        try:
            book(kind, email=f"person{number}@example.org")
            return "booked"
        except services.BookingRefused as refused:
            return refused.code
        finally:
            connections.close_all()

    # time_machine patches the clock for the whole process, threads included
    with time_machine.travel(NOW, tick=False), ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(attempt, number) for number in range(attempts)]
        go.set()
        return [future.result() for future in futures]


@pytest.mark.django_db(transaction=True)
def test_two_hundred_concurrent_bookings_of_the_last_place_one_wins():
    place = location()
    staff_resource(place)
    kind = appointment_type(place)
    outcomes = _race(kind, attempts=200, workers=40)
    assert outcomes.count("booked") == 1
    assert set(outcomes) == {"booked", "taken"}  # everyone else: "no longer available"
    assert Appointment.objects.filter(status=Appointment.Status.BOOKED).count() == 1
    assert ResourceClaim.objects.filter(active=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_group_session_never_takes_more_people_than_it_has_places():
    place = location()
    staff_resource(place, qualifications=["ifsg43"])
    kind = appointment_type(
        place, slug="belehrung", capacity=5, required_qualification="ifsg43", max_active_per_person=1
    )
    outcomes = _race(kind, attempts=60, workers=30)
    assert outcomes.count("booked") == 5
    assert set(outcomes) == {"booked", "taken"}
    assert Appointment.objects.filter(status=Appointment.Status.BOOKED).count() == 5


def test_an_invitation_books_once_and_only_its_type(setup):
    place, _doctor, kind = setup
    invited = appointment_type(place, slug="schuleingang", audience="invited")
    with pytest.raises(services.BookingRefused):
        book(invited)
    invitation, _token = services.create_invitation(
        actor=None, appointment_type=invited, name="Kim", email="k@example.org"
    )
    with pytest.raises(services.BookingRefused):
        book(kind, invitation=invitation)  # another type
    book(invited, invitation=invitation)
    with pytest.raises(services.BookingRefused) as refused:
        book(invited, start=SLOT + timedelta(hours=1), invitation=invitation, email="k2@example.org")
    assert refused.value.code == "audience"
    assert Appointment.objects.filter(appointment_type=invited).count() == 1
