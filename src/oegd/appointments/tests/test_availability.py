"""Free slots: working plans, breaks, buffers, notice, horizon, claims, exceptions, qualifications,
rooms, group sessions, daylight-saving changes and public holidays (DE, DE-BY, NO, DK)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from oegd.appointments.availability import (
    Slot,
    explain_unavailable,
    find_free_slots,
    merge_intervals,
    public_holidays,
    resources_for_slot,
    subtract_intervals,
    wall_clock_period,
    working_periods,
)
from oegd.appointments.models import (
    Appointment,
    AppointmentType,
    AvailabilityException,
    GroupSession,
    Location,
    Resource,
    ResourceClaim,
    WorkingPlan,
)
from oegd.core.tests.factories import OfficeFactory

BERLIN = "Europe/Berlin"
WEEKDAYS = range(5)
# 2026-06-08 is a Monday without a public holiday in Berlin; Berlin is on CEST (UTC+2) then.
MONDAY = date(2026, 6, 8)
EARLY = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # a "now" well before the weeks under test


def at(day: date, hour: int, minute: int = 0, zone: str = BERLIN) -> datetime:
    """A local wall-clock time, as an aware datetime in UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def local_times(slots: list[Slot], day: date, zone: str = BERLIN) -> list[str]:
    tz = ZoneInfo(zone)
    return [f"{slot.start.astimezone(tz):%H:%M}" for slot in slots if slot.start.astimezone(tz).date() == day]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- rows ---------------------------------------------------------------------------------------


@pytest.fixture
def office(db):
    return OfficeFactory(slug="musterstadt")


def make_location(office, *, zone: str = BERLIN, country: str = "DE", subdivision: str = "BE") -> Location:
    return Location.objects.create(
        office=office, name=f"Haus {zone}", time_zone=zone, holiday_country=country, holiday_subdivision=subdivision
    )


@pytest.fixture
def location(office):
    return make_location(office)


def make_staff(location, name: str = "Dr. Adler", qualifications=(), plan=((8, 12), (13, 16)), days=WEEKDAYS):
    resource = Resource.objects.create(
        office=location.office,
        location=location,
        kind=Resource.Kind.STAFF,
        name=name,
        qualifications=list(qualifications),
    )
    for weekday in days:
        for start, end in plan:
            WorkingPlan.objects.create(resource=resource, weekday=weekday, start=time(start), end=time(end))
    return resource


def make_room(location, name: str = "Raum 1") -> Resource:
    return Resource.objects.create(office=location.office, location=location, kind=Resource.Kind.ROOM, name=name)


def make_type(location, slug: str = "beratung", **fields) -> AppointmentType:
    values = {
        "duration_minutes": 30,
        "slot_step_minutes": 30,
        "min_notice_minutes": 0,
        "horizon_days": 365,
        **fields,
    }
    return AppointmentType.objects.create(
        office=location.office, location=location, slug=slug, texts={"de": {"name": slug}}, **values
    )


def make_appointment(kind: AppointmentType, start: datetime, status=Appointment.Status.BOOKED, session=None):
    return Appointment.objects.create(
        office=kind.office,
        appointment_type=kind,
        session=session,
        start=start,
        end=start + timedelta(minutes=kind.duration_minutes),
        status=status,
        name="Erika Muster",
        email="erika@example.org",
        language="de",
        manage_token_hash="x" * 64,
    )


def claim(resource: Resource, kind: AppointmentType, start: datetime, end: datetime) -> ResourceClaim:
    appointment = make_appointment(kind, start)
    return ResourceClaim.objects.create(resource=resource, appointment=appointment, start=start, end=end)


def slots_on(kind: AppointmentType, day: date, now: datetime = EARLY, zone: str = BERLIN) -> list[Slot]:
    return find_free_slots(
        appointment_type=kind, start=at(day, 0, zone=zone), end=at(day + timedelta(days=1), 0, zone=zone), now=now
    )


# --- pure interval logic (no database) ---------------------------------------------------------


def test_merge_and_subtract_intervals():
    a, b, c, d, e = (utc(2026, 6, 8, hour) for hour in (8, 9, 10, 11, 12))
    assert merge_intervals([(c, d), (a, b), (b, c), (d, d)]) == [(a, d)]
    assert subtract_intervals([(a, e)], [(b, c), (c, d)]) == [(a, b), (d, e)]
    assert subtract_intervals([(a, b), (c, e)], [(a, e)]) == []
    assert subtract_intervals([(a, c)], [(d, e)]) == [(a, c)]


spans = st.lists(st.tuples(st.integers(0, 60), st.integers(1, 20)).map(lambda p: (p[0], p[0] + p[1])), max_size=8)


@given(base=spans, cuts=spans)
def test_interval_arithmetic_matches_sets_of_minutes(base, cuts):
    def minutes(intervals):
        return {m for a, b in intervals for m in range(a, b)}

    merged = merge_intervals(base)
    assert minutes(merged) == minutes(base)
    assert all(b < c for (_, b), (c, _) in zip(merged, merged[1:], strict=False))  # disjoint, not touching
    assert minutes(subtract_intervals(merged, cuts)) == minutes(base) - minutes(cuts)


@pytest.mark.parametrize(
    ("zone", "day", "plan", "expected"),
    [
        # Spring forward (02:00 -> 03:00): the plan 01:00-04:00 lasts two real hours.
        (BERLIN, date(2026, 3, 29), (1, 4), [(utc(2026, 3, 29, 0), utc(2026, 3, 29, 2))]),
        ("Europe/Oslo", date(2026, 3, 29), (1, 4), [(utc(2026, 3, 29, 0), utc(2026, 3, 29, 2))]),
        # A start inside the gap begins when the clocks jump (03:00 CEST = 01:00 UTC).
        (BERLIN, date(2026, 3, 29), (2, 4), [(utc(2026, 3, 29, 1), utc(2026, 3, 29, 2))]),
        # Fall back (03:00 -> 02:00): four real hours, 01:00 CEST to 04:00 CET.
        (BERLIN, date(2026, 10, 25), (1, 4), [(utc(2026, 10, 24, 23), utc(2026, 10, 25, 3))]),
        ("Europe/Oslo", date(2026, 10, 25), (1, 4), [(utc(2026, 10, 24, 23), utc(2026, 10, 25, 3))]),
        # 02:00-03:00 happens twice: both hours count.
        (BERLIN, date(2026, 10, 25), (2, 3), [(utc(2026, 10, 25, 0), utc(2026, 10, 25, 2))]),
        # An ordinary day before and after.
        (BERLIN, date(2026, 3, 28), (8, 12), [(utc(2026, 3, 28, 7), utc(2026, 3, 28, 11))]),
        (BERLIN, date(2026, 3, 30), (8, 12), [(utc(2026, 3, 30, 6), utc(2026, 3, 30, 10))]),
    ],
)
def test_wall_clock_period_across_daylight_saving_changes(zone, day, plan, expected):
    assert wall_clock_period(day, time(plan[0]), time(plan[1]), ZoneInfo(zone)) == expected


def test_half_hour_inside_the_fold_counts_twice():
    periods = wall_clock_period(date(2026, 10, 25), time(2), time(2, 30), ZoneInfo(BERLIN))
    assert periods == [
        (utc(2026, 10, 25, 0), utc(2026, 10, 25, 0, 30)),  # 02:00-02:30 CEST
        (utc(2026, 10, 25, 1), utc(2026, 10, 25, 1, 30)),  # 02:00-02:30 CET
    ]


def test_working_periods_respect_validity_and_closed_days():
    class Row:
        def __init__(self, weekday, valid_from=None, valid_until=None):
            self.weekday, self.start, self.end = weekday, time(8), time(9)
            self.valid_from, self.valid_until = valid_from, valid_until

    rows = [Row(0, valid_from=date(2026, 6, 15)), Row(1, valid_until=date(2026, 6, 9)), Row(2)]
    periods = working_periods(
        rows, date(2026, 6, 8), date(2026, 6, 17), ZoneInfo(BERLIN), closed_days={date(2026, 6, 10)}
    )
    assert [start.date() for start, _ in periods] == [date(2026, 6, 9), date(2026, 6, 15), date(2026, 6, 17)]


def test_public_holidays_by_country_and_region():
    assert date(2026, 5, 1) in public_holidays("DE", "", [2026])
    assert date(2026, 1, 6) in public_holidays("DE", "BY", [2026])
    assert date(2026, 1, 6) not in public_holidays("DE", "BE", [2026])
    assert date(2026, 5, 14) in public_holidays("NO", "", [2026])
    assert date(2026, 5, 14) in public_holidays("DK", "", [2026])


# --- slots from the database --------------------------------------------------------------------


def test_a_week_of_slots_with_a_lunch_break(location):
    person = make_staff(location)
    kind = make_type(location)
    slots = find_free_slots(
        appointment_type=kind, start=at(MONDAY, 0), end=at(MONDAY + timedelta(days=7), 0), now=EARLY
    )
    morning = ["08:00", "08:30", "09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    afternoon = ["13:00", "13:30", "14:00", "14:30", "15:00", "15:30"]
    assert len(slots) == 5 * 14
    assert local_times(slots, MONDAY) == morning + afternoon
    assert local_times(slots, MONDAY + timedelta(days=5)) == []  # Saturday
    first = slots[0]
    assert first == Slot(utc(2026, 6, 8, 6), utc(2026, 6, 8, 6, 30), 1, (person.id,))
    assert first.start.tzinfo == UTC


def test_buffers_must_fit_inside_working_time(location):
    make_staff(location, plan=((8, 12),))
    kind = make_type(location, buffer_before_minutes=10, buffer_after_minutes=5, slot_step_minutes=15)
    times = local_times(slots_on(kind, MONDAY), MONDAY)
    # 08:00 has no room for the 10 minutes before; 11:30 would end its buffer at 12:05.
    assert times[0] == "08:15"
    assert times[-1] == "11:15"
    assert len(times) == 13


def test_minimum_notice_and_horizon(location):
    make_staff(location)
    kind = make_type(location, min_notice_minutes=120, horizon_days=2)
    now = at(MONDAY, 9)
    slots = find_free_slots(appointment_type=kind, start=at(MONDAY, 0), end=at(MONDAY + timedelta(days=7), 0), now=now)
    assert local_times(slots, MONDAY)[0] == "11:00"
    assert slots[-1].start == at(MONDAY + timedelta(days=2), 9)  # Wednesday 09:00 is exactly the horizon
    assert local_times(slots, MONDAY + timedelta(days=2)) == ["08:00", "08:30", "09:00"]


def test_default_now_is_the_clock(location):
    make_staff(location)
    kind = make_type(location, min_notice_minutes=60)
    with time_machine.travel(at(MONDAY, 10, 15), tick=False):
        slots = find_free_slots(appointment_type=kind, start=at(MONDAY, 0), end=at(MONDAY, 23))
    assert local_times(slots, MONDAY)[0] == "11:30"


def test_claim_blocks_overlapping_slots_but_not_adjacent_ones(location):
    person = make_staff(location)
    kind = make_type(location)
    claim(person, kind, at(MONDAY, 9), at(MONDAY, 9, 30))
    times = local_times(slots_on(kind, MONDAY), MONDAY)
    assert "09:00" not in times
    assert {"08:30", "09:30"} <= set(times)


def test_claim_blocks_slots_whose_buffers_overlap(location):
    person = make_staff(location)
    kind = make_type(location, buffer_before_minutes=15, buffer_after_minutes=15)
    other = make_type(location, slug="other")
    claim(person, other, at(MONDAY, 10), at(MONDAY, 10, 30))
    times = local_times(slots_on(kind, MONDAY), MONDAY)
    assert "09:30" not in times and "10:00" not in times and "10:30" not in times
    assert {"09:00", "11:00"} <= set(times)


def test_cancelled_claims_do_not_block(location):
    person = make_staff(location)
    kind = make_type(location)
    claimed = claim(person, kind, at(MONDAY, 9), at(MONDAY, 9, 30))
    claimed.active = False
    claimed.save()
    assert "09:00" in local_times(slots_on(kind, MONDAY), MONDAY)


def test_resource_block_leaves_the_colleague_and_location_block_closes_all(location):
    adler = make_staff(location, "Adler")
    brandt = make_staff(location, "Brandt")
    kind = make_type(location)
    AvailabilityException.objects.create(resource=adler, start=at(MONDAY, 8), end=at(MONDAY, 10), reason="Fortbildung")
    AvailabilityException.objects.create(location=location, start=at(MONDAY, 13), end=at(MONDAY, 16), reason="Sitzung")
    slots = slots_on(kind, MONDAY)
    by_time = {f"{slot.start.astimezone(ZoneInfo(BERLIN)):%H:%M}": slot.resource_ids for slot in slots}
    assert by_time["08:00"] == (brandt.id,)
    assert by_time["10:00"] == (adler.id,)  # both free again: the lower id
    assert not any(slot.start >= at(MONDAY, 13) for slot in slots)


def test_extra_working_time_on_a_saturday(location):
    person = make_staff(location)
    kind = make_type(location)
    saturday = MONDAY + timedelta(days=5)
    AvailabilityException.objects.create(
        kind=AvailabilityException.Kind.EXTRA, resource=person, start=at(saturday, 10), end=at(saturday, 12)
    )
    # A location-wide EXTRA row says nobody in particular works: it adds nothing.
    AvailabilityException.objects.create(
        kind=AvailabilityException.Kind.EXTRA, location=location, start=at(saturday, 14), end=at(saturday, 16)
    )
    assert local_times(slots_on(kind, saturday), saturday) == ["10:00", "10:30", "11:00", "11:30"]


def test_required_qualification_filters_staff(location):
    make_staff(location, "Adler", qualifications=["vaccination"])
    brandt = make_staff(location, "Brandt", qualifications=["physician", "vaccination"])
    kind = make_type(location, required_qualification="physician")
    slots = slots_on(kind, MONDAY)
    assert len(slots) == 14
    assert {slot.resource_ids for slot in slots} == {(brandt.id,)}
    nobody = make_type(location, slug="sti", required_qualification="sti-testing")
    assert slots_on(nobody, MONDAY) == []


def test_staff_of_another_location_or_inactive_do_not_count(office, location):
    elsewhere = make_location(office, zone="Europe/Berlin", subdivision="BE")
    make_staff(elsewhere, "Woanders")
    idle = make_staff(location, "Ruhend")
    idle.is_active = False
    idle.save()
    kind = make_type(location)
    assert slots_on(kind, MONDAY) == []


def test_needs_room(location):
    person = make_staff(location)
    kind = make_type(location, needs_room=True)
    assert slots_on(kind, MONDAY) == []  # no room at all
    room = make_room(location)
    slots = slots_on(kind, MONDAY)
    assert len(slots) == 14 and slots[0].resource_ids == (person.id, room.id)
    claim(room, kind, at(MONDAY, 9), at(MONDAY, 9, 30))
    assert "09:00" not in local_times(slots_on(kind, MONDAY), MONDAY)
    # A second room takes over.
    second = make_room(location, "Raum 2")
    slots = {slot.start: slot for slot in slots_on(kind, MONDAY)}
    assert slots[at(MONDAY, 9)].resource_ids == (person.id, second.id)


def test_group_session_counts_down_and_disappears_when_full(location):
    person = make_staff(location)
    kind = make_type(location, slug="ifsg43", capacity=3, duration_minutes=60, slot_step_minutes=60)
    nine = at(MONDAY, 9)
    fresh = {slot.start: slot for slot in slots_on(kind, MONDAY)}
    assert fresh[nine] == Slot(nine, at(MONDAY, 10), 3, (person.id,))

    session = GroupSession.objects.create(appointment_type=kind, start=nine, end=at(MONDAY, 10))
    ResourceClaim.objects.create(resource=person, session=session, start=nine, end=at(MONDAY, 10))
    make_appointment(kind, nine, session=session)
    make_appointment(kind, nine, session=session, status=Appointment.Status.CANCELLED)
    slot = {slot.start: slot for slot in slots_on(kind, MONDAY)}[nine]
    assert (slot.places_left, slot.resource_ids) == (2, (person.id,))
    assert resources_for_slot(appointment_type=kind, start=nine, now=EARLY) == ([], session)

    make_appointment(kind, nine, session=session, status=Appointment.Status.PENDING)
    assert {slot.start: slot for slot in slots_on(kind, MONDAY)}[nine].places_left == 1
    make_appointment(kind, nine, session=session)
    assert nine not in {slot.start for slot in slots_on(kind, MONDAY)}
    assert resources_for_slot(appointment_type=kind, start=nine, now=EARLY) is None
    assert explain_unavailable(appointment_type=kind, start=nine, now=EARLY) == "taken"


def test_group_session_beside_a_free_colleague_is_still_one_session(location):
    adler = make_staff(location, "Adler")
    make_staff(location, "Brandt")
    kind = make_type(location, slug="ifsg43", capacity=2, duration_minutes=60, slot_step_minutes=60)
    nine = at(MONDAY, 9)
    session = GroupSession.objects.create(appointment_type=kind, start=nine, end=at(MONDAY, 10))
    ResourceClaim.objects.create(resource=adler, session=session, start=nine, end=at(MONDAY, 10))
    make_appointment(kind, nine, session=session)
    make_appointment(kind, nine, session=session)
    # Brandt is free at 09:00, but one type has one session per start.
    assert nine not in {slot.start for slot in slots_on(kind, MONDAY)}


def test_load_goes_to_the_staff_member_with_fewest_claims_that_day(location):
    adler = make_staff(location, "Adler")
    brandt = make_staff(location, "Brandt")
    kind = make_type(location)
    claim(adler, kind, at(MONDAY, 14), at(MONDAY, 14, 30))
    slots = {slot.start: slot for slot in slots_on(kind, MONDAY)}
    assert slots[at(MONDAY, 8)].resource_ids == (brandt.id,)
    assert slots[at(MONDAY, 14)].resource_ids == (brandt.id,)
    tuesday = MONDAY + timedelta(days=1)
    assert slots_on(kind, tuesday)[0].resource_ids == (adler.id,)  # a tie: the lower id


def test_queries_stay_few_for_a_long_range(location, django_assert_max_num_queries):
    for number in range(5):
        person = make_staff(location, f"Person {number}")
        claim(person, make_type(location, slug=f"t{number}"), at(MONDAY, 9), at(MONDAY, 10))
    make_room(location)
    kind = make_type(location, needs_room=True, capacity=4)
    kind = AppointmentType.objects.select_related("location").get(pk=kind.pk)
    with django_assert_max_num_queries(6):
        slots = find_free_slots(
            appointment_type=kind, start=at(MONDAY, 0), end=at(MONDAY + timedelta(days=90), 0), now=EARLY
        )
    assert len(slots) > 500


# --- daylight-saving changes ---------------------------------------------------------------------


@pytest.mark.parametrize("zone", [BERLIN, "Europe/Oslo"])
@pytest.mark.parametrize(
    ("before", "after", "utc_hour_before", "utc_hour_after"),
    [(date(2026, 3, 28), date(2026, 3, 29), 7, 6), (date(2026, 10, 24), date(2026, 10, 25), 6, 7)],
)
def test_eight_o_clock_stays_eight_o_clock_across_the_change(
    office, zone, before, after, utc_hour_before, utc_hour_after
):
    country = "NO" if zone == "Europe/Oslo" else "DE"
    location = make_location(office, zone=zone, country=country, subdivision="")
    make_staff(location, plan=((8, 12),), days=range(7))
    kind = make_type(location)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    for day, hour in ((before, utc_hour_before), (after, utc_hour_after)):
        slots = slots_on(kind, day, now=now, zone=zone)
        assert slots[0].start == datetime.combine(day, time(hour), tzinfo=UTC)
        assert local_times(slots, day, zone)[0] == "08:00"
        assert len(slots) == 8


@pytest.mark.parametrize("zone", [BERLIN, "Europe/Oslo"])
def test_a_plan_across_the_night_of_the_change(office, zone):
    location = make_location(office, zone=zone, country="", subdivision="")
    make_staff(location, plan=((1, 4),), days=[6])  # Sundays 01:00-04:00
    kind = make_type(location, duration_minutes=60, slot_step_minutes=60)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    spring = slots_on(kind, date(2026, 3, 29), now=now, zone=zone)
    # 01:00 CET and 03:00 CEST: the hour that does not exist offers nothing.
    assert [slot.start for slot in spring] == [utc(2026, 3, 29, 0), utc(2026, 3, 29, 1)]
    assert local_times(spring, date(2026, 3, 29), zone) == ["01:00", "03:00"]
    autumn = slots_on(kind, date(2026, 10, 25), now=now, zone=zone)
    # 01:00 CEST, 02:00 CEST, 02:00 CET, 03:00 CET: the repeated hour is offered twice.
    assert [slot.start for slot in autumn] == [utc(2026, 10, 24, 23), *(utc(2026, 10, 25, h) for h in (0, 1, 2))]
    assert local_times(autumn, date(2026, 10, 25), zone) == ["01:00", "02:00", "02:00", "03:00"]


# --- public holidays ---------------------------------------------------------------------------


def test_first_of_may_in_germany(location):
    make_staff(location)
    kind = make_type(location)
    now = datetime(2026, 4, 1, tzinfo=UTC)
    assert slots_on(kind, date(2026, 5, 1), now=now) == []
    assert len(slots_on(kind, date(2026, 4, 30), now=now)) == 14
    assert explain_unavailable(appointment_type=kind, start=at(date(2026, 5, 1), 9), now=now) == "closed"


@pytest.mark.parametrize(("zone", "country"), [("Europe/Oslo", "NO"), ("Europe/Copenhagen", "DK")])
def test_ascension_day_in_norway_and_denmark(office, zone, country):
    location = make_location(office, zone=zone, country=country, subdivision="")
    make_staff(location)
    kind = make_type(location)
    now = datetime(2026, 4, 1, tzinfo=UTC)
    assert slots_on(kind, date(2026, 5, 14), now=now, zone=zone) == []
    assert local_times(slots_on(kind, date(2026, 5, 13), now=now, zone=zone), date(2026, 5, 13), zone)[0] == "08:00"


def test_epiphany_is_a_holiday_in_bavaria_but_not_in_berlin(office):
    bavaria = make_location(office, subdivision="BY")
    berlin = make_location(office, subdivision="BE")
    make_staff(bavaria, "München")
    make_staff(berlin, "Berlin")
    in_bavaria, in_berlin = make_type(bavaria, slug="by"), make_type(berlin, slug="be")
    epiphany, now = date(2026, 1, 6), datetime(2026, 1, 1, tzinfo=UTC)
    assert slots_on(in_bavaria, epiphany, now=now) == []
    assert len(slots_on(in_berlin, epiphany, now=now)) == 14


def test_explicit_extra_time_counts_on_a_holiday(location):
    person = make_staff(location)
    kind = make_type(location)
    may_day, now = date(2026, 5, 1), datetime(2026, 4, 1, tzinfo=UTC)
    AvailabilityException.objects.create(
        kind=AvailabilityException.Kind.EXTRA, resource=person, start=at(may_day, 10), end=at(may_day, 11)
    )
    assert local_times(slots_on(kind, may_day, now=now), may_day) == ["10:00", "10:30"]


# --- resources_for_slot and explain_unavailable --------------------------------------------------


def test_resources_for_slot(location):
    person = make_staff(location)
    room = make_room(location)
    kind = make_type(location, needs_room=True)
    nine = at(MONDAY, 9)
    assert resources_for_slot(appointment_type=kind, start=nine, now=EARLY) == ([person, room], None)
    assert resources_for_slot(appointment_type=kind, start=at(MONDAY, 9, 10), now=EARLY) is None  # off the grid
    assert resources_for_slot(appointment_type=kind, start=at(MONDAY, 12), now=EARLY) is None  # lunch
    claim(person, kind, nine, at(MONDAY, 9, 30))
    assert resources_for_slot(appointment_type=kind, start=nine, now=EARLY) is None
    assert resources_for_slot(appointment_type=kind, start=nine, now=at(MONDAY, 10)) is None  # past


def test_resources_for_slot_of_a_new_group_session(location):
    person = make_staff(location)
    kind = make_type(location, capacity=10, duration_minutes=60, slot_step_minutes=60)
    assert resources_for_slot(appointment_type=kind, start=at(MONDAY, 8), now=EARLY) == ([person], None)


def test_explain_unavailable_gives_each_reason(location):
    person = make_staff(location)
    kind = make_type(location, min_notice_minutes=120, horizon_days=30)
    now = at(MONDAY, 9)

    def reason(start: datetime) -> str:
        return explain_unavailable(appointment_type=kind, start=start, now=now)

    tuesday = MONDAY + timedelta(days=1)
    claim(person, kind, at(tuesday, 9), at(tuesday, 9, 30))
    AvailabilityException.objects.create(resource=person, start=at(tuesday, 13), end=at(tuesday, 16))
    assert reason(at(MONDAY, 8)) == "past"
    assert reason(at(MONDAY, 10)) == "notice"
    assert reason(at(MONDAY + timedelta(days=31), 9)) == "horizon"
    assert reason(at(MONDAY + timedelta(days=5), 9)) == "closed"  # Saturday
    assert reason(at(tuesday, 12, 30)) == "closed"  # lunch break
    assert reason(at(tuesday, 14)) == "closed"  # blocked
    assert reason(at(tuesday, 9)) == "taken"
    assert reason(at(tuesday, 9, 10)) == "invalid"
    assert reason(at(tuesday, 9, 30)) == ""  # free
    with pytest.raises(ValueError, match="aware"):
        reason(datetime(2026, 6, 9, 9, 30))  # noqa: DTZ001 - a naive time is refused


def test_grid_counts_from_the_start_of_each_working_period(location):
    person = make_staff(location, plan=())
    WorkingPlan.objects.create(resource=person, weekday=0, start=time(8, 10), end=time(9))
    WorkingPlan.objects.create(resource=person, weekday=0, start=time(13, 5), end=time(13, 50))
    kind = make_type(location, duration_minutes=15, slot_step_minutes=15)
    assert local_times(slots_on(kind, MONDAY), MONDAY) == ["08:10", "08:25", "08:40", "13:05", "13:20", "13:35"]


def test_a_room_with_its_own_opening_hours(location):
    make_staff(location)
    room = make_room(location)
    for weekday in WEEKDAYS:
        WorkingPlan.objects.create(resource=room, weekday=weekday, start=time(8), end=time(12))
    kind = make_type(location, needs_room=True)
    assert local_times(slots_on(kind, MONDAY), MONDAY)[-1] == "11:30"
    assert explain_unavailable(appointment_type=kind, start=at(MONDAY, 14), now=EARLY) == "closed"


def test_a_start_between_whole_seconds_is_no_slot(location):
    make_staff(location)
    kind = make_type(location)
    start = at(MONDAY, 9) + timedelta(microseconds=500)
    assert resources_for_slot(appointment_type=kind, start=start, now=EARLY) is None
    assert explain_unavailable(appointment_type=kind, start=start, now=EARLY) == "invalid"


@pytest.mark.parametrize("seed", range(8))
def test_slots_agree_with_a_minute_by_minute_check(location, seed):
    import random

    rng = random.Random(seed)
    people = [make_staff(location, f"P{n}") for n in range(2)]
    kind = make_type(
        location,
        duration_minutes=rng.choice([20, 30, 45]),
        buffer_before_minutes=rng.choice([0, 5]),
        buffer_after_minutes=rng.choice([0, 10]),
        slot_step_minutes=rng.choice([10, 15]),
    )
    filler = make_type(location, slug="filler")
    busy: dict[int, set[datetime]] = {person.id: set() for person in people}
    for person in people:
        for _ in range(10):
            begin = at(MONDAY, rng.choice([8, 9, 10, 11, 13, 14, 15]), rng.choice([0, 10, 25, 40]))
            length = timedelta(minutes=rng.choice([15, 30, 50]))
            if any(begin <= m < begin + length for m in busy[person.id]):  # the database refuses overlaps
                continue
            claim(person, filler, begin, begin + length)
            busy[person.id] |= {begin + timedelta(minutes=k) for k in range(int(length.total_seconds() // 60))}

    def free_for(person, moment) -> bool:
        first = moment - timedelta(minutes=kind.buffer_before_minutes)
        length = kind.buffer_before_minutes + kind.duration_minutes + kind.buffer_after_minutes
        for k in range(length):
            minute = first + timedelta(minutes=k)
            local = minute.astimezone(ZoneInfo(BERLIN)).time()
            if not (time(8) <= local < time(12) or time(13) <= local < time(16)) or minute in busy[person.id]:
                return False
        return True

    expected = []
    for anchor, until in ((at(MONDAY, 8), at(MONDAY, 12)), (at(MONDAY, 13), at(MONDAY, 16))):
        moment = anchor
        while moment < until:
            if any(free_for(person, moment) for person in people):
                expected.append(moment)
            moment += timedelta(minutes=kind.slot_step_minutes)
    full_grid = sum(len(range(0, minutes, kind.slot_step_minutes)) for minutes in (240, 180))
    assert 0 < len(expected) < full_grid  # the claims do take some starts away
    assert [slot.start for slot in slots_on(kind, MONDAY)] == expected
