"""Citizen pages of online appointments: find a slot, book, confirm, move, cancel, video waiting room.

Times are stored in UTC and shown in the time zone of the appointment's location. Every page works
without JavaScript: slots are links (booking) or submit buttons (moving an appointment).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from oegd.appointments.availability import find_free_slots
from oegd.appointments.forms import BookingForm, OfficeSearchForm, WaitingListForm
from oegd.appointments.models import Appointment, AppointmentType, Location
from oegd.appointments.notifications import appointment_ics, calendar_feed
from oegd.appointments.selectors import (
    appointments_of_citizen,
    bookable_types,
    get_appointment_by_token,
    get_appointment_of_citizen,
    get_invitation_by_token,
    user_of_feed,
)
from oegd.appointments.services import (
    BookingRefused,
    book_appointment,
    cancel_appointment,
    confirm_booking,
    create_calendar_feed,
    join_waiting_list,
    rebook_appointment,
)
from oegd.core.access import citizen_required, public
from oegd.core.models import Office, User
from oegd.directory.selectors import PostalCodeUnknown, route_by_postal_code
from oegd.portal.proxy import is_linked_youth

# The manage tokens opened in this browser session, by appointment public_id: they let the person
# into the video waiting room without the e-mail link at hand.
SESSION_MANAGE = "oegd_appointment_tokens"
SESSION_PENDING_EMAIL = "oegd_appointment_pending_email"
# Slot starts in URLs: UTC, minutes precision (e.g. 20300304T0800).
START_FORMAT = "%Y%m%dT%H%M"
VIDEO_OPENS_BEFORE = timedelta(minutes=10)
DEFAULT_VIDEO_BASE_URL = "https://meet.example.org/"


# --- small pieces -----------------------------------------------------------------------------


def _is_citizen(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.kind == User.Kind.CITIZEN)


def _zone(location: Location) -> ZoneInfo:
    return ZoneInfo(location.time_zone or settings.TIME_ZONE)


def _in_language(texts: dict[str, str] | None) -> str:
    """The text in the current language, else German, else English, else any (location info)."""
    texts = texts or {}
    language = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    for candidate in (language, settings.LANGUAGE_CODE, "en", *texts):
        if texts.get(candidate):
            return texts[candidate]
    return ""


def slot_key(start: datetime) -> str:
    """The slot start as it appears in booking URLs (UTC, ``YYYYMMDDTHHMM``)."""
    return start.astimezone(UTC).strftime(START_FORMAT)


def _parse_slot_key(value: str) -> datetime:
    try:
        return datetime.strptime(value, START_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise Http404 from None


def _refusal_status(exc: Exception) -> int:
    """409 when someone else was faster, 400 for every other refusal."""
    return 409 if getattr(exc, "code", "") == "taken" else 400


def _remember_token(request: HttpRequest, appointment: Appointment, token: str) -> None:
    known = dict(list(request.session.get(SESSION_MANAGE, {}).items())[-19:])
    known[str(appointment.public_id)] = token
    request.session[SESSION_MANAGE] = known


@dataclass(frozen=True)
class TypeCard:
    """What a citizen needs to choose an appointment type."""

    appointment_type: AppointmentType
    name: str
    description: str
    accessibility: str
    needs_login: bool


def _type_card(appointment_type: AppointmentType, user: Any) -> TypeCard:
    return TypeCard(
        appointment_type=appointment_type,
        name=appointment_type.name,
        description=appointment_type.text("description"),
        accessibility=_in_language(appointment_type.location.accessibility),
        needs_login=appointment_type.audience == AppointmentType.Audience.LOGGED_IN and not _is_citizen(user),
    )


def _listed_types(office: Office | None = None) -> list[AppointmentType]:
    """Types citizens can book here (invitation-only ones are booked from the invitation)."""
    return list(bookable_types(office=office))


def _get_listed_type(type_id: str | int) -> AppointmentType:
    try:
        wanted = int(type_id)
    except (TypeError, ValueError):
        raise Http404 from None
    appointment_type = bookable_types().filter(pk=wanted).first()
    if appointment_type is None:
        raise Http404
    return appointment_type


# --- week view --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotChoice:
    start: datetime  # in the location's time zone
    key: str
    preselected: bool
    places_left: int | None  # group sessions only


@dataclass(frozen=True)
class Week:
    """Free slots of one type in one calendar week (Monday to Sunday, local time)."""

    monday: date
    days: list[tuple[date, list[SlotChoice]]]
    previous: date | None
    following: date | None
    time_zone: str

    @property
    def has_slots(self) -> bool:
        return any(slots for _day, slots in self.days)


def _requested_start(value: str, zone: ZoneInfo) -> tuple[date | None, datetime | None]:
    """``?start=`` as a day, and as a moment when a time was given (links from waiting-list e-mails)."""
    value = value.strip().replace(" ", "+")  # an unencoded "+01:00" arrives as " 01:00"
    if not value:
        return None, None
    try:
        if len(value) == 10:
            return date.fromisoformat(value), None
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None, None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(zone).date(), moment


def build_week(appointment_type: AppointmentType, start: str = "") -> Week:
    """The week view of free slots of a type around ``start`` (ISO date or datetime; default today)."""
    zone = _zone(appointment_type.location)
    today = timezone.now().astimezone(zone).date()
    day, wanted = _requested_start(start, zone)
    day = max(day or today, today)
    monday = day - timedelta(days=day.weekday())
    first_monday = today - timedelta(days=today.weekday())
    last_day = today + timedelta(days=appointment_type.horizon_days)
    begin = datetime.combine(monday, time.min, tzinfo=zone)
    end = datetime.combine(monday + timedelta(days=7), time.min, tzinfo=zone)
    slots = find_free_slots(appointment_type=appointment_type, start=begin.astimezone(UTC), end=end.astimezone(UTC))
    by_day: dict[date, list[SlotChoice]] = {monday + timedelta(days=offset): [] for offset in range(7)}
    for slot in slots:
        moment = getattr(slot, "start", slot)
        local = moment.astimezone(zone)
        if local.date() in by_day:
            preselected = wanted is not None and moment == wanted
            places = getattr(slot, "places_left", None) if appointment_type.capacity > 1 else None
            by_day[local.date()].append(SlotChoice(local, slot_key(moment), preselected, places))
    following = monday + timedelta(days=7)
    return Week(
        monday=monday,
        days=[(day, sorted(choices, key=lambda choice: choice.start)) for day, choices in by_day.items()],
        previous=monday - timedelta(days=7) if monday > first_monday else None,
        following=following if following <= last_day else None,
        time_zone=appointment_type.location.time_zone,
    )


def _render_type_week(
    request: HttpRequest, appointment_type: AppointmentType, *, start: str = "", error: str = "", status: int = 200
) -> HttpResponse:
    return render(
        request,
        "appointments/slots.html",
        {
            "card": _type_card(appointment_type, request.user),
            "week": build_week(appointment_type, start),
            "week_url": f"{reverse('appointments:index')}?type={appointment_type.pk}&",
            "error": error,
        },
        status=status,
    )


# --- choosing office, type and slot -----------------------------------------------------------


@public
def index(request: HttpRequest) -> HttpResponse:
    """Choose the office (postal code or list), then the type, then a slot in the week view."""
    if request.GET.get("type"):
        appointment_type = _get_listed_type(request.GET["type"])
        return _render_type_week(request, appointment_type, start=request.GET.get("start", ""))

    listed = _listed_types()
    offices = sorted({appointment_type.office for appointment_type in listed}, key=lambda office: office.name)
    office: Office | None = None
    candidates: list[Office] = []
    notice = ""
    status = 200
    search = OfficeSearchForm(request.GET if "postal_code" in request.GET else None)
    if request.GET.get("office"):
        office = next((known for known in offices if known.slug == request.GET["office"]), None)
        if office is None:
            raise Http404
    elif search.is_bound:
        if search.is_valid():
            try:
                responsibility = route_by_postal_code(
                    postal_code=search.cleaned_data["postal_code"], place=search.cleaned_data["place"]
                )
            except PostalCodeUnknown as exc:
                search.add_error("postal_code", exc.message)
            else:
                office, candidates, notice = _office_for(responsibility, offices)
        status = 400 if search.errors else 200
    cards = [_type_card(t, request.user) for t in listed if office is not None and t.office_id == office.pk]
    return render(
        request,
        "appointments/index.html",
        {
            "form": search,
            "offices": offices,
            "office": office,
            "candidates": candidates,
            "notice": notice,
            "cards": cards,
        },
        status=status,
    )


def _office_for(responsibility: Any, offices: list[Office]) -> tuple[Office | None, list[Office], str]:
    """The office with online appointments for the routed postal code, or the offices to choose from."""
    bookable = {office.pk: office for office in offices}
    if responsibility.needs_place:
        candidates = [c.office for c in responsibility.candidates if c.office is not None and c.office.pk in bookable]
        if len(candidates) == 1:
            return candidates[0], [], ""
        if candidates:
            return None, candidates, _("Several health offices serve this postal code. Please choose yours.")
        return None, [], _("Several health offices serve this postal code. Please also enter your town.")
    responsible = responsibility.responsible
    if responsible is not None and responsible.office is not None and responsible.office.pk in bookable:
        return responsible.office, [], ""
    return (
        None,
        [],
        _("Your health office is %(name)s. It does not offer online appointments here. Please contact it directly.")
        % {"name": responsibility.authority.name if responsibility.authority else ""},
    )


@public
def book(request: HttpRequest, type_id: int, start: str) -> HttpResponse:
    """The booking form for one slot. Citizens with an account book directly; everyone else
    confirms through the e-mail link (until then the slot is held as a pending booking)."""
    appointment_type = _get_listed_type(type_id)
    slot_start = _parse_slot_key(start)
    citizen = request.user if _is_citizen(request.user) else None
    if appointment_type.audience == AppointmentType.Audience.LOGGED_IN and citizen is None:
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
    initial = {"name": citizen.full_name, "email": citizen.email} if citizen else {}
    offer_confidential = citizen is not None and is_linked_youth(citizen)
    form = BookingForm(
        request.POST if request.method == "POST" else None, initial=initial, offer_confidential=offer_confidential
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                appointment, token = book_appointment(
                    actor=citizen,
                    appointment_type=appointment_type,
                    start=slot_start,
                    name=data["name"],
                    email=data["email"],
                    language=request.LANGUAGE_CODE,
                    phone=data["phone"].strip() if data["reminder_consent"] else "",
                    note=data["note"],
                    citizen=citizen,
                    confirmed=citizen is not None,
                    confidential=bool(data.get("confidential")),
                )
            except BookingRefused as exc:
                week_start = slot_start.astimezone(_zone(appointment_type.location)).date().isoformat()
                return _render_type_week(
                    request, appointment_type, start=week_start, error=exc.message, status=_refusal_status(exc)
                )
            _remember_token(request, appointment, token)
            if citizen is not None:
                messages.success(request, _("Your appointment is booked. We sent you a confirmation by e-mail."))
                return redirect("appointments:mine_detail", public_id=appointment.public_id)
            request.session[SESSION_PENDING_EMAIL] = appointment.email
            return redirect("appointments:check_email")
        status = 400
    return render(
        request,
        "appointments/book.html",
        {
            "card": _type_card(appointment_type, request.user),
            "start": slot_start.astimezone(_zone(appointment_type.location)),
            "end": (slot_start + timedelta(minutes=appointment_type.duration_minutes)).astimezone(
                _zone(appointment_type.location)
            ),
            "form": form,
            "is_citizen": citizen is not None,
        },
        status=status,
    )


@public
def check_email(request: HttpRequest) -> HttpResponse:
    """After a booking without an account: the slot is held until the e-mail link is opened."""
    return render(request, "appointments/check_email.html", {"email": request.session.get(SESSION_PENDING_EMAIL, "")})


# --- booking with an invitation ---------------------------------------------------------------


@public
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Book with the personal link of an invitation: choose a time, check name and e-mail, book.

    The link proves the e-mail address, so the booking is confirmed at once. The link works once;
    afterwards (and when unknown or expired) it answers 404.
    """
    invited = get_invitation_by_token(token)
    appointment_type = invited.appointment_type
    zone = _zone(appointment_type.location)
    citizen = request.user if _is_citizen(request.user) else None
    chosen: datetime | None = None
    form = BookingForm(initial={"name": invited.name or (citizen.full_name if citizen else ""), "email": invited.email})
    error, status = "", 200
    if request.method == "POST":
        chosen = _parse_slot_key(request.POST.get("start", ""))
        if "name" in request.POST:  # the second step: the details are filled in
            form = BookingForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    appointment, manage_token = book_appointment(
                        actor=citizen,
                        appointment_type=appointment_type,
                        start=chosen,
                        name=data["name"],
                        email=data["email"],
                        language=request.LANGUAGE_CODE,
                        phone=data["phone"].strip() if data["reminder_consent"] else "",
                        note=data["note"],
                        citizen=citizen,
                        invitation=invited,
                        confirmed=True,
                    )
                except BookingRefused as exc:
                    error, status, chosen = exc.message, _refusal_status(exc), None
                else:
                    _remember_token(request, appointment, manage_token)
                    messages.success(request, _("Your appointment is booked. We sent you a confirmation by e-mail."))
                    return redirect("appointments:manage", token=manage_token)
            else:
                status = 400
    invitation_url = reverse("appointments:invitation", args=[token])
    return render(
        request,
        "appointments/invitation.html",
        {
            "invitation": invited,
            "card": _type_card(appointment_type, request.user),
            "week": build_week(appointment_type, request.GET.get("start", "")),
            "action_url": invitation_url,
            "week_url": f"{invitation_url}?",
            "chosen": chosen.astimezone(zone) if chosen else None,
            "chosen_key": slot_key(chosen) if chosen else "",
            "chosen_end": (chosen + timedelta(minutes=appointment_type.duration_minutes)).astimezone(zone)
            if chosen
            else None,
            "form": form,
            "error": error,
        },
        status=status,
    )


# --- the page behind the e-mail links ---------------------------------------------------------


def _appointment_for_token(token: str) -> Appointment:

    appointment = get_appointment_by_token(token)
    if appointment.status == Appointment.Status.RESCHEDULED:
        raise Http404  # moved: the new appointment has its own link
    return appointment


def _detail_context(appointment: Appointment, *, token: str = "") -> dict[str, Any]:
    appointment_type = appointment.appointment_type
    zone = _zone(appointment_type.location)
    deadline = appointment.start - timedelta(minutes=appointment_type.cancellation_cutoff_minutes)
    if token:
        urls = {
            "cancel_url": reverse("appointments:manage", args=[token]),
            "rebook_url": reverse("appointments:rebook", args=[token]),
            "ics_url": reverse("appointments:ics", args=[token]),
        }
    else:
        urls = {
            "cancel_url": reverse("appointments:mine_detail", args=[appointment.public_id]),
            "rebook_url": reverse("appointments:mine_rebook", args=[appointment.public_id]),
            "ics_url": reverse("appointments:mine_ics", args=[appointment.public_id]),
        }
    return {
        "appointment": appointment,
        "card": _type_card(appointment_type, appointment.citizen),
        "location": appointment_type.location,
        "office": appointment.office,
        "start": appointment.start.astimezone(zone),
        "end": appointment.end.astimezone(zone),
        "deadline": deadline.astimezone(zone),
        "can_change": appointment.is_active and timezone.now() < deadline,
        "is_video": appointment_type.mode == AppointmentType.Mode.VIDEO,
        **urls,
    }


def _render_detail(
    request: HttpRequest, appointment: Appointment, *, token: str = "", error: str = "", status: int = 200
) -> HttpResponse:
    context = _detail_context(appointment, token=token)
    return render(request, "appointments/manage.html", {**context, "error": error}, status=status)


def _cancel(request: HttpRequest, appointment: Appointment, *, token: str = "") -> HttpResponse:

    actor = request.user if _is_citizen(request.user) else None
    try:
        appointment = cancel_appointment(actor=actor, appointment=appointment)
    except BookingRefused as exc:
        return _render_detail(request, appointment, token=token, error=exc.message, status=_refusal_status(exc))
    messages.success(request, _("Your appointment is cancelled. We sent you a confirmation by e-mail."))
    return _render_detail(request, appointment, token=token)


@public
def manage(request: HttpRequest, token: str) -> HttpResponse:
    """Show the appointment of the e-mail link; opening it confirms a pending booking (once)."""
    appointment = _appointment_for_token(token)
    _remember_token(request, appointment, token)
    if request.method == "POST":
        if request.POST.get("action") == "cancel":
            return _cancel(request, appointment, token=token)
        return redirect("appointments:rebook", token=token)
    if appointment.status == Appointment.Status.PENDING:
        try:
            appointment = confirm_booking(token=token)
        except BookingRefused as exc:
            appointment.refresh_from_db()  # an expired hold was released just now
            return _render_detail(request, appointment, token=token, error=exc.message, status=_refusal_status(exc))
        messages.success(request, _("Thank you. Your appointment is confirmed."))
    return _render_detail(request, appointment, token=token)


def _rebook(request: HttpRequest, appointment: Appointment, *, token: str = "") -> HttpResponse:
    """Week view of the same type; a chosen slot moves the appointment there."""
    context = _detail_context(appointment, token=token)
    error = ""
    status = 200
    if not context["can_change"]:
        error, status = _("This appointment can no longer be moved online."), 400
    elif request.method == "POST":
        start = _parse_slot_key(request.POST.get("start", ""))
        actor = request.user if _is_citizen(request.user) else None
        try:
            moved, new_token = rebook_appointment(actor=actor, appointment=appointment, start=start)
        except BookingRefused as exc:
            error, status = exc.message, _refusal_status(exc)
        else:
            _remember_token(request, moved, new_token)
            messages.success(request, _("Your appointment is moved. We sent you the new time by e-mail."))
            if token:
                return redirect("appointments:manage", token=new_token)
            return redirect("appointments:mine_detail", public_id=moved.public_id)
    return render(
        request,
        "appointments/rebook.html",
        {
            **context,
            "week": build_week(appointment.appointment_type, request.GET.get("start", "")),
            "action_url": context["rebook_url"],
            "week_url": f"{context['rebook_url']}?",
            "error": error,
        },
        status=status,
    )


@public
def rebook(request: HttpRequest, token: str) -> HttpResponse:
    return _rebook(request, _appointment_for_token(token), token=token)


def _ics_response(request: HttpRequest, appointment: Appointment, manage_url: str) -> HttpResponse:

    response = HttpResponse(
        appointment_ics(appointment, manage_url=request.build_absolute_uri(manage_url)),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="appointment.ics"'
    return response


@public
def ics(request: HttpRequest, token: str) -> HttpResponse:
    """The appointment as an iCalendar file for the person's own calendar."""
    appointment = _appointment_for_token(token)
    return _ics_response(request, appointment, reverse("appointments:manage", args=[token]))


# --- video consultation -----------------------------------------------------------------------


@public
def video(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Waiting page of a video consultation; the room link shows from 10 minutes before the start
    until the end. Only for the owner, or whoever opened the e-mail link in this session (or comes
    with ``?token=<manage token>``)."""
    appointment = None
    if _is_citizen(request.user):
        appointment = appointments_of_citizen(request.user).filter(public_id=public_id).first()
    given = request.GET.get("token", "")
    token = given or request.session.get(SESSION_MANAGE, {}).get(str(public_id), "")
    if appointment is None and token:
        try:
            appointment = get_appointment_by_token(token)
        except Http404:
            appointment = None
    if appointment is None or appointment.public_id != public_id:
        return render(request, "appointments/video_locked.html", status=404)
    if appointment.appointment_type.mode != AppointmentType.Mode.VIDEO:
        raise Http404
    if given:  # keep the secret out of the address bar and the browser history
        _remember_token(request, appointment, given)
        return redirect("appointments:video", public_id=public_id)
    zone = _zone(appointment.appointment_type.location)
    now = timezone.now()
    opens = appointment.start - VIDEO_OPENS_BEFORE
    is_open = appointment.is_active and opens <= now < appointment.end
    base_url = getattr(settings, "VIDEO_BASE_URL", DEFAULT_VIDEO_BASE_URL)
    return render(
        request,
        "appointments/video.html",
        {
            "appointment": appointment,
            "card": _type_card(appointment.appointment_type, request.user),
            "start": appointment.start.astimezone(zone),
            "opens": opens.astimezone(zone),
            "is_open": is_open,
            "not_yet": appointment.is_active and now < opens,
            "is_over": appointment.is_active and now >= appointment.end,
            "room_url": f"{base_url}{appointment.video_room}" if is_open else "",
        },
    )


# --- waiting list -----------------------------------------------------------------------------


@public
def waiting_list(request: HttpRequest) -> HttpResponse:
    """Join the waiting list of a type for a period; we write when a slot frees up."""
    listed = _listed_types()
    choices = [(t.pk, f"{t.name} – {t.office.name}") for t in listed]
    citizen = request.user if _is_citizen(request.user) else None
    initial: dict[str, Any] = {"appointment_type": request.GET.get("type")}
    if citizen:
        initial.update(name=citizen.full_name, email=citizen.email)
    form = WaitingListForm(request.POST if request.method == "POST" else None, initial=initial, type_choices=choices)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            appointment_type = next(t for t in listed if t.pk == data["appointment_type"])
            zone = _zone(appointment_type.location)
            try:
                join_waiting_list(
                    appointment_type=appointment_type,
                    name=data["name"],
                    email=data["email"],
                    language=request.LANGUAGE_CODE,
                    earliest=datetime.combine(data["earliest"], time.min, tzinfo=zone),
                    latest=datetime.combine(data["latest"] + timedelta(days=1), time.min, tzinfo=zone),
                    citizen=citizen,
                )
            except BookingRefused as exc:
                form.add_error(None, exc.message)
            else:
                request.session[SESSION_PENDING_EMAIL] = data["email"]
                return redirect("appointments:waiting_list_done")
        status = 400
    return render(request, "appointments/waiting_list.html", {"form": form}, status=status)


@public
def waiting_list_done(request: HttpRequest) -> HttpResponse:
    return render(
        request, "appointments/waiting_list_done.html", {"email": request.session.get(SESSION_PENDING_EMAIL, "")}
    )


# --- my appointments (citizens with an account) -----------------------------------------------


def _own_appointment(request: HttpRequest, public_id: str) -> Appointment:

    try:
        wanted = UUID(public_id)
    except ValueError:
        raise Http404 from None
    appointment = get_appointment_of_citizen(user=request.user, public_id=str(wanted))
    if appointment.status == Appointment.Status.RESCHEDULED:
        raise Http404
    return appointment


@citizen_required
def mine(request: HttpRequest) -> HttpResponse:
    """Upcoming and past appointments, and the private calendar feed address."""
    feed_url = ""
    if request.method == "POST" and request.POST.get("action") == "feed":
        feed_token = create_calendar_feed(user=request.user)
        feed_url = request.build_absolute_uri(reverse("appointments:feed", args=[feed_token]))
    now = timezone.now()
    upcoming: list[Appointment] = []
    past: list[Appointment] = []
    for appointment in appointments_of_citizen(request.user).select_related("appointment_type__location", "office"):
        if appointment.status == Appointment.Status.RESCHEDULED:
            continue  # the moved-to appointment is listed instead
        (upcoming if appointment.is_active and appointment.end >= now else past).append(appointment)
    return render(
        request,
        "appointments/mine.html",
        {
            "groups": [
                (_("Upcoming"), [_list_row(appointment) for appointment in upcoming], "upcoming"),
                (_("Past and cancelled"), [_list_row(appointment) for appointment in reversed(past)], "past"),
            ],
            "feed_url": feed_url,
            "has_feed": bool(feed_url) or hasattr(request.user, "calendar_feed"),
        },
    )


def _list_row(appointment: Appointment) -> dict[str, Any]:
    return {
        "appointment": appointment,
        "name": appointment.appointment_type.name,
        "start": appointment.start,
        "time_zone": appointment.appointment_type.location.time_zone,
    }


@citizen_required
def mine_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    """One own appointment; cancel works without the e-mail link."""
    appointment = _own_appointment(request, public_id)
    if request.method == "POST":
        if request.POST.get("action") == "cancel":
            return _cancel(request, appointment)
        return redirect("appointments:mine_rebook", public_id=appointment.public_id)
    return _render_detail(request, appointment)


@citizen_required
def mine_rebook(request: HttpRequest, public_id: str) -> HttpResponse:
    return _rebook(request, _own_appointment(request, public_id))


@citizen_required
def mine_ics(request: HttpRequest, public_id: str) -> HttpResponse:
    appointment = _own_appointment(request, public_id)
    return _ics_response(request, appointment, reverse("appointments:mine_detail", args=[appointment.public_id]))


@public
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private iCalendar feed of a citizen (the secret is in the address)."""
    user = user_of_feed(token)
    response = HttpResponse(calendar_feed(user), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response
