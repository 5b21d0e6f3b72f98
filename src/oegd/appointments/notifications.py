"""What an appointment tells its person: e-mails, SMS, iCalendar files, reminders, waiting-list offers.

E-mails name the appointment type (the person booked it); SMS never do, because a text message
shows up on a locked phone screen: an SMS says "your appointment at the health office", nothing
about what it is for. Subjects stay free of the type name for the same reason.

Reminders are rows (``Reminder``) written at booking time and sent by a periodic job; a worker
claims each row under ``SELECT ... FOR UPDATE SKIP LOCKED``, so two workers never send one twice,
and a cancelled or moved appointment never gets one.
"""

from __future__ import annotations

import base64
import hmac
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import MIMEPart
from email.utils import parseaddr
from typing import Protocol
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import icalendar
import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext

from oegd.appointments.models import Appointment, AppointmentType, Invitation, Reminder, WaitingListEntry
from oegd.core.crypto import digest_matches
from oegd.core.models import Office
from oegd.core.services import DomainError

logger = logging.getLogger("oegd.appointments")

PRODID = "-//OEGD//Digitales Gesundheitsamt//DE"
# A cancelled or moved appointment stays in the private feed this long, so calendars drop it.
FEED_KEEPS_CANCELLED = timedelta(days=30)
# A waiting-list entry is offered at most one freed time per hour.
OFFER_PAUSE = timedelta(hours=1)
MANAGE_TOKEN_CONTEXT = b"oegd.appointments.manage:"


# --- SMS --------------------------------------------------------------------------------------


class InvalidPhoneNumber(DomainError):
    """A phone number that cannot be an E.164 mobile number."""


class SmsDeliveryFailed(Exception):
    """The SMS gateway did not accept the message (network error or non-2xx answer)."""


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164
    text: str
    sent_at: datetime = field(default_factory=timezone.now)


class SmsGateway(Protocol):
    def send(self, *, to: str, text: str) -> None: ...


# Messages the loopback gateway "sent", like ``django.core.mail.outbox`` (demo and tests).
sms_outbox: list[SmsMessage] = []

SMS_GATEWAYS: dict[str, Callable[[], SmsGateway]] = {}


def register_sms_gateway(name: str) -> Callable[[type], type]:
    """Class decorator: make a gateway selectable with ``settings.SMS_GATEWAY = name``."""

    def register(cls: type) -> type:
        SMS_GATEWAYS[name] = cls
        return cls

    return register


@register_sms_gateway("loopback")
class LoopbackGateway:
    """Keeps messages in ``sms_outbox`` instead of sending them."""

    def send(self, *, to: str, text: str) -> None:
        sms_outbox.append(SmsMessage(to=to, text=text))


@register_sms_gateway("http")
class HttpGateway:
    """POSTs ``{"to", "text"}`` as JSON to ``SMS_GATEWAY_URL`` with a bearer token."""

    timeout = (5, 20)  # connect, read (seconds)

    def __init__(self, url: str | None = None, token: str | None = None) -> None:
        self.url = url if url is not None else getattr(settings, "SMS_GATEWAY_URL", "")
        self.token = token if token is not None else getattr(settings, "SMS_GATEWAY_TOKEN", "")
        if not self.url:
            raise ImproperlyConfigured("SMS_GATEWAY=http needs SMS_GATEWAY_URL.")

    def send(self, *, to: str, text: str) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = requests.post(self.url, json={"to": to, "text": text}, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise SmsDeliveryFailed(f"SMS gateway unreachable: {type(exc).__name__}") from exc
        if not 200 <= response.status_code < 300:
            raise SmsDeliveryFailed(f"SMS gateway answered {response.status_code}")


def sms_gateway() -> SmsGateway:
    """The gateway chosen by ``settings.SMS_GATEWAY`` (default: loopback)."""
    name = getattr(settings, "SMS_GATEWAY", "loopback") or "loopback"
    try:
        factory = SMS_GATEWAYS[name]
    except KeyError:
        raise ImproperlyConfigured(f"Unknown SMS_GATEWAY {name!r}; known: {', '.join(sorted(SMS_GATEWAYS))}") from None
    return factory()


_PHONE_SEPARATORS = re.compile(r"[\s\-/.()]")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def normalise_phone_number(raw: str, *, default_country_code: str | None = None) -> str:
    """The number in E.164 (``+4917012345678``); raises InvalidPhoneNumber for anything else.

    Accepts the usual ways of writing a number: spaces, dashes, slashes, dots, parentheses,
    ``00`` for ``+``, a national leading ``0`` (gets the default country code, +49 unless
    ``SMS_DEFAULT_COUNTRY_CODE`` says otherwise) and the German ``+49 (0)170 ...``.
    """
    country = default_country_code or getattr(settings, "SMS_DEFAULT_COUNTRY_CODE", "+49")
    text = raw.strip()
    text = re.sub(r"^(\+|00)(\d{1,3})\s*\(0\)", r"+\2", text)  # +49 (0)170 ... -> +49170 ...
    text = _PHONE_SEPARATORS.sub("", text)
    if text.startswith("00"):
        text = "+" + text[2:]
    elif text.startswith("0"):
        text = country + text[1:]
    if not _E164.match(text):
        raise InvalidPhoneNumber(gettext("Please enter a mobile phone number, for example 0170 1234567."))
    return text


def send_sms(*, to: str, text: str) -> str:
    """Normalise ``to`` and send ``text`` through the configured gateway; returns the E.164 number."""
    number = normalise_phone_number(to)
    sms_gateway().send(to=number, text=text)
    return number


# --- links and texts --------------------------------------------------------------------------


def manage_token_for(appointment: Appointment) -> str:
    """The manage-link secret of an appointment, derived from its public id and SECRET_KEY.

    Deriving it (instead of drawing a random one) lets a reminder sent days later carry the
    manage link without the token being stored anywhere; only its keyed digest is stored.
    """
    mac = hmac.new(settings.SECRET_KEY.encode(), MANAGE_TOKEN_CONTEXT + str(appointment.public_id).encode(), "sha256")
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def manage_link(manage_token: str) -> str:
    """The absolute link to the page where the person confirms, rebooks or cancels."""
    return settings.SITE_URL + reverse("appointments:manage", args=[manage_token])


def video_url(appointment: Appointment) -> str:
    """The waiting page of a video appointment; the token lets a guest in without a session."""
    path = reverse("appointments:video", args=[appointment.public_id])
    return f"{settings.SITE_URL}{path}?token={manage_token_for(appointment)}"


def booking_url(appointment_type: AppointmentType, start: datetime | None = None) -> str:
    """The booking page of a type, with a preselected start time (UTC, ``...Z``) when given."""
    query: dict[str, object] = {"type": appointment_type.pk}
    if start is not None:
        query["start"] = _utc(start).strftime("%Y-%m-%dT%H:%M:%SZ")
    return settings.SITE_URL + reverse("appointments:index") + "?" + urlencode(query)


def _stored_manage_url(appointment: Appointment) -> str:
    """The manage link for messages sent later (reminders); the booking page if the token is not derivable."""
    token = manage_token_for(appointment)
    if digest_matches(token, appointment.manage_token_hash):
        return manage_link(token)
    return settings.SITE_URL + reverse("appointments:index")


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _local(appointment_or_type: Appointment | AppointmentType, moment: datetime) -> datetime:
    appointment_type = getattr(appointment_or_type, "appointment_type", appointment_or_type)
    return moment.astimezone(ZoneInfo(appointment_type.location.time_zone))


def _localised(mapping: dict, language: str) -> str:
    """A text from a {"de": ..., "en": ...} mapping in ``language``, else German, English, any."""
    for candidate in (language.split("-")[0], settings.LANGUAGE_CODE, "en", *mapping):
        value = mapping.get(candidate)
        if value:
            return str(value)
    return ""


def _address(*parts: str) -> str:
    return ", ".join(part.strip() for part in parts if part and part.strip())


def _when(appointment_type: AppointmentType, start: datetime, end: datetime | None = None) -> dict[str, str]:
    """Date and time texts in the location's time zone and the active language."""
    local_start = _local(appointment_type, start)
    texts = {
        "weekday": date_format(local_start, "l"),
        "date": date_format(local_start, "DATE_FORMAT"),
        "short_date": date_format(local_start, "SHORT_DATE_FORMAT"),
        "time": time_format(local_start, "TIME_FORMAT"),
    }
    if end is not None:
        texts["end_time"] = time_format(_local(appointment_type, end), "TIME_FORMAT")
    return texts


def _where(appointment: Appointment) -> str:
    """Where the appointment happens, in the active language (the ics LOCATION and the e-mails)."""
    appointment_type = appointment.appointment_type
    if appointment_type.mode == AppointmentType.Mode.PHONE:
        return str(AppointmentType.Mode.PHONE.label)
    if appointment_type.mode == AppointmentType.Mode.VIDEO:
        return f"{AppointmentType.Mode.VIDEO.label}: {video_url(appointment)}"
    location = appointment_type.location
    return _address(location.name, location.street, f"{location.postal_code} {location.place}")


def _office_contact(office: Office) -> dict[str, str]:
    return {
        "office_name": office.name,
        "office_address": _address(office.street, f"{office.postal_code} {office.place}"),
        "office_phone": office.phone,
        "office_email": office.email,
    }


def _appointment_context(appointment: Appointment, manage_token: str = "") -> dict[str, object]:
    """Everything the e-mail templates show about one appointment (call inside translation.override)."""
    appointment_type = appointment.appointment_type
    return {
        "appointment": appointment,
        "name": appointment.name,
        "type_name": appointment_type.text("name", appointment.language),
        "mode": appointment_type.mode,
        "where": _where(appointment),
        "accessibility": _localised(appointment_type.location.accessibility or {}, appointment.language),
        "video_url": video_url(appointment) if appointment_type.mode == AppointmentType.Mode.VIDEO else "",
        "manage_url": manage_link(manage_token) if manage_token else "",
        "booking_url": booking_url(appointment_type),
        **_when(appointment_type, appointment.start, appointment.end),
        **_office_contact(appointment.office),
    }


# --- iCalendar --------------------------------------------------------------------------------


def _uid(appointment: Appointment) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"{appointment.public_id}@{host}"


def _organizer(appointment: Appointment) -> icalendar.vCalAddress:
    email = appointment.office.email or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    organizer = icalendar.vCalAddress(f"mailto:{email}")
    organizer.params["CN"] = appointment.office.name
    return organizer


def _ics_status(appointment: Appointment) -> tuple[str, int]:
    """STATUS and SEQUENCE: a cancelled or moved appointment is a later version of the booked one."""
    if appointment.status in (Appointment.Status.CANCELLED, Appointment.Status.RESCHEDULED):
        return "CANCELLED", 1
    if appointment.status == Appointment.Status.PENDING:
        return "TENTATIVE", 0
    return "CONFIRMED", 0


def _event(appointment: Appointment, *, manage_url: str = "", with_attendee: bool = False) -> icalendar.Event:
    """One VEVENT, texts in the appointment's language."""
    with translation.override(appointment.language):
        context = {**_appointment_context(appointment), "manage_url": manage_url}
        description = [
            line
            for line in (
                str(context["office_name"]),
                str(context["office_address"]),
                f"{gettext('Phone')}: {context['office_phone']}" if context["office_phone"] else "",
                f"{gettext('E-mail')}: {context['office_email']}" if context["office_email"] else "",
                f"{gettext('Change or cancel')}: {context['manage_url']}" if context["manage_url"] else "",
                f"{gettext('Accessibility')}: {context['accessibility']}" if context["accessibility"] else "",
            )
            if line
        ]
        status, sequence = _ics_status(appointment)
        event = icalendar.Event()
        event.add("uid", _uid(appointment))
        event.add("dtstamp", timezone.now().astimezone(UTC))
        event.add("dtstart", _utc(appointment.start))
        event.add("dtend", _utc(appointment.end))
        event.add("summary", context["type_name"] or appointment.office.name)
        event.add("location", context["where"])
        event.add("description", "\n".join(description))
        event.add("status", status)
        event.add("sequence", sequence)
        event.add("organizer", _organizer(appointment))
        if context["video_url"]:
            event.add("url", context["video_url"])
        if with_attendee:
            # The recipient as the one attendee who already said yes; RSVP=FALSE: no reply mails.
            attendee = icalendar.vCalAddress(f"mailto:{appointment.email}")
            attendee.params.update({"CN": appointment.name, "PARTSTAT": "ACCEPTED", "RSVP": "FALSE"})
            event.add("attendee", attendee)
    return event


def _calendar(method: str | None) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    return calendar


def appointment_ics(appointment: Appointment, *, manage_url: str = "", method: str = "REQUEST") -> bytes:
    """The appointment as an iCalendar file (e-mail attachment); ``method="CANCEL"`` for a cancellation."""
    calendar = _calendar(method)
    calendar.add_component(_event(appointment, manage_url=manage_url, with_attendee=True))
    return calendar.to_ical()


def calendar_feed(user) -> bytes:
    """The private feed of a citizen: active appointments and those cancelled or moved recently."""
    cutoff = timezone.now() - FEED_KEEPS_CANCELLED
    appointments = (
        Appointment.objects.filter(citizen=user)
        .filter(
            Q(status__in=Appointment.ACTIVE)
            | Q(
                Q(status__in=(Appointment.Status.CANCELLED, Appointment.Status.RESCHEDULED))
                & (Q(cancelled_at__gte=cutoff) | Q(cancelled_at__isnull=True, start__gte=cutoff))
            )
        )
        .select_related("office", "appointment_type__location")
        .order_by("start")
    )
    calendar = _calendar("PUBLISH")
    with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
        calendar.add("x-wr-calname", gettext("Appointments at the health office"))
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for appointment in appointments:
        calendar.add_component(_event(appointment))
    return calendar.to_ical()


# --- e-mails ----------------------------------------------------------------------------------


def _ics_part(content: bytes, *, method: str, filename: str) -> MIMEPart:
    part = MIMEPart()
    part.set_content(
        content.decode(), subtype="calendar", charset="utf-8", params={"method": method}, filename=filename
    )
    return part


def _send_email(
    *,
    to: str,
    subject: str,
    template: str,
    context: dict[str, object],
    reply_to: str = "",
    attachments: Iterable[MIMEPart] = (),
) -> None:
    """Render and send one plain-text e-mail (call inside translation.override)."""
    body = render_to_string(f"appointments/email/{template}", context)
    message = EmailMessage(
        subject=" ".join(subject.split()),  # one line: no header injection
        body=re.sub(r"\n{3,}", "\n\n", body).strip() + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[reply_to] if reply_to else None,
    )
    for attachment in attachments:
        message.attach(attachment)
    message.send()


def send_booking_confirmation(appointment: Appointment, manage_token: str) -> None:
    """Booking confirmation (Terminbestätigung) with the .ics and the link to rebook or cancel."""
    with translation.override(appointment.language):
        context = _appointment_context(appointment, manage_token)
        subject = gettext("Your appointment on %(date)s at %(time)s is booked") % context
        ics = appointment_ics(appointment, manage_url=manage_link(manage_token), method="REQUEST")
        _send_email(
            to=appointment.email,
            subject=subject,
            template="booking_confirmed.txt",
            context=context,
            reply_to=appointment.office.email,
            attachments=[_ics_part(ics, method="REQUEST", filename="termin.ics")],
        )


def send_pending_confirmation(appointment: Appointment, manage_token: str) -> None:
    """Asks the person to confirm a held booking by opening the manage link."""
    with translation.override(appointment.language):
        context = _appointment_context(appointment, manage_token)
        subject = gettext("Please confirm your appointment on %(date)s at %(time)s") % context
        _send_email(
            to=appointment.email,
            subject=subject,
            template="booking_pending.txt",
            context=context,
            reply_to=appointment.office.email,
        )


def send_cancellation(appointment: Appointment, *, by_office: bool = False) -> None:
    """Cancellation notice (Terminabsage) with a CANCEL .ics that removes it from calendars."""
    with translation.override(appointment.language):
        context = {**_appointment_context(appointment), "by_office": by_office}
        subject = gettext("Your appointment on %(date)s at %(time)s has been cancelled") % context
        ics = appointment_ics(appointment, method="CANCEL")
        _send_email(
            to=appointment.email,
            subject=subject,
            template="booking_cancelled.txt",
            context=context,
            reply_to=appointment.office.email,
            attachments=[_ics_part(ics, method="CANCEL", filename="termin-abgesagt.ics")],
        )


def send_rebooked(old: Appointment, new: Appointment, manage_token: str) -> None:
    """The appointment moved: the new time with its .ics, and a CANCEL .ics for the old time."""
    with translation.override(new.language):
        context = _appointment_context(new, manage_token)
        old_when = _when(old.appointment_type, old.start, old.end)
        context.update({f"old_{key}": value for key, value in old_when.items()})
        subject = gettext("Your appointment has been moved to %(date)s at %(time)s") % context
        _send_email(
            to=new.email,
            subject=subject,
            template="booking_rebooked.txt",
            context=context,
            reply_to=new.office.email,
            attachments=[
                _ics_part(
                    appointment_ics(new, manage_url=manage_link(manage_token)), method="REQUEST", filename="termin.ics"
                ),
                _ics_part(appointment_ics(old, method="CANCEL"), method="CANCEL", filename="termin-alt-abgesagt.ics"),
            ],
        )


# --- reminders --------------------------------------------------------------------------------


def _valid_phone(phone: str) -> str:
    try:
        return normalise_phone_number(phone) if phone else ""
    except InvalidPhoneNumber:
        return ""


def schedule_reminders(appointment: Appointment) -> list[Reminder]:
    """Reminder rows for each offset of the type, by e-mail (and SMS with a phone number).

    Offsets whose time has already passed are skipped; running it twice adds nothing.
    """
    now = timezone.now()
    channels = [Reminder.Channel.EMAIL]
    if _valid_phone(appointment.phone):
        channels.append(Reminder.Channel.SMS)
    reminders = []
    for offset in sorted(set(appointment.appointment_type.reminder_offsets or []), reverse=True):
        due_at = appointment.start - timedelta(minutes=int(offset))
        if due_at <= now:
            continue
        for channel in channels:
            reminder, _created = Reminder.objects.get_or_create(appointment=appointment, channel=channel, due_at=due_at)
            reminders.append(reminder)
    return reminders


def cancel_reminders(appointment: Appointment) -> int:
    """Stop the unsent reminders of an appointment (cancelled or moved); returns how many."""
    return Reminder.objects.filter(appointment=appointment, sent_at__isnull=True, cancelled_at__isnull=True).update(
        cancelled_at=timezone.now()
    )


def reminder_sms_text(appointment: Appointment, link: str) -> str:
    """The SMS reminder: the date, time and a link, nothing about what the appointment is for."""
    with translation.override(appointment.language):
        when = _when(appointment.appointment_type, appointment.start)
        return gettext(
            "Reminder: your appointment at the health office on %(date)s at %(time)s. Cancel or change: %(link)s"
        ) % {"date": when["short_date"], "time": when["time"], "link": link}


def _deliver_reminder(reminder: Reminder) -> None:
    appointment = reminder.appointment
    link = _stored_manage_url(appointment)
    if reminder.channel == Reminder.Channel.SMS:
        send_sms(to=appointment.phone, text=reminder_sms_text(appointment, link))
        return
    with translation.override(appointment.language):
        context = _appointment_context(appointment)
        context["manage_url"] = link
        subject = gettext("Reminder: your appointment on %(date)s at %(time)s") % context
        _send_email(
            to=appointment.email,
            subject=subject,
            template="reminder.txt",
            context=context,
            reply_to=appointment.office.email,
        )


def send_due_reminders(now: datetime | None = None) -> int:
    """Send every reminder that is due, each exactly once; returns how many went out.

    Each row is claimed in its own transaction with ``FOR UPDATE SKIP LOCKED``: a second worker
    skips it, and once committed ``sent_at`` keeps it out of every later run. Only booked
    appointments that have not started get one. A row whose sending fails stays unsent and is
    tried again by the next run; a phone number that can never work cancels its SMS row.
    """
    now = now or timezone.now()
    sent = 0
    failed: set[int] = set()
    while True:
        with transaction.atomic():
            reminder = (
                Reminder.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("appointment__office", "appointment__appointment_type__location")
                .filter(
                    due_at__lte=now,
                    sent_at__isnull=True,
                    cancelled_at__isnull=True,
                    appointment__status=Appointment.Status.BOOKED,
                    appointment__start__gt=now,
                )
                .exclude(pk__in=failed)
                .order_by("due_at", "pk")
                .first()
            )
            if reminder is None:
                return sent
            try:
                _deliver_reminder(reminder)
            except InvalidPhoneNumber:
                logger.warning("reminder %s: phone number unusable, SMS reminder cancelled", reminder.pk)
                reminder.cancelled_at = timezone.now()
                reminder.save(update_fields=["cancelled_at"])
                continue
            except Exception:
                logger.exception("reminder %s could not be sent; retried on the next run", reminder.pk)
                failed.add(reminder.pk)
                continue
            reminder.sent_at = timezone.now()
            reminder.save(update_fields=["sent_at"])
            sent += 1


# --- waiting list -----------------------------------------------------------------------------


def offer_freed_slot(*, appointment_type: AppointmentType, start: datetime) -> WaitingListEntry | None:
    """Offer a freed time to the longest-waiting person whose window contains it (by e-mail).

    An entry is offered at most one time per hour; a time in the past is offered to no one.
    First come, first served: the link opens the booking page, whoever books first gets it.
    """
    now = timezone.now()
    if start <= now:
        return None
    with transaction.atomic():
        entry = (
            WaitingListEntry.objects.select_for_update(skip_locked=True)
            .filter(
                appointment_type=appointment_type, fulfilled_at__isnull=True, earliest__lte=start, latest__gte=start
            )
            .filter(Q(offered_at__isnull=True) | Q(offered_at__lte=now - OFFER_PAUSE))
            .order_by("created_at", "pk")
            .first()
        )
        if entry is None:
            return None
        with translation.override(entry.language):
            context = {
                "name": entry.name,
                "type_name": appointment_type.text("name", entry.language),
                "booking_url": booking_url(appointment_type, start),
                **_when(appointment_type, start, start + timedelta(minutes=appointment_type.duration_minutes)),
                **_office_contact(appointment_type.office),
            }
            subject = gettext("A time has become free: %(date)s at %(time)s") % context
            _send_email(
                to=entry.email,
                subject=subject,
                template="waiting_list_offer.txt",
                context=context,
                reply_to=appointment_type.office.email,
            )
        entry.offered_at = now
        entry.save(update_fields=["offered_at"])
    return entry


# --- invitations ------------------------------------------------------------------------------


def invitation_link(token: str) -> str:
    """The absolute link that opens the booking of an invitation."""
    return settings.SITE_URL + reverse("appointments:invitation", args=[token])


def send_invitation(invitation: Invitation, token: str, language: str = "de") -> None:
    """The invitation to book (e.g. the school-entry examination) with its personal link.

    The token is only known here and in the link: the invitation stores its digest.
    """
    appointment_type = invitation.appointment_type
    office = appointment_type.office
    with translation.override(language):
        context = {
            "name": invitation.name,
            "type_name": appointment_type.text("name", language),
            "invitation_url": invitation_link(token),
            "expires": date_format(_local(appointment_type, invitation.expires_at), "DATE_FORMAT"),
            **_office_contact(office),
        }
        subject = gettext("Invitation: please book your appointment at the health office")
        _send_email(
            to=invitation.email,
            subject=subject,
            template="invitation.txt",
            context=context,
            reply_to=office.email,
        )
