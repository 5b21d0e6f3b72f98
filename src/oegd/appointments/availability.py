"""Free appointment slots (freie Termine): working plans, public holidays, exceptions and claims.

How a free slot comes about, per resource:

1. Working periods: the ``WorkingPlan`` rows (weekday, local wall-clock times, validity dates) of
   every local date, turned into UTC intervals in the location's time zone; no regular working
   time on a public holiday of the location (``holidays``); plus EXTRA exceptions of the resource
   (explicit extra time counts even on a holiday). Slots start on the type's grid, counted from the
   start of each working period.
2. Open time: working periods minus BLOCKED exceptions of the resource or of its whole location.
3. Free time: open time minus the active ``ResourceClaim`` rows (which include buffers).

A start is offered when the appointment plus its buffers lies inside the free time of a qualified
staff member (and, when the type needs one, of a room of the location), at least the minimum
notice after now and at most the horizon ahead.

Daylight-saving changes follow the wall clock: a working period covers exactly the instants at
which the location's clocks show a time within the plan. A plan 01:00-04:00 therefore lasts two
real hours on the spring-forward night (02:00-03:00 does not exist, a start at 02:30 means 03:00)
and four real hours on the autumn-back night (02:00-03:00 happens twice and counts twice). The
grid keeps running in real time across such a night, starting at the period's first instant.

Rooms without any working plan are open whenever staff work (only blocks and claims limit them).
EXTRA exceptions apply to their resource; a location-wide EXTRA row adds no time (it would not say
who works). Existing group sessions with seats left are offered at their start even off the grid.

Everything for a range is loaded in a handful of queries; the rest is computed in Python.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections import defaultdict
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays
from django.db.models import BigIntegerField, Count, Func, Q
from django.utils import timezone

from oegd.appointments.models import (
    Appointment,
    AppointmentType,
    AvailabilityException,
    GroupSession,
    Resource,
    ResourceClaim,
    WorkingPlan,
)

Interval = tuple[datetime, datetime]

# Every instant whose wall-clock reading falls on a local date lies within this distance of it (UTC±14).
_MAX_OFFSET = timedelta(hours=15)
# Data is loaded this far around a requested range: grid anchors and the claims of "that day".
_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class Slot:
    """A bookable start (UTC). ``end`` = start + duration, without buffers; ``resource_ids`` is
    the staff member (and room) a booking would claim, or the resources of an existing session."""

    start: datetime
    end: datetime
    places_left: int
    resource_ids: tuple[int, ...]


class PlanRow(Protocol):
    weekday: int
    start: time
    end: time
    valid_from: date | None
    valid_until: date | None


# --- pure interval logic ----------------------------------------------------------------------


def merge_intervals[T: (datetime, int)](intervals: Iterable[tuple[T, T]]) -> list[tuple[T, T]]:
    """Sorted, disjoint union; touching intervals are joined (datetimes, or whole seconds inside)."""
    merged: list[tuple[T, T]] = []
    for start, end in sorted(intervals):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract_intervals[T: (datetime, int)](
    base: Sequence[tuple[T, T]], cuts: Iterable[tuple[T, T]]
) -> list[tuple[T, T]]:
    """``base`` (sorted, disjoint) minus the union of ``cuts``."""
    cut_list = merge_intervals(cuts)
    if not cut_list:
        return list(base)
    result: list[tuple[T, T]] = []
    index = 0
    for start, end in base:
        # Skip cuts that end before this piece begins.
        while index < len(cut_list) and cut_list[index][1] <= start:
            index += 1
        cursor = start
        probe = index
        while probe < len(cut_list) and cut_list[probe][0] < end:
            cut_start, cut_end = cut_list[probe]
            if cut_start > cursor:
                result.append((cursor, cut_start))
            cursor = max(cursor, cut_end)
            if cursor >= end:
                break
            probe += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def offset_segments(tz: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, datetime, timedelta]]:
    """Split UTC ``[start, end)`` into pieces of constant UTC offset: ``(from, until, offset)``.

    zoneinfo does not expose its transitions; offsets are sampled every 6 hours and a change is
    bisected to the second (time zones change at most twice a year, never twice in 6 hours).
    """

    def offset(second: int) -> timedelta:
        return datetime.fromtimestamp(second, tz).utcoffset() or timedelta(0)

    first, last = int(start.timestamp()), int(end.timestamp())
    samples = list(range(first, last, 6 * 3600)) + [last]
    segments = []
    segment_start, segment_offset = first, offset(first)
    previous = first
    for sample in samples[1:]:
        if offset(sample) != segment_offset:
            low, high = previous, sample  # offset(low) is the old one, offset(high) the new one
            while high - low > 1:
                middle = (low + high) // 2
                if offset(middle) == segment_offset:
                    low = middle
                else:
                    high = middle
            segments.append((segment_start, high, segment_offset))
            segment_start, segment_offset = high, offset(high)
        previous = sample
    segments.append((segment_start, last, segment_offset))
    return [(datetime.fromtimestamp(a, UTC), datetime.fromtimestamp(b, UTC), off) for a, b, off in segments if a < b]


def wall_clock_period(
    day: date, start: time, end: time, tz: ZoneInfo, segments: Sequence[tuple[datetime, datetime, timedelta]] = ()
) -> list[Interval]:
    """The UTC instants at which the clocks of ``tz`` show a time in ``[start, end)`` on ``day``.

    Usually one interval; a wall-clock time in the spring-forward gap does not exist (the period
    simply starts or ends at the jump), and times in the autumn fold count twice, so a plan
    02:00-02:30 on that night gives two intervals. ``segments`` (from ``offset_segments``) may be
    passed to reuse them for many days.
    """
    wall_start, wall_end = datetime.combine(day, start), datetime.combine(day, end)
    if not segments:
        anchor = datetime.combine(day, time(0), tzinfo=UTC)
        segments = offset_segments(tz, anchor - _MAX_OFFSET, anchor + timedelta(days=1) + _MAX_OFFSET)
    pieces = []
    for segment_start, segment_end, offset in segments:
        # The wall-clock readings during this segment, as naive local datetimes.
        local_from = (segment_start + offset).replace(tzinfo=None)
        local_until = (segment_end + offset).replace(tzinfo=None)
        if local_until <= wall_start or local_from >= wall_end:
            continue
        low, high = max(local_from, wall_start), min(local_until, wall_end)
        if low < high:
            pieces.append(((low - offset).replace(tzinfo=UTC), (high - offset).replace(tzinfo=UTC)))
    return merge_intervals(pieces)


def public_holidays(country: str, subdivision: str, years: Iterable[int]) -> frozenset[date]:
    """Dates of the public holidays of a country (and region, e.g. DE-BY) in the given years."""
    return _holiday_dates(country.upper(), subdivision.upper(), tuple(sorted(set(years))))


@functools.lru_cache(maxsize=64)
def _holiday_dates(country: str, subdivision: str, years: tuple[int, ...]) -> frozenset[date]:
    if not country:
        return frozenset()
    calendar = holidays.country_holidays(country, subdiv=subdivision or None, years=years)
    return frozenset(calendar.keys())


def working_periods(
    plans: Iterable[PlanRow],
    first_day: date,
    last_day: date,
    tz: ZoneInfo,
    closed_days: Container[date] = frozenset(),
    segments: Sequence[tuple[datetime, datetime, timedelta]] = (),
    cache: dict | None = None,
) -> list[Interval]:
    """Regular working periods (UTC) of one resource on the local dates ``first_day..last_day``,
    leaving out ``closed_days`` (public holidays); adjacent rows are joined. ``cache`` (a dict
    shared by the resources of one location and range) converts each local period only once."""
    cache = {} if cache is None else cache
    by_weekday: dict[int, list[PlanRow]] = defaultdict(list)
    for plan in plans:
        by_weekday[plan.weekday].append(plan)
    if not segments:
        segments = offset_segments(
            tz,
            datetime.combine(first_day, time(0), tzinfo=UTC) - _MAX_OFFSET,
            datetime.combine(last_day, time(0), tzinfo=UTC) + timedelta(days=1) + _MAX_OFFSET,
        )
    periods: list[Interval] = []
    day = first_day
    while day <= last_day:
        if day not in closed_days:
            for plan in by_weekday.get(day.weekday(), ()):
                if plan.valid_from and day < plan.valid_from or plan.valid_until and day > plan.valid_until:
                    continue
                key = (day, plan.start, plan.end)
                if key not in cache:
                    cache[key] = wall_clock_period(day, plan.start, plan.end, tz, segments)
                periods.extend(cache[key])
        day += timedelta(days=1)
    return merge_intervals(periods)


def _utc(value: datetime) -> datetime:
    if timezone.is_naive(value):
        raise ValueError("availability needs aware datetimes")
    return value.astimezone(UTC)


# --- loading and computing --------------------------------------------------------------------
# Inside one computation times are whole seconds since 1970 (UTC): loading 10,000 claims as
# integers and walking the grid with integers is several times faster than with datetimes.

Span = tuple[int, int]
_DAY = 86400


def _floor(value: datetime) -> int:
    return math.floor(value.timestamp())


def _ceil(value: datetime) -> int:
    return math.ceil(value.timestamp())


def _moment(second: int) -> datetime:
    return datetime.fromtimestamp(second, UTC)


def _seconds(intervals: Iterable[Interval], *, busy: bool = False) -> list[Span]:
    """Whole seconds; busy time is rounded outwards, working time inwards."""
    if busy:
        return [(_floor(a), _ceil(b)) for a, b in intervals]
    return [(_ceil(a), _floor(b)) for a, b in intervals]


class _EpochFloor(Func):
    """Whole seconds since 1970 computed by the database: an integer loads far faster than a datetime."""

    template = "CAST(FLOOR(EXTRACT(EPOCH FROM %(expressions)s)) AS bigint)"
    output_field = BigIntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        # The SQLite demo stores UTC text; claims start and end on whole minutes there.
        template = "CAST(strftime('%%%%s', %(expressions)s) AS integer)"
        return self.as_sql(compiler, connection, template=template, **extra_context)


class _EpochCeil(_EpochFloor):
    template = "CAST(CEIL(EXTRACT(EPOCH FROM %(expressions)s)) AS bigint)"


@dataclass
class _Calendar:
    """Everything about one appointment type around a range, loaded once (times in seconds)."""

    appointment_type: AppointmentType
    offset_starts: list[int]  # UTC offsets of the location: from these seconds on ...
    offsets: list[int]  # ... this offset in seconds applies
    staff: list[Resource]
    rooms: list[Resource]
    base: dict[int, list[Span]]  # working periods: the grid anchors
    open: dict[int, list[Span]]  # minus blocked time
    claims: dict[int, list[Span]]
    claims_per_day: dict[tuple[int, int], int]  # (resource, local day number) -> active claims
    sessions: dict[int, tuple[GroupSession, int, tuple[int, ...]]]  # session, seats taken, resources
    resources: dict[int, Resource] = field(default_factory=dict)

    def day_number(self, second: int) -> int:
        """The local date of an instant, as days since 1970."""
        index = bisect.bisect_right(self.offset_starts, second) - 1
        return (second + self.offsets[max(index, 0)]) // _DAY


def _candidates(appointment_type: AppointmentType) -> tuple[list[Resource], list[Resource]]:
    wanted = Q(kind=Resource.Kind.STAFF, office_id=appointment_type.office_id)
    if appointment_type.needs_room:
        wanted |= Q(kind=Resource.Kind.ROOM)
    resources = Resource.objects.filter(wanted, location_id=appointment_type.location_id, is_active=True).order_by("id")
    qualification = appointment_type.required_qualification
    staff, rooms = [], []
    for resource in resources:
        if resource.kind == Resource.Kind.ROOM:
            rooms.append(resource)
        elif not qualification or qualification in (resource.qualifications or []):
            staff.append(resource)
    return staff, rooms


def _load(appointment_type: AppointmentType, start: datetime, end: datetime) -> _Calendar:
    location = appointment_type.location
    tz = ZoneInfo(location.time_zone)
    staff, rooms = _candidates(appointment_type)
    if not staff or (appointment_type.needs_room and not rooms):
        staff, rooms = [], []
    ids = [resource.id for resource in staff + rooms]
    low, high = start - _MARGIN, end + _MARGIN
    first_day, last_day = low.astimezone(tz).date(), high.astimezone(tz).date()
    closed_days = public_holidays(
        location.holiday_country, location.holiday_subdivision, range(first_day.year, last_day.year + 1)
    )
    segments = offset_segments(
        tz,
        datetime.combine(first_day, time(0), tzinfo=UTC) - _MAX_OFFSET,
        datetime.combine(last_day, time(0), tzinfo=UTC) + timedelta(days=1) + _MAX_OFFSET,
    )

    plans: dict[int, list[WorkingPlan]] = defaultdict(list)
    for plan in WorkingPlan.objects.filter(resource_id__in=ids) if ids else ():
        plans[plan.resource_id].append(plan)
    extra: dict[int, list[Interval]] = defaultdict(list)
    blocked: dict[int, list[Interval]] = defaultdict(list)
    location_blocked: list[Interval] = []
    exceptions = AvailabilityException.objects.filter(
        Q(resource_id__in=ids) | Q(resource__isnull=True, location_id=location.id), start__lt=high, end__gt=low
    ).values_list("kind", "resource_id", "start", "end")
    for kind, resource_id, exception_start, exception_end in exceptions:
        interval = (exception_start, exception_end)
        if kind == AvailabilityException.Kind.EXTRA:
            if resource_id is not None:
                extra[resource_id].append(interval)
        elif resource_id is None:
            location_blocked.append(interval)
        else:
            blocked[resource_id].append(interval)

    calendar = _Calendar(
        appointment_type=appointment_type,
        offset_starts=[_floor(a) for a, _, _ in segments],
        offsets=[int(offset.total_seconds()) for _, _, offset in segments],
        staff=staff,
        rooms=rooms,
        base={},
        open={},
        claims=defaultdict(list),
        claims_per_day=defaultdict(int),
        sessions={},
        resources={resource.id: resource for resource in staff + rooms},
    )
    if ids:
        for resource_id, claim_start, claim_end in ResourceClaim.objects.filter(
            resource_id__in=ids, active=True, start__lt=high, end__gt=low
        ).values_list("resource_id", _EpochFloor("start"), _EpochCeil("end")):
            calendar.claims[resource_id].append((claim_start, claim_end))
            calendar.claims_per_day[(resource_id, calendar.day_number(claim_start))] += 1

    converted: dict = {}
    for resource in staff + rooms:
        if resource.kind == Resource.Kind.ROOM and not plans.get(resource.id):
            periods = [(low, high)]
        else:
            periods = working_periods(
                plans.get(resource.id, ()), first_day, last_day, tz, closed_days, segments, converted
            )
        base = merge_intervals(_seconds(periods + extra.get(resource.id, [])))
        calendar.base[resource.id] = base
        calendar.open[resource.id] = subtract_intervals(
            base, _seconds(blocked.get(resource.id, []) + location_blocked, busy=True)
        )

    if appointment_type.capacity > 1:
        found = list(
            GroupSession.objects.filter(appointment_type=appointment_type, start__gte=low, start__lt=high).annotate(
                taken=Count("seats", filter=Q(seats__status__in=Appointment.ACTIVE))
            )
        )
        held: dict[int, list[int]] = defaultdict(list)
        if found:
            for session_id, resource_id in (
                ResourceClaim.objects.filter(session__in=found, active=True)
                .order_by("resource__kind", "resource_id")
                .values_list("session_id", "resource_id")
            ):
                held[session_id].append(resource_id)
        for session in found:
            calendar.sessions[_floor(session.start)] = (session, session.taken, tuple(held[session.id]))
    return calendar


def _fits(starts: list[int], ends: list[int], low: int, high: int) -> bool:
    index = bisect.bisect_right(starts, low) - 1
    return index >= 0 and ends[index] >= high


def _compute(calendar: _Calendar, start: int, end: int, now: int, *, ignore_bookings: bool = False) -> dict[int, Slot]:
    """Slots with a start in ``[start, end)`` (seconds); ``ignore_bookings`` pretends nothing is
    claimed yet (to tell "taken" from "closed")."""
    kind = calendar.appointment_type
    if not kind.is_active:
        return {}
    duration = kind.duration_minutes * 60
    before, after = kind.buffer_before_minutes * 60, kind.buffer_after_minutes * 60
    step = max(kind.slot_step_minutes, 1) * 60
    earliest = max(start, now + kind.min_notice_minutes * 60)
    latest = min(end - 1, now + kind.horizon_days * _DAY)  # both inclusive
    counts = calendar.claims_per_day

    def free(resource_id: int) -> list[Span]:
        if ignore_bookings:
            return calendar.open[resource_id]
        return subtract_intervals(calendar.open[resource_id], calendar.claims.get(resource_id, []))

    # For each grid start, the rank of the best staff member free for it: fewest claims that
    # day first, then the lowest id.
    best: dict[int, int] = {}
    for person in calendar.staff:
        periods = calendar.base[person.id]
        index = 0
        for free_start, free_end in free(person.id):
            while periods[index][1] < free_end:  # the working period holding this free time
                index += 1
            anchor = periods[index][0]
            low = max(free_start + before, earliest)
            high = min(free_end - duration - after, latest)
            if low > high:
                continue
            first = anchor - ((anchor - low) // step) * step  # the first grid point >= low
            day = calendar.day_number(first)
            ranks: dict[int, int] | None
            if day == calendar.day_number(high):
                ranks = None
                rank = (counts.get((person.id, day), 0) << 32) | person.id
            else:
                ranks = {}  # a free period across local midnight (rare): rank per day
            for moment in range(first, high + 1, step):
                if ranks is not None:
                    day = calendar.day_number(moment)
                    if day not in ranks:
                        ranks[day] = (counts.get((person.id, day), 0) << 32) | person.id
                    rank = ranks[day]
                current = best.get(moment)
                if current is None or rank < current:
                    best[moment] = rank

    rooms: list[tuple[int, list[int], list[int]]] = []
    if kind.needs_room:
        for room in calendar.rooms:
            room_free = free(room.id)
            rooms.append((room.id, [a for a, _ in room_free], [b for _, b in room_free]))
    slots: dict[int, Slot] = {}
    for moment in sorted(best):
        chosen: tuple[int, ...] = (best[moment] & 0xFFFFFFFF,)
        if kind.needs_room:
            low, high = moment - before, moment + duration + after
            day = calendar.day_number(moment)
            free_rooms = [room_id for room_id, starts, ends in rooms if _fits(starts, ends, low, high)]
            if not free_rooms:
                continue
            chosen += (min(free_rooms, key=lambda room_id: (counts.get((room_id, day), 0), room_id)),)
        slots[moment] = Slot(_moment(moment), _moment(moment + duration), kind.capacity, chosen)

    if kind.capacity > 1 and not ignore_bookings:
        for moment, (session, taken, resource_ids) in calendar.sessions.items():
            slots.pop(moment, None)  # one session per start: never a second one beside it
            places_left = kind.capacity - taken
            if places_left > 0 and earliest <= moment <= latest:
                slots[moment] = Slot(_moment(moment), _utc(session.end), places_left, resource_ids)
        slots = dict(sorted(slots.items()))
    return slots


# --- public face ------------------------------------------------------------------------------


def find_free_slots(
    *, appointment_type: AppointmentType, start: datetime, end: datetime, now: datetime | None = None
) -> list[Slot]:
    """Free slots of a type with a start in ``[start, end)`` (UTC), each start offered once."""
    start, end = _utc(start), _utc(end)
    now = _utc(now or timezone.now())
    if start >= end:
        return []
    calendar = _load(appointment_type, start, end)
    return list(_compute(calendar, _ceil(start), _ceil(end), _ceil(now)).values())


def _slot_at(appointment_type: AppointmentType, start: datetime, now: datetime) -> tuple[_Calendar, Slot | None, int]:
    calendar = _load(appointment_type, start, start + timedelta(seconds=1))
    second = _floor(start)
    if second != start.timestamp():
        return calendar, None, second  # grid points are whole minutes
    return calendar, _compute(calendar, second, second + 1, _ceil(now)).get(second), second


def resources_for_slot(
    *, appointment_type: AppointmentType, start: datetime, now: datetime | None = None
) -> tuple[list[Resource], GroupSession | None] | None:
    """What a booking at exactly ``start`` would claim now: ``(resources, None)`` for a new
    appointment or group session, ``([], session)`` for a seat in an existing group session, or
    None when ``start`` is no free slot (taken, past, off the grid, closed, beyond the horizon)."""
    start = _utc(start)
    now = _utc(now or timezone.now())
    calendar, slot, second = _slot_at(appointment_type, start, now)
    if slot is None:
        return None
    if second in calendar.sessions:
        return [], calendar.sessions[second][0]
    return [calendar.resources[resource_id] for resource_id in slot.resource_ids], None


def explain_unavailable(*, appointment_type: AppointmentType, start: datetime, now: datetime | None = None) -> str:
    """Why ``start`` cannot be booked: "past", "notice", "horizon", "closed" (holiday, no working
    time, blocked), "taken" (claimed or full) or "invalid" (off the grid); "" when it is free."""
    start = _utc(start)
    now = _utc(now or timezone.now())
    if start < now:
        return "past"
    if start < now + timedelta(minutes=appointment_type.min_notice_minutes):
        return "notice"
    if start > now + timedelta(days=appointment_type.horizon_days):
        return "horizon"
    calendar, slot, second = _slot_at(appointment_type, start, now)
    if slot is not None:
        return ""
    exact = second == start.timestamp()
    if exact and second in _compute(calendar, second, second + 1, _ceil(now), ignore_bookings=True):
        return "taken"
    step = max(appointment_type.slot_step_minutes, 1) * 60
    working = False
    for person in calendar.staff:
        if not any(a <= second < b for a, b in calendar.open[person.id]):
            continue
        working = True
        for period_start, period_end in calendar.base[person.id]:
            if exact and period_start <= second < period_end and (second - period_start) % step == 0:
                return "closed"  # on the grid, yet the appointment does not fit (period end, room)
    return "invalid" if working else "closed"
