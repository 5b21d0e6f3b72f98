"""Online appointments over FHIR R4: Schedule, Slot (free times) and Appointment (bookings by systems).

- ``Schedule``: one per appointment type that systems may book (active, audience "public"), id
  ``apt-<office slug>-<type slug>``; public, it holds no personal data.
- ``Slot``: the free starts of those types, id ``<schedule id>-<UTC yyyymmddThhmm>``, searched in a
  start range of at most 31 days; public.
- ``Appointment``: an API client with the scope "appointments" books a Slot of its own office for a
  person and reads the appointments of its office.

Idempotent booking: the ``Idempotency-Key`` header is remembered in Django's cache
(``fhir-appointment:<client id>:<sha256 of the key>`` -> public id, 24 hours) rather than in a new
column: nothing in the appointment model has to change for it, and a key only needs to outlive
the client's retries. With several app processes the cache must be shared (Redis or database
cache); with the per-process default a retry on another process is not recognised, but it cannot
book twice either when the slot has one place (it answers 409 then).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from pydantic import ValidationError

from oegd.appointments.models import Appointment, AppointmentType
from oegd.core import audit
from oegd.core.access import api_token_required, public
from oegd.core.problems import operation_outcome
from oegd.interop.capability import ResourceCapability, register_resource
from oegd.interop.views import MAX_BODY_BYTES, fhir_json

TYPE_SYSTEM = "https://oegd.example/fhir/CodeSystem/appointment-type"
LOCATION_SYSTEM = "https://oegd.example/fhir/NamingSystem/location"
PLACES_LEFT_URL = "https://oegd.example/fhir/StructureDefinition/places-left"
MAX_SLOT_RANGE = timedelta(days=31)
DEFAULT_COUNT, MAX_COUNT = 200, 1000
IDEMPOTENCY_TTL = 24 * 60 * 60
_IN_PROGRESS = "in-progress"
_STAMP = "%Y%m%dT%H%M"  # the UTC start inside a Slot id
_SLOT_ID = re.compile(r"^(?P<schedule>apt-[A-Za-z0-9\-.]+)-(?P<stamp>\d{8}T\d{4})$")
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_PERSON_TYPES = {"Patient", "RelatedPerson", "Person"}

STATUS_TO_FHIR: dict[str, str] = {
    Appointment.Status.PENDING: "pending",
    Appointment.Status.BOOKED: "booked",
    Appointment.Status.CANCELLED: "cancelled",
    Appointment.Status.RESCHEDULED: "cancelled",
    Appointment.Status.COMPLETED: "fulfilled",
    Appointment.Status.NO_SHOW: "noshow",
}

register_resource(
    ResourceCapability(
        "Schedule",
        interactions=["read", "search-type"],
        search_params=[("actor", "reference"), ("service-type", "token")],
    )
)
register_resource(
    ResourceCapability(
        "Slot",
        interactions=["search-type"],
        search_params=[("status", "token"), ("start", "date"), ("service-type", "token"), ("schedule", "reference")],
    )
)
register_resource(
    ResourceCapability("Appointment", interactions=["create", "read", "search-type"], search_params=[("date", "date")])
)


class SearchParameterInvalid(Exception):
    """A search parameter the caller must fix (answered with 400)."""

    def __init__(self, message: str, parameter: str) -> None:
        super().__init__(message)
        self.message = message
        self.parameter = parameter


# --- ids and types ------------------------------------------------------------------------------


def system_bookable_types() -> Any:
    """Appointment types other systems may book: active, of an active office, open to everyone.

    Types for citizens with an account or by invitation only are not offered over FHIR.
    """
    from oegd.appointments.selectors import bookable_types

    return bookable_types().filter(audience=AppointmentType.Audience.PUBLIC)


def schedule_id(appointment_type: AppointmentType) -> str:
    """``apt-<office slug>-<type slug>``; ``apt-<pk>`` when the slot ids would pass FHIR's 64 characters."""
    readable = f"apt-{appointment_type.office.slug}-{appointment_type.slug}"
    return readable if len(readable) + 1 + len("yyyymmddThhmm") <= 64 else f"apt-{appointment_type.pk}"


def slot_id(appointment_type: AppointmentType, start: datetime) -> str:
    return f"{schedule_id(appointment_type)}-{start.astimezone(UTC).strftime(_STAMP)}"


def find_bookable_type(fhir_id: str) -> AppointmentType | None:
    """The system-bookable type behind a Schedule id, or None."""
    if not fhir_id.startswith("apt-") or not _FHIR_ID.match(fhir_id):
        return None
    rest = fhir_id[len("apt-") :]
    parts = rest.split("-")
    # Office and type slugs both may hold hyphens: try every split, then compare the whole id.
    suffixes = {"-".join(parts[index:]) for index in range(1, len(parts))}
    candidates = system_bookable_types().filter(slug__in=suffixes)
    if rest.isdigit():
        candidates = candidates | system_bookable_types().filter(pk=int(rest))
    for appointment_type in candidates:
        if schedule_id(appointment_type) == fhir_id:
            return appointment_type
    return None


def parse_slot_id(fhir_id: str) -> tuple[AppointmentType, datetime] | None:
    """The type and UTC start a Slot id names, or None when no bookable type has that id."""
    match = _SLOT_ID.match(fhir_id)
    if not match or len(fhir_id) > 64:
        return None
    try:
        start = datetime.strptime(match["stamp"], _STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None
    appointment_type = find_bookable_type(match["schedule"])
    return (appointment_type, start) if appointment_type else None


def _zone(appointment_type: AppointmentType) -> ZoneInfo:
    return ZoneInfo(appointment_type.location.time_zone)


def _instant(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).isoformat(timespec="seconds")


def _service_type(appointment_type: AppointmentType) -> dict[str, Any]:
    name = appointment_type.name or appointment_type.slug
    return {"coding": [{"system": TYPE_SYSTEM, "code": appointment_type.slug, "display": name}], "text": name}


def _location_reference(appointment_type: AppointmentType) -> dict[str, Any]:
    # No Location endpoint (yet): the reference names the place and identifies it, nothing to resolve.
    location = appointment_type.location
    return {"identifier": {"system": LOCATION_SYSTEM, "value": str(location.pk)}, "display": location.name}


# --- resources ------------------------------------------------------------------------------------


def schedule_resource(appointment_type: AppointmentType, now: datetime) -> dict[str, Any]:
    zone = _zone(appointment_type)
    resource: dict[str, Any] = {
        "resourceType": "Schedule",
        "id": schedule_id(appointment_type),
        "active": True,
        "serviceType": [_service_type(appointment_type)],
        "actor": [_location_reference(appointment_type)],
        "planningHorizon": {
            "start": _instant(now, zone),
            "end": _instant(now + timedelta(days=appointment_type.horizon_days), zone),
        },
    }
    description = appointment_type.text("description")
    if description:
        resource["comment"] = description
    return resource


def slot_resource(appointment_type: AppointmentType, slot: Any) -> dict[str, Any]:
    zone = _zone(appointment_type)
    return {
        "resourceType": "Slot",
        "id": slot_id(appointment_type, slot.start),
        "extension": [{"url": PLACES_LEFT_URL, "valueUnsignedInt": slot.places_left}],
        "serviceType": [_service_type(appointment_type)],
        "schedule": {"reference": f"Schedule/{schedule_id(appointment_type)}"},
        "status": "free",
        "start": _instant(slot.start, zone),
        "end": _instant(slot.end, zone),
    }


def appointment_resource(appointment: Appointment) -> dict[str, Any]:
    appointment_type = appointment.appointment_type
    zone = _zone(appointment_type)
    person: dict[str, Any] = {
        "resourceType": "Patient",
        "id": "person",
        "name": [{"text": appointment.name}],
        "telecom": [{"system": "email", "value": appointment.email}],
        "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": appointment.language}]}}],
    }
    if appointment.phone:
        person["telecom"].append({"system": "sms", "value": appointment.phone, "use": "mobile"})
    resource: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": str(appointment.public_id),
        "contained": [person],
        "status": STATUS_TO_FHIR[appointment.status],
        "serviceType": [_service_type(appointment_type)],
        "description": appointment_type.name or appointment_type.slug,
        "start": _instant(appointment.start, zone),
        "end": _instant(appointment.end, zone),
        "minutesDuration": int((appointment.end - appointment.start).total_seconds() // 60),
        "slot": [{"reference": f"Slot/{slot_id(appointment_type, appointment.start)}"}],
        "created": _instant(appointment.created_at, zone),
        "participant": [
            {
                "actor": {"reference": "#person", "display": appointment.name},
                "required": "required",
                "status": "accepted",
            },
            {"actor": _location_reference(appointment_type), "required": "required", "status": "accepted"},
        ],
    }
    if appointment.note:
        resource["comment"] = appointment.note
    return resource


# --- search parameters ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DateRange:
    """The bounds of FHIR ``date`` search parameters; dates without a time are local midnights."""

    bounds: tuple[tuple[str, date | datetime], ...]

    def resolve(self, zone: tzinfo) -> tuple[datetime | None, datetime | None]:
        """``[low, high)`` as aware datetimes in ``zone``; None where open."""
        low: datetime | None = None
        high: datetime | None = None
        for prefix, value in self.bounds:
            if isinstance(value, datetime):
                moment = value if value.tzinfo else value.replace(tzinfo=zone)
                lower, upper = moment, moment + timedelta(microseconds=1)
            else:
                lower = datetime.combine(value, datetime.min.time(), tzinfo=zone)
                upper = datetime.combine(value + timedelta(days=1), datetime.min.time(), tzinfo=zone)
            if prefix in ("ge", "eq"):
                low = lower if low is None else max(low, lower)
            if prefix == "gt":
                low = upper if low is None else max(low, upper)
            if prefix in ("lt",):
                high = lower if high is None else min(high, lower)
            if prefix in ("le", "eq"):
                high = upper if high is None else min(high, upper)
        return low, high


def parse_date_range(values: list[str], parameter: str) -> DateRange:
    """FHIR date search values (``ge2026-12-01``, ``lt2026-12-08T12:00:00+01:00``, ``2026-12-01``)."""
    bounds: list[tuple[str, date | datetime]] = []
    for raw in values:
        text = raw.strip()
        prefix = text[:2] if text[:2].isalpha() else "eq"
        if text[:2].isalpha():
            text = text[2:]
        if prefix not in ("eq", "ge", "gt", "le", "lt"):
            raise SearchParameterInvalid(
                _("The prefix '%(prefix)s' is not supported; use ge, gt, le, lt or eq.") % {"prefix": prefix},
                parameter,
            )
        value = _moment(text)
        if value is None:
            raise SearchParameterInvalid(
                _("'%(value)s' is not a date (YYYY-MM-DD) or date-time with time zone.") % {"value": raw}, parameter
            )
        bounds.append((prefix, value))
    return DateRange(tuple(bounds))


def _moment(text: str) -> date | datetime | None:
    """A date (``YYYY-MM-DD``) or date-time; None when it is neither."""
    try:
        if "T" not in text:
            return date.fromisoformat(text) if len(text) == 10 else None
        # A "+" in a query string becomes a space unless the client encoded it as %2B.
        return datetime.fromisoformat(text.replace(" ", "+").replace("Z", "+00:00"))
    except ValueError:
        return None


def _tokens(request: HttpRequest, parameter: str) -> list[str]:
    return [value.strip() for raw in request.GET.getlist(parameter) for value in raw.split(",") if value.strip()]


def _type_codes(request: HttpRequest) -> set[str] | None:
    """The type slugs a ``service-type`` parameter asks for (``slug`` or ``system|slug``), None if absent."""
    tokens = _tokens(request, "service-type")
    if not tokens:
        return None
    codes = set()
    for token in tokens:
        system, _bar, code = token.rpartition("|")
        if system in ("", TYPE_SYSTEM):
            codes.add(code)
    return codes


def _paging(request: HttpRequest) -> tuple[int, int]:
    try:
        count = int(request.GET.get("_count", DEFAULT_COUNT))
        offset = int(request.GET.get("_offset", 0))
    except ValueError as exc:
        raise SearchParameterInvalid(_("_count and _offset must be whole numbers."), "_count") from exc
    if count < 0 or offset < 0:
        raise SearchParameterInvalid(_("_count and _offset must not be negative."), "_count")
    return min(count, MAX_COUNT), offset


def _searchset(
    request: HttpRequest, resource_type: str, resources: list[dict[str, Any]], *, total: int | None, more: bool
) -> HttpResponse:
    base = f"{settings.SITE_URL}/fhir/{resource_type}"
    links = [{"relation": "self", "url": request.build_absolute_uri()}]
    if more:
        count, offset = _paging(request)
        query = request.GET.copy()
        query["_offset"] = str(offset + count)
        links.append({"relation": "next", "url": f"{base}?{urlencode(query, doseq=True)}"})
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
    if total is not None:
        bundle["total"] = total
    bundle["link"] = links
    bundle["entry"] = [
        {"fullUrl": f"{base}/{resource['id']}", "resource": resource, "search": {"mode": "match"}}
        for resource in resources
    ]
    return fhir_json(bundle)


def _bad_parameter(exc: SearchParameterInvalid) -> HttpResponse:
    return operation_outcome(400, exc.message, code="invalid", expression=[exc.parameter])


# --- Schedule and Slot (public) -------------------------------------------------------------------


@public
@require_GET
def schedule_search(request: HttpRequest) -> HttpResponse:
    """``GET /fhir/Schedule?actor=&service-type=``: the bookable appointment types as Schedules.

    ``actor`` is a location id (``Location/<id>`` or ``<id>``) or a part of its name.
    """
    types = system_bookable_types()
    codes = _type_codes(request)
    if codes is not None:
        types = types.filter(slug__in=codes)
    for actor in _tokens(request, "actor"):
        location_id = actor.removeprefix("Location/")
        types = (
            types.filter(location_id=int(location_id))
            if location_id.isdigit()
            else types.filter(location__name__icontains=actor)
        )
    now = timezone.now()
    resources = [schedule_resource(appointment_type, now) for appointment_type in types]
    return _searchset(request, "Schedule", resources, total=len(resources), more=False)


@public
@require_GET
def schedule_read(request: HttpRequest, fhir_id: str) -> HttpResponse:
    """``GET /fhir/Schedule/<id>``."""
    appointment_type = find_bookable_type(fhir_id)
    if appointment_type is None:
        return operation_outcome(404, _("There is no bookable schedule with this id."), code="not-found")
    return fhir_json(schedule_resource(appointment_type, timezone.now()))


@public
@require_GET
def slot_search(request: HttpRequest) -> HttpResponse:
    """``GET /fhir/Slot?status=free&start=ge2026-12-01&start=lt2026-12-08&service-type=&schedule=``.

    The start range is required and may span at most 31 days; dates without a time count in the
    location's time zone. Slots are ordered by schedule, then start; ``_count``/``_offset`` page.
    """
    from oegd.appointments.availability import find_free_slots

    try:
        statuses = _tokens(request, "status")
        unknown = set(statuses) - {"free", "busy", "busy-unavailable", "busy-tentative", "entered-in-error"}
        if unknown:
            raise SearchParameterInvalid(
                _("Unknown slot status: %(status)s") % {"status": sorted(unknown)[0]}, "status"
            )
        dates = parse_date_range(request.GET.getlist("start"), "start")
        low, high = dates.resolve(UTC)
        if low is None or high is None:
            raise SearchParameterInvalid(
                _("Give a start range, e.g. start=ge2026-12-01&start=lt2026-12-08 (at most 31 days)."), "start"
            )
        if high <= low:
            raise SearchParameterInvalid(_("The start range is empty."), "start")
        if high - low > MAX_SLOT_RANGE:
            raise SearchParameterInvalid(_("The start range may span at most 31 days."), "start")
        count, offset = _paging(request)
    except SearchParameterInvalid as exc:
        return _bad_parameter(exc)

    types = system_bookable_types()
    codes = _type_codes(request)
    if codes is not None:
        types = types.filter(slug__in=codes)
    schedules = {token.rsplit("Schedule/", 1)[-1] for token in _tokens(request, "schedule")}
    if statuses and "free" not in statuses:
        types = types.none()  # only free slots are published

    now = timezone.now()
    wanted = offset + count + 1  # one more than the page tells whether a next page exists
    found: list[dict[str, Any]] = []
    for appointment_type in types.order_by("office__slug", "slug"):
        if schedules and schedule_id(appointment_type) not in schedules:
            continue
        low, high = dates.resolve(_zone(appointment_type))
        if low is None or high is None:  # cannot happen: both bounds were checked above
            continue
        for slot in find_free_slots(appointment_type=appointment_type, start=low, end=high, now=now):
            if slot.places_left > 0:
                found.append(slot_resource(appointment_type, slot))
        if len(found) >= wanted:
            break
    page = found[offset : offset + count]
    return _searchset(request, "Slot", page, total=None, more=len(found) > offset + count)


# --- Appointment (API clients with the scope "appointments") --------------------------------------


def _appointments_of_client_office(client: Any) -> Any:
    return Appointment.objects.filter(office=client.office).select_related(
        "appointment_type", "appointment_type__location", "appointment_type__office"
    )


def get_appointment_for_client(*, client: Any, public_id: str) -> Appointment | None:
    """An appointment of the client's office (the read is audited); None for anything else."""
    try:
        appointment = _appointments_of_client_office(client).filter(public_id=public_id).first()
    except DjangoValidationError:  # not a UUID
        return None
    if appointment is not None:
        audit.record(client, "appointment.read", appointment, subject=appointment.citizen, purpose="fhir")
    return appointment


def _read_response(appointment: Appointment, status: int = 200) -> HttpResponse:
    response = fhir_json(appointment_resource(appointment), status=status)
    response["Location"] = f"{settings.SITE_URL}/fhir/Appointment/{appointment.public_id}"
    return response


@api_token_required("appointments")
@require_GET
def appointment_read(request: HttpRequest, public_id: str) -> HttpResponse:
    """``GET /fhir/Appointment/<id>``: an appointment of the client's office; 404 otherwise."""
    appointment = get_appointment_for_client(client=request.api_client, public_id=public_id)  # type: ignore[attr-defined]
    if appointment is None:
        return operation_outcome(404, _("There is no such appointment."), code="not-found")
    return fhir_json(appointment_resource(appointment))


@api_token_required("appointments")
@require_http_methods(["GET", "POST"])
def appointment_endpoint(request: HttpRequest) -> HttpResponse:
    """``/fhir/Appointment``: GET searches (``date``), POST books."""
    if request.method == "POST":
        return appointment_create(request)
    return appointment_search(request)


def appointment_search(request: HttpRequest) -> HttpResponse:
    """``GET /fhir/Appointment?date=ge2026-12-01&date=lt2026-12-08``: the office's appointments by start.

    Dates without a time count in the installation's time zone (``TIME_ZONE``).
    """
    client = request.api_client  # type: ignore[attr-defined]
    try:
        dates = parse_date_range(request.GET.getlist("date"), "date")
        count, offset = _paging(request)
    except SearchParameterInvalid as exc:
        return _bad_parameter(exc)
    low, high = dates.resolve(ZoneInfo(settings.TIME_ZONE))
    appointments = _appointments_of_client_office(client).order_by("start", "pk")
    if low is not None:
        appointments = appointments.filter(start__gte=low)
    if high is not None:
        appointments = appointments.filter(start__lt=high)
    total = appointments.count()
    page = list(appointments[offset : offset + count])
    for appointment in page:
        audit.record(client, "appointment.read", appointment, subject=appointment.citizen, purpose="fhir search")
    resources = [appointment_resource(appointment) for appointment in page]
    return _searchset(request, "Appointment", resources, total=total, more=total > offset + count)


@dataclass(frozen=True)
class BookingRequest:
    appointment_type: AppointmentType
    start: datetime
    name: str
    email: str
    phone: str
    language: str
    note: str


def appointment_create(request: HttpRequest) -> HttpResponse:
    """``POST /fhir/Appointment``: book a free Slot of the client's office for one person.

    The body is an R4 Appointment with ``slot: [{"reference": "Slot/<id>"}]`` and a participant
    whose actor points to a contained Patient (or RelatedPerson/Person) with a name and an e-mail
    ``telecom`` (``actor.display`` may give the name); ``comment`` is the person's note to the
    office. 201 with Location; 409 when the slot was taken meanwhile; a retry with the same
    ``Idempotency-Key`` gives 200 with the first appointment.
    """
    from oegd.appointments.services import BookingRefused, book_appointment

    client = request.api_client  # type: ignore[attr-defined]
    if len(request.body) > MAX_BODY_BYTES:
        return operation_outcome(413, _("The request is too large."), code="too-costly")
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return operation_outcome(400, _("The body is not JSON."), code="structure")
    if not isinstance(body, dict) or body.get("resourceType") != "Appointment":
        return operation_outcome(400, _("Send an Appointment resource."), code="structure")

    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 255:
        return operation_outcome(400, _("The Idempotency-Key is too long."), code="invalid")
    cache_key = f"fhir-appointment:{client.pk}:{hashlib.sha256(key.encode()).hexdigest()}" if key else ""
    if cache_key:
        earlier = _earlier_booking(client, cache_key)
        if earlier is not None:
            return earlier

    booked: Appointment | None = None
    try:
        parsed = _parse_booking(body, request)
        if isinstance(parsed, HttpResponse):
            return parsed
        if parsed.appointment_type.office_id != client.office_id:
            return operation_outcome(
                422,
                _("This API client may only book appointments of its own office."),
                code="business-rule",
                expression=["Appointment.slot"],
            )
        try:
            booked, _token = book_appointment(
                actor=client,
                appointment_type=parsed.appointment_type,
                start=parsed.start,
                name=parsed.name,
                email=parsed.email,
                language=parsed.language,
                phone=parsed.phone,
                note=parsed.note,
                booked_by=None,
            )
        except BookingRefused as exc:
            if exc.code == "taken":
                return operation_outcome(409, _("This slot is no longer available."), code="conflict")
            return operation_outcome(422, exc.message, code="business-rule", expression=["Appointment.slot"])
    finally:
        # Only a booking is remembered under the key; a refused request may be retried with it.
        if cache_key and booked is None:
            cache.delete(cache_key)
        elif cache_key and booked is not None:
            cache.set(cache_key, str(booked.public_id), IDEMPOTENCY_TTL)
    appointment = _appointments_of_client_office(client).get(pk=booked.pk)
    return _read_response(appointment, status=201)


def _earlier_booking(client: Any, cache_key: str) -> HttpResponse | None:
    """The answer to a retry: 200 with the appointment booked under this key, or 409 while the first
    request still runs; None (and the key reserved) when the key is new."""
    if cache.add(cache_key, _IN_PROGRESS, 60):
        return None
    earlier = cache.get(cache_key)
    if earlier in (None, _IN_PROGRESS):
        return operation_outcome(
            409, _("A request with this Idempotency-Key is still being processed. Retry later."), code="conflict"
        )
    appointment = get_appointment_for_client(client=client, public_id=earlier)
    if appointment is None:  # the appointment is gone: treat the key as new
        cache.set(cache_key, _IN_PROGRESS, 60)
        return None
    return _read_response(appointment, status=200)


def _parse_booking(body: dict[str, Any], request: HttpRequest) -> BookingRequest | HttpResponse:
    """What to book from an Appointment body, or the OperationOutcome that says what is wrong."""
    from fhir.resources.R4B.appointment import Appointment as FhirAppointment

    try:
        FhirAppointment.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()[:5]
        )
        return operation_outcome(
            400, _("This is not a valid FHIR R4 Appointment: %(problems)s") % {"problems": problems}, code="structure"
        )
    if body.get("status") not in ("proposed", "pending", "booked"):
        return operation_outcome(
            422,
            _("A new appointment has the status proposed, pending or booked."),
            code="value",
            expression=["Appointment.status"],
        )
    slots = body.get("slot") or []
    if len(slots) != 1:
        return operation_outcome(
            400, _("Name exactly one Slot to book."), code="required", expression=["Appointment.slot"]
        )
    reference = str(slots[0].get("reference") or "")
    fhir_id = reference.rsplit("Slot/", 1)[-1] if "Slot/" in reference else ""
    if not _SLOT_ID.match(fhir_id):
        return operation_outcome(
            400, _("The slot reference must look like Slot/<id>."), code="value", expression=["Appointment.slot"]
        )
    found = parse_slot_id(fhir_id)
    if found is None:
        return operation_outcome(404, _("There is no bookable slot with this id."), code="not-found")
    appointment_type, start = found
    end = start + timedelta(minutes=appointment_type.duration_minutes)
    for field, expected in (("start", start), ("end", end)):
        if body.get(field) and _as_instant(body[field]) != expected:
            return operation_outcome(
                422,
                _("The appointment's %(field)s does not match the slot.") % {"field": field},
                code="value",
                expression=[f"Appointment.{field}"],
            )

    person = _person(body)
    name = person["name"]
    if not name:
        return operation_outcome(
            422, _("Give the name of the person."), code="required", expression=["Appointment.participant.actor"]
        )
    email = person["email"]
    try:
        validate_email(email)
    except DjangoValidationError:
        return operation_outcome(
            422,
            _("Give a valid e-mail address of the person (telecom with system email)."),
            code="required",
            expression=["Appointment.participant.actor"],
        )
    note = str(body.get("comment") or "").strip()
    if len(note) > 2000:
        return operation_outcome(
            422,
            _("The comment may be at most 2000 characters long."),
            code="too-long",
            expression=["Appointment.comment"],
        )
    language = _language(person["language"] or request.headers.get("Content-Language", ""))
    return BookingRequest(appointment_type, start, name[:200], email, person["phone"], language, note)


def _as_instant(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else None


def _person(body: dict[str, Any]) -> dict[str, str]:
    """Name, e-mail, mobile number and language of the person the appointment is for.

    Taken from the first participant whose actor points to a contained Patient, RelatedPerson or
    Person; ``actor.display`` wins over the contained name.
    """
    contained = {
        f"#{item.get('id')}": item
        for item in body.get("contained") or []
        if isinstance(item, dict) and item.get("resourceType") in _PERSON_TYPES
    }
    for participant in body.get("participant") or []:
        actor = participant.get("actor") or {}
        resource = contained.get(actor.get("reference") or "")
        if resource is None:
            continue
        telecom = resource.get("telecom") or []
        email = next((t.get("value", "") for t in telecom if t.get("system") == "email"), "")
        phone = next(
            (
                t.get("value", "")
                for t in telecom
                if t.get("system") == "sms" or (t.get("system") == "phone" and t.get("use") == "mobile")
            ),
            "",
        )
        language = next(
            (
                coding.get("code", "")
                for communication in resource.get("communication") or []
                for coding in (communication.get("language") or {}).get("coding") or []
            ),
            "",
        )
        return {
            "name": (actor.get("display") or _human_name(resource.get("name") or [])).strip(),
            "email": email.strip(),
            "phone": phone.strip()[:30],
            "language": language,
        }
    return {"name": "", "email": "", "phone": "", "language": ""}


def _human_name(names: list[dict[str, Any]]) -> str:
    for name in names:
        text = name.get("text") or " ".join([*(name.get("given") or []), name.get("family") or ""])
        if text.strip():
            return text
    return ""


def _language(tag: str) -> str:
    code = tag.split(",")[0].split(";")[0].strip().split("-")[0].lower()
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
