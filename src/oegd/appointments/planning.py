"""Staff planning of appointments: calendars, resources, working plans, exceptions, closures, counts.

Every write is keyword-only, runs in one transaction and records its audit event. Reads are
scoped to the active office: another office's locations, resources, plans and appointments do
not exist here (404). Times are stored in UTC and planned and shown in the location's time zone.
"""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from oegd.appointments import selectors
from oegd.appointments.models import (
    Appointment,
    AppointmentType,
    AvailabilityException,
    Invitation,
    Location,
    Resource,
    WorkingPlan,
)
from oegd.core import audit
from oegd.core.models import Office, User
from oegd.core.services import DomainError


class PlanningRefused(DomainError):
    """A planning entry that cannot be saved; ``field`` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# --- time zones -------------------------------------------------------------------------------


def zone_of(location: Location | None) -> ZoneInfo:
    """The time zone appointments of ``location`` are planned and shown in."""
    return ZoneInfo(location.time_zone if location is not None else settings.TIME_ZONE)


def office_zone(*, office: Office, location: Location | None = None) -> ZoneInfo:
    """The time zone of a calendar: the chosen location's, else the office's first location's."""
    if location is None:
        location = office.locations.order_by("pk").first()
    return zone_of(location)


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants of local midnight at the start and end of ``day`` (23 or 25 hours at DST changes)."""
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


# --- scoped look-ups --------------------------------------------------------------------------


def locations_of_office(*, office: Office) -> QuerySet[Location]:
    return Location.objects.filter(office=office).order_by("name")


def resources_of_office(*, office: Office, location: Location | None = None) -> QuerySet[Resource]:
    resources = Resource.objects.filter(office=office).select_related("location", "user")
    if location is not None:
        resources = resources.filter(location=location)
    return resources.order_by("location__name", "kind", "name")


def get_location_for_office(*, office: Office, location_id: Any) -> Location:
    return get_object_or_404(locations_of_office(office=office), pk=_int_or_404(location_id))


def get_resource_for_office(*, office: Office, resource_id: Any) -> Resource:
    return get_object_or_404(resources_of_office(office=office), pk=_int_or_404(resource_id))


def get_working_plan_for_office(*, office: Office, plan_id: Any) -> WorkingPlan:
    return get_object_or_404(
        WorkingPlan.objects.select_related("resource__location"), resource__office=office, pk=_int_or_404(plan_id)
    )


def get_exception_for_office(*, office: Office, exception_id: Any) -> AvailabilityException:
    """A blocked/extra period of one of the office's resources or locations."""
    return get_object_or_404(
        AvailabilityException.objects.select_related("resource__location", "location"),
        Q(resource__office=office) | Q(resource=None, location__office=office),
        pk=_int_or_404(exception_id),
    )


def get_appointment_for_staff(*, user: User, office: Office, public_id: Any) -> Appointment:
    """One appointment of the active office with the person's details; the read is audited."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:  # a malformed id is as unknown as another office's appointment
        raise Http404 from exc
    appointment = get_object_or_404(
        Appointment.objects.select_related("appointment_type__location", "session", "booked_by", "citizen"),
        office=office,
        public_id=key,
    )
    audit.record(user, "appointment.read", appointment, office=office, subject=appointment.citizen)
    return appointment


def staff_members_of_office(*, office: Office) -> QuerySet[User]:
    return User.objects.filter(kind=User.Kind.STAFF, memberships__office=office).distinct().order_by("full_name")


def appointment_types_of_office(*, office: Office) -> QuerySet[AppointmentType]:
    return AppointmentType.objects.filter(office=office, is_active=True).select_related("location").order_by("slug")


def get_appointment_type_for_office(*, office: Office, type_id: Any) -> AppointmentType:
    return get_object_or_404(appointment_types_of_office(office=office), pk=_int_or_404(type_id))


def _int_or_404(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc


# --- calendars --------------------------------------------------------------------------------


_TOOK_PLACE = (Appointment.Status.COMPLETED, Appointment.Status.NO_SHOW)


@dataclass
class Attendee:
    name: str
    public_id: str
    status: str
    status_label: str


@dataclass
class CalendarEntry:
    """One line of a calendar: a single appointment, or a group session with its seats."""

    start: datetime  # local time of the location
    end: datetime
    type_name: str
    location: str
    resources: list[str]
    attendees: list[Attendee] = field(default_factory=list)
    is_group: bool = False
    seats_taken: int = 0
    capacity: int = 1

    @property
    def first(self) -> Attendee:
        return self.attendees[0]


@dataclass
class CalendarDay:
    day: date
    entries: list[CalendarEntry]


def calendar(
    *,
    user: User,
    office: Office,
    first_day: date,
    days: int,
    resource: Resource | None = None,
    location: Location | None = None,
    include_cancelled: bool = False,
) -> list[CalendarDay]:
    """The office's appointments on ``days`` local days from ``first_day``, grouped by day; group
    sessions become one entry with their seats. The read of names is audited once."""
    zone = office_zone(office=office, location=location)
    start, _unused = local_day_bounds(first_day, zone)
    _unused, end = local_day_bounds(first_day + timedelta(days=days - 1), zone)
    appointments = selectors.appointments_of_office(
        office=office, start=start, end=end, resource=resource, location=location
    ).prefetch_related("claims__resource", "session__claims__resource")
    if not include_cancelled:
        appointments = appointments.exclude(status__in=[Appointment.Status.CANCELLED, Appointment.Status.RESCHEDULED])
    by_day: dict[date, list[CalendarEntry]] = {first_day + timedelta(days=n): [] for n in range(days)}
    sessions: dict[int, CalendarEntry] = {}
    for appointment in appointments:
        appointment_type = appointment.appointment_type
        own_zone = zone_of(appointment_type.location)
        local_start = appointment.start.astimezone(own_zone)
        attendee = Attendee(
            name=appointment.name,
            public_id=str(appointment.public_id),
            status=appointment.status,
            status_label=appointment.get_status_display(),
        )
        if appointment.session_id is not None and appointment.session_id in sessions:
            entry = sessions[appointment.session_id]
            entry.attendees.append(attendee)
            entry.seats_taken += appointment.is_active or appointment.status in _TOOK_PLACE
            continue
        claims = appointment.session.claims.all() if appointment.session_id else appointment.claims.all()
        entry = CalendarEntry(
            start=local_start,
            end=appointment.end.astimezone(own_zone),
            type_name=appointment_type.name or appointment_type.slug,
            location=appointment_type.location.name,
            resources=sorted({claim.resource.name for claim in claims}),
            attendees=[attendee],
            is_group=appointment_type.capacity > 1,
            seats_taken=int(appointment.is_active or appointment.status in _TOOK_PLACE),
            capacity=appointment_type.capacity,
        )
        if appointment.session_id is not None:
            sessions[appointment.session_id] = entry
        local_day = local_start.astimezone(zone).date()
        if local_day in by_day:  # an appointment begun the evening before stays on its own day
            by_day[local_day].append(entry)
    audit.record(
        user,
        "appointment.calendar",
        office=office,
        purpose=f"{first_day.isoformat()}+{days}d"
        + (f" resource {resource.pk}" if resource else "")
        + (f" location {location.pk}" if location else ""),
    )
    return [CalendarDay(day=day, entries=entries) for day, entries in by_day.items()]


# --- resources --------------------------------------------------------------------------------


def parse_qualifications(text: str) -> list[str]:
    """ "Physician, vaccination" -> ["physician", "vaccination"] (lower case, no duplicates)."""
    seen: list[str] = []
    for part in text.replace(";", ",").split(","):
        value = part.strip().lower()
        if value and value not in seen:
            seen.append(value[:50])
    return seen


def create_resource(
    *,
    actor: User,
    office: Office,
    location: Location,
    kind: str,
    name: str = "",
    user: User | None = None,
    qualifications: list[str] | None = None,
) -> Resource:
    """Make a staff member of the office or a room bookable at one of the office's locations."""
    if location.office_id != office.pk:
        raise PlanningRefused(_("Choose a location of this office."), "location")
    name = name.strip()
    if kind == Resource.Kind.STAFF:
        if user is None or not staff_members_of_office(office=office).filter(pk=user.pk).exists():
            raise PlanningRefused(_("Choose a staff member of this office."), "user")
        name = name or user.full_name or user.email
    elif kind == Resource.Kind.ROOM:
        if not name:
            raise PlanningRefused(_("Enter the name of the room."), "name")
        user = None
    else:
        raise PlanningRefused(_("Choose a staff member or a room."), "kind")
    with transaction.atomic():
        Location.objects.select_for_update().get(pk=location.pk)  # one creation at a time per location
        duplicate = Resource.objects.filter(office=office, location=location, kind=kind)
        duplicate = duplicate.filter(user=user) if user is not None else duplicate.filter(name__iexact=name)
        if duplicate.exists():
            message = (
                _("This staff member is already planned at this location.")
                if user is not None
                else _("A room with this name exists already at this location.")
            )
            raise PlanningRefused(message, "user" if user is not None else "name")
        resource = Resource.objects.create(
            office=office,
            location=location,
            kind=kind,
            name=name[:200],
            user=user,
            qualifications=list(qualifications or []),
        )
        audit.record(actor, "appointment_resource.create", resource, office=office)
    return resource


def update_resource(
    *, actor: User, resource: Resource, name: str, qualifications: list[str], is_active: bool
) -> Resource:
    """Rename a resource, set its qualifications, or take it out of planning (inactive)."""
    name = name.strip()
    if not name:
        raise PlanningRefused(_("Enter a name."), "name")
    with transaction.atomic():
        resource = Resource.objects.select_for_update().get(pk=resource.pk)
        resource.name = name[:200]
        resource.qualifications = list(qualifications)
        resource.is_active = is_active
        resource.save(update_fields=["name", "qualifications", "is_active"])
        audit.record(actor, "appointment_resource.update", resource, office=resource.office)
    return resource


# --- working plans ----------------------------------------------------------------------------


def _periods_meet(a_from: date | None, a_until: date | None, b_from: date | None, b_until: date | None) -> bool:
    """Do two validity periods (open ends allowed) share a day?"""
    return (a_from is None or b_until is None or a_from <= b_until) and (
        b_from is None or a_until is None or b_from <= a_until
    )


def add_working_plan(
    *,
    actor: User,
    resource: Resource,
    weekday: int,
    start: time,
    end: time,
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> WorkingPlan:
    """Add a regular working period (local wall-clock time of the location) on one weekday.

    Refused when the period ends before it starts, the validity ends before it begins, or it
    overlaps another period of the same resource on that weekday while both are valid.
    """
    if weekday not in range(7):
        raise PlanningRefused(_("Choose a weekday."), "weekday")
    if end <= start:
        raise PlanningRefused(_("The end must be after the start."), "end")
    if valid_from and valid_until and valid_until < valid_from:
        raise PlanningRefused(_("The end of the validity must not be before its start."), "valid_until")
    with transaction.atomic():
        # Lock the resource so two concurrent additions cannot both pass the overlap check.
        resource = Resource.objects.select_for_update().get(pk=resource.pk)
        for other in WorkingPlan.objects.filter(resource=resource, weekday=weekday, start__lt=end, end__gt=start):
            if _periods_meet(valid_from, valid_until, other.valid_from, other.valid_until):
                raise PlanningRefused(
                    _("This overlaps the working time %(start)s–%(end)s on the same weekday.")
                    % {"start": other.start.strftime("%H:%M"), "end": other.end.strftime("%H:%M")},
                    "start",
                )
        plan = WorkingPlan.objects.create(
            resource=resource,
            weekday=weekday,
            start=start,
            end=end,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        audit.record(actor, "appointment_plan.add", plan, office=resource.office)
    return plan


def delete_working_plan(*, actor: User, plan: WorkingPlan) -> None:
    """Remove a working period; booked appointments stay (staff rebook or cancel them)."""
    with transaction.atomic():
        office = plan.resource.office
        audit.record(actor, "appointment_plan.delete", plan, office=office, purpose=str(plan))
        plan.delete()


# --- exceptions and closures ------------------------------------------------------------------


def add_exception(
    *,
    actor: User,
    office: Office,
    start: datetime,
    end: datetime,
    kind: str = AvailabilityException.Kind.BLOCKED,
    reason: str = "",
    resource: Resource | None = None,
    location: Location | None = None,
) -> AvailabilityException:
    """Block (leave, training) or add (extra hours) a period of one resource, or close a whole
    location (``location`` without ``resource``). Aware datetimes; stored in UTC."""
    if (resource is None) == (location is None):
        raise PlanningRefused(_("Choose either a resource or a location."))
    target_office = resource.office_id if resource is not None else location.office_id  # type: ignore[union-attr]
    if target_office != office.pk:
        raise PlanningRefused(_("Choose a resource or location of this office."))
    if kind not in AvailabilityException.Kind.values:
        raise PlanningRefused(_("Choose blocked or extra time."), "kind")
    if location is not None and kind != AvailabilityException.Kind.BLOCKED:
        raise PlanningRefused(_("A location can only be closed."), "kind")
    if end <= start:
        raise PlanningRefused(_("The end must be after the start."), "end")
    with transaction.atomic():
        exception = AvailabilityException.objects.create(
            kind=kind,
            resource=resource,
            location=location,
            start=start,
            end=end,
            reason=reason.strip()[:200],
        )
        action = "appointment_closure.add" if location is not None else "appointment_exception.add"
        audit.record(actor, action, exception, office=office)
    return exception


def delete_exception(*, actor: User, office: Office, exception: AvailabilityException) -> None:
    with transaction.atomic():
        audit.record(actor, "appointment_exception.delete", exception, office=office, purpose=exception.reason)
        exception.delete()


def exceptions_of_resource(*, resource: Resource) -> QuerySet[AvailabilityException]:
    return AvailabilityException.objects.filter(resource=resource).order_by("-start")


def closures_of_office(*, office: Office) -> QuerySet[AvailabilityException]:
    return (
        AvailabilityException.objects.filter(resource=None, location__office=office)
        .select_related("location")
        .order_by("-start")
    )


# --- counts for the warehouse -----------------------------------------------------------------


def _empty_counts(name: str) -> dict[str, Any]:
    return {"name": name, "bookings": 0, "cancellations": 0, "no_shows": 0, "completed": 0, "lead_hours": []}


def appointment_counts(*, office: Office, start: datetime, end: datetime) -> dict[str, Any]:
    """Figures of the office's appointments that were due in ``start``..``end`` (no names).

    Per appointment type (by slug) and in total: ``bookings`` (every appointment due in the
    period; a moved one counts once, at its new time), ``cancellations``, ``no_shows``,
    ``completed`` and ``median_lead_time_hours`` (booking to start, over the bookings; None
    without any). Returns ``{"start", "end", "types": {slug: figures}, "total": figures}``.
    """
    rows = (
        Appointment.objects.filter(office=office, start__gte=start, start__lt=end)
        .exclude(status=Appointment.Status.RESCHEDULED)
        .values_list("appointment_type_id", "status", "created_at", "start")
    )
    type_names = {
        pk: (slug, texts)
        for pk, slug, texts in AppointmentType.objects.filter(office=office).values_list("pk", "slug", "texts")
    }
    per_type: dict[str, dict[str, Any]] = {}
    total = _empty_counts(_("All types"))
    for type_id, status, created_at, due in rows:
        slug, _texts = type_names[type_id]
        if slug not in per_type:
            per_type[slug] = _empty_counts(AppointmentType(slug=slug, texts=_texts).name or slug)
        for figures in (per_type[slug], total):
            figures["bookings"] += 1
            figures["cancellations"] += status == Appointment.Status.CANCELLED
            figures["no_shows"] += status == Appointment.Status.NO_SHOW
            figures["completed"] += status == Appointment.Status.COMPLETED
            figures["lead_hours"].append(max((due - created_at).total_seconds(), 0) / 3600)
    for figures in (*per_type.values(), total):
        lead = figures.pop("lead_hours")
        figures["median_lead_time_hours"] = round(statistics.median(lead), 1) if lead else None
    return {"start": start, "end": end, "types": dict(sorted(per_type.items())), "total": total}


# --- appointment types (office admins) --------------------------------------------------------

DURATION_MINUTES = (5, 480)
SLOT_STEP_MINUTES = (5, 240)
TEXT_LANGUAGES = [code for code, _name in settings.LANGUAGES]
MAX_REMINDER_MINUTES = 60 * 24 * 60  # 60 days


class AppointmentTypeRefused(PlanningRefused):
    """An appointment type that cannot be saved; ``errors`` maps form fields to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        field_name, message = next(iter(errors.items()))
        super().__init__(message, field_name)
        self.errors = errors


def appointment_types_for_editing(*, office: Office) -> QuerySet[AppointmentType]:
    """All types of the office, the inactive ones too (the editor lists and reopens them)."""
    return AppointmentType.objects.filter(office=office).select_related("location").order_by("slug")


def get_appointment_type_for_editing(*, office: Office, type_id: Any) -> AppointmentType:
    return get_object_or_404(appointment_types_for_editing(office=office), pk=_int_or_404(type_id))


def parse_reminder_offsets(text: str) -> list[int]:
    """ "1440, 120" -> [1440, 120] (minutes before the start, largest first, no duplicates)."""
    offsets: set[int] = set()
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 0 < int(part) <= MAX_REMINDER_MINUTES:
            raise AppointmentTypeRefused(
                {
                    "reminder_offsets": _(
                        "Enter whole minutes between 1 and %(max)s, separated by commas, e.g. 1440, 120."
                    )
                    % {"max": MAX_REMINDER_MINUTES}
                }
            )
        offsets.add(int(part))
    return sorted(offsets, reverse=True)


def _clean_texts(texts: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Only the platform's languages, stripped; a language without a name and description is left out."""
    cleaned: dict[str, dict[str, str]] = {}
    for language in TEXT_LANGUAGES:
        entry = texts.get(language) or {}
        name = str(entry.get("name", "")).strip()[:200]
        description = str(entry.get("description", "")).strip()[:2000]
        if name or description:
            cleaned[language] = {"name": name, "description": description}
    return cleaned


def save_appointment_type(
    *,
    actor: User,
    office: Office,
    appointment_type: AppointmentType | None = None,
    slug: str = "",
    location: Location,
    texts: dict[str, dict[str, str]],
    mode: str = AppointmentType.Mode.IN_PERSON,
    audience: str = AppointmentType.Audience.PUBLIC,
    duration_minutes: int,
    buffer_before_minutes: int = 0,
    buffer_after_minutes: int = 0,
    slot_step_minutes: int = 15,
    min_notice_minutes: int = 120,
    horizon_days: int = 60,
    cancellation_cutoff_minutes: int = 1440,
    capacity: int = 1,
    required_qualification: str = "",
    needs_room: bool = False,
    max_active_per_person: int = 2,
    reminder_offsets: list[int] | None = None,
    is_active: bool = True,
) -> AppointmentType:
    """Create (without ``appointment_type``) or change a type of the office (Terminart).

    Every problem is collected into one ``AppointmentTypeRefused`` (field -> message); then
    nothing is saved. The slug is set once at creation. Booked appointments keep their times.
    """
    errors: dict[str, str] = {}
    if appointment_type is not None and appointment_type.office_id != office.pk:
        raise Http404
    texts = _clean_texts(texts)
    if not texts.get(settings.LANGUAGE_CODE, {}).get("name"):
        errors[f"name_{settings.LANGUAGE_CODE}"] = _("Enter the name in German.")
    if appointment_type is None:
        slug = slug.strip().lower()
        try:
            validate_slug(slug)
            if len(slug) > 50:
                raise ValidationError("too long")
        except ValidationError:
            errors["slug"] = _("Use lower-case letters, digits and hyphens only, e.g. impfberatung.")
        else:
            if AppointmentType.objects.filter(office=office, slug=slug).exists():
                errors["slug"] = _("This office already has a type with this short name.")
    if location is None or location.office_id != office.pk:
        errors["location"] = _("Choose a location of this office.")
    if mode not in AppointmentType.Mode.values:
        errors["mode"] = _("Choose how the appointment takes place.")
    if audience not in AppointmentType.Audience.values:
        errors["audience"] = _("Choose who may book.")
    ranges = {
        "duration_minutes": DURATION_MINUTES,
        "slot_step_minutes": SLOT_STEP_MINUTES,
        "buffer_before_minutes": (0, 240),
        "buffer_after_minutes": (0, 240),
        "min_notice_minutes": (0, 60 * 24 * 60),
        "horizon_days": (1, 730),
        "cancellation_cutoff_minutes": (0, 60 * 24 * 60),
        "capacity": (1, 1000),
        "max_active_per_person": (1, 100),
    }
    numbers = {
        "duration_minutes": duration_minutes,
        "slot_step_minutes": slot_step_minutes,
        "buffer_before_minutes": buffer_before_minutes,
        "buffer_after_minutes": buffer_after_minutes,
        "min_notice_minutes": min_notice_minutes,
        "horizon_days": horizon_days,
        "cancellation_cutoff_minutes": cancellation_cutoff_minutes,
        "capacity": capacity,
        "max_active_per_person": max_active_per_person,
    }
    for name, (low, high) in ranges.items():
        value = numbers[name]
        if not isinstance(value, int) or not low <= value <= high:
            errors[name] = _("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
    offsets = sorted({int(offset) for offset in reminder_offsets or []}, reverse=True)
    if any(not 0 < offset <= MAX_REMINDER_MINUTES for offset in offsets):
        errors["reminder_offsets"] = _(
            "Enter whole minutes between 1 and %(max)s, separated by commas, e.g. 1440, 120."
        ) % {"max": MAX_REMINDER_MINUTES}
    if errors:
        raise AppointmentTypeRefused(errors)

    values = {
        "texts": texts,
        "location": location,
        "mode": mode,
        "audience": audience,
        **numbers,
        "required_qualification": parse_qualifications(required_qualification)[0]
        if required_qualification.strip()
        else "",
        "needs_room": needs_room,
        "reminder_offsets": offsets,
        "is_active": is_active,
    }
    try:
        with transaction.atomic():
            if appointment_type is None:
                appointment_type = AppointmentType.objects.create(office=office, slug=slug, **values)
                purpose = "create"
            else:
                appointment_type = AppointmentType.objects.select_for_update().get(pk=appointment_type.pk)
                for name, value in values.items():
                    setattr(appointment_type, name, value)
                appointment_type.save(update_fields=list(values))
                purpose = "update"
            audit.record(actor, "appointment_type.save", appointment_type, office=office, purpose=purpose)
    except IntegrityError as exc:  # two admins created the same short name at once
        raise AppointmentTypeRefused({"slug": _("This office already has a type with this short name.")}) from exc
    return appointment_type


def invite_to_book(
    *, actor: User, office: Office, appointment_type: AppointmentType, name: str, email: str
) -> Invitation:
    """Invite someone by e-mail (in German) to book ``appointment_type``; the mail goes out on commit."""
    from oegd.appointments import notifications, services

    if appointment_type.office_id != office.pk:
        raise Http404
    if not appointment_type.is_active:
        raise PlanningRefused(_("This type is not active. Activate it before inviting someone."))
    with transaction.atomic():
        invitation, token = services.create_invitation(
            actor=actor, appointment_type=appointment_type, name=name.strip()[:200], email=email
        )
        transaction.on_commit(lambda: notifications.send_invitation(invitation, token))
    return invitation


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


__all__ = [
    "CalendarDay",
    "CalendarEntry",
    "PlanningRefused",
    "add_exception",
    "AppointmentTypeRefused",
    "add_working_plan",
    "appointment_counts",
    "calendar",
    "create_resource",
    "delete_exception",
    "delete_working_plan",
    "invite_to_book",
    "save_appointment_type",
    "update_resource",
]
