"""Writes of online appointments: book, confirm, cancel, rebook, outcomes, waiting list, invitations.

Booking re-checks the slot inside its transaction (``availability.resources_for_slot``) and then
claims the resources; on PostgreSQL the exclusion constraint on ``ResourceClaim`` is the last
guard, so two people can never hold the same staff member or room at the same time. Group
sessions count their seats under a row lock.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from oegd.appointments.models import (
    Appointment,
    AppointmentType,
    CalendarFeed,
    GroupSession,
    Invitation,
    ResourceClaim,
    WaitingListEntry,
)
from oegd.core import audit
from oegd.core.crypto import keyed_digest
from oegd.core.models import ApiClient, User
from oegd.core.services import DomainError

PENDING_HOLD = timedelta(minutes=30)  # a guest has this long to confirm by the e-mail link


class BookingRefused(DomainError):
    """The appointment cannot be booked, moved or cancelled; ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _refusal(code: str, appointment_type: AppointmentType | None = None) -> BookingRefused:
    hours = (appointment_type.cancellation_cutoff_minutes // 60) if appointment_type else 0
    messages = {
        "taken": _("This time is no longer available. Please choose another one."),
        "past": _("This time is in the past."),
        "notice": _("This time is too soon to book online. Please choose a later one or call us."),
        "horizon": _("This time is too far ahead. Bookings open a few weeks before."),
        "closed": _("There are no appointments at this time."),
        "invalid": _("This is not a valid time for this appointment."),
        "limit": _("You already have as many open bookings of this kind as allowed. Please cancel one first."),
        "audience": _("This appointment can only be booked with an invitation or an account."),
        "cutoff": _("It is too late to change this appointment online (up to %(hours)s hours before). Please call us.")
        % {"hours": hours},
        "inactive": _("This appointment is no longer active."),
    }
    return BookingRefused(code, messages[code])


def _actor(actor: Any) -> Any:
    return actor if isinstance(actor, User | ApiClient) and getattr(actor, "pk", None) else None


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _video_room() -> str:
    return f"oegd-{secrets.token_urlsafe(12)}"


def book_appointment(
    *,
    actor: Any,
    appointment_type: AppointmentType,
    start: datetime,
    name: str,
    email: str,
    language: str,
    phone: str = "",
    note: str = "",
    citizen: User | None = None,
    invitation: Invitation | None = None,
    booked_by: User | None = None,
    confirmed: bool = True,
    notify: bool = True,
    confidential: bool = False,
) -> tuple[Appointment, str]:
    """Book ``start`` of ``appointment_type`` for one person (Terminbuchung); returns the
    appointment and its manage token (the secret of the links in the confirmation e-mail).

    ``confirmed=False`` (a guest without an account) holds the slot as PENDING until the e-mail
    link confirms it. ``notify=False`` sends no e-mail (a rebooking sends its own). ``confidential``
    keeps a youth's appointment off their parents' pages (only with a ``citizen``). Refusals are
    ``BookingRefused`` with a code and a translated message. E-mails go through the task queue;
    the manage token is derived again there, so it never sits in the queue.
    """
    from oegd.appointments import availability, notifications, tasks

    if not appointment_type.is_active:
        raise _refusal("closed")
    on_behalf = booked_by is not None or isinstance(actor, ApiClient)  # staff or a system book for someone
    if appointment_type.audience == AppointmentType.Audience.INVITED and invitation is None and not on_behalf:
        raise _refusal("audience")
    if appointment_type.audience == AppointmentType.Audience.LOGGED_IN and citizen is None and not on_behalf:
        raise _refusal("audience")
    if start.tzinfo is None:
        raise _refusal("invalid")
    start = start.astimezone(UTC)
    try:
        with transaction.atomic():
            _check_limit(appointment_type, citizen, email)
            found = availability.resources_for_slot(appointment_type=appointment_type, start=start)
            if found is None:
                raise _refusal(availability.explain_unavailable(appointment_type=appointment_type, start=start))
            resources, session = found
            end = start + timedelta(minutes=appointment_type.duration_minutes)
            if appointment_type.capacity > 1:
                session = _seat_in_session(appointment_type, start, end, resources, session)
            appointment = Appointment(
                office=appointment_type.office,
                appointment_type=appointment_type,
                session=session,
                start=start,
                end=end,
                status=Appointment.Status.BOOKED if confirmed else Appointment.Status.PENDING,
                citizen=citizen,
                name=name.strip()[:200],
                email=email.strip().lower(),
                phone=phone.strip(),
                note=note.strip(),
                language=language,
                booked_by=booked_by,
                invitation=invitation,
                video_room=_video_room() if appointment_type.mode == AppointmentType.Mode.VIDEO else "",
                confidential=bool(confidential and citizen is not None),
            )
            # Derived from the public id, so reminders sent days later can carry the same links.
            token = notifications.manage_token_for(appointment)
            appointment.manage_token_hash = keyed_digest(token)
            appointment.save(force_insert=True)
            if session is None:
                _claim(appointment_type, appointment, resources, start, end)
            if invitation is not None:
                # One booking per invitation, even when two arrive at the same moment.
                claimed = Invitation.objects.filter(
                    pk=invitation.pk, appointment_type=appointment_type, used_at=None, expires_at__gt=timezone.now()
                ).update(used_at=timezone.now())
                if not claimed:
                    raise _refusal("audience")
            audit.record(_actor(actor), "appointment.book", appointment, office=appointment.office, subject=citizen)
            if confirmed:
                notifications.schedule_reminders(appointment)
            if notify:
                task = tasks.send_booking_confirmation_task if confirmed else tasks.send_pending_confirmation_task
                transaction.on_commit(lambda: task.enqueue(appointment.pk))
    except IntegrityError as exc:  # the exclusion constraint or a session's unique start: someone was faster
        raise _refusal("taken") from exc
    return appointment, token


def _check_limit(appointment_type: AppointmentType, citizen: User | None, email: str) -> None:
    """Limit open bookings per person and type (by account, else by e-mail address)."""
    open_bookings = Appointment.objects.filter(
        appointment_type=appointment_type, status__in=Appointment.ACTIVE, start__gt=timezone.now()
    )
    open_bookings = (
        open_bookings.filter(citizen=citizen) if citizen else open_bookings.filter(email=email.strip().lower())
    )
    if open_bookings.count() >= appointment_type.max_active_per_person:
        raise _refusal("limit")


def _claim(
    appointment_type: AppointmentType,
    appointment: Any,
    resources: list[Any],
    start: datetime,
    end: datetime,
    *,
    session: GroupSession | None = None,
) -> None:
    before = timedelta(minutes=appointment_type.buffer_before_minutes)
    after = timedelta(minutes=appointment_type.buffer_after_minutes)
    ResourceClaim.objects.bulk_create(
        ResourceClaim(
            resource=resource,
            appointment=appointment if session is None else None,
            session=session,
            start=start - before,
            end=end + after,
        )
        for resource in resources
    )


def _seat_in_session(
    appointment_type: AppointmentType,
    start: datetime,
    end: datetime,
    resources: list[Any],
    session: GroupSession | None,
) -> GroupSession:
    """A place in the group session at ``start``: created with its resource claims by the first
    booking, then counted under a row lock so the capacity is never exceeded."""
    if session is None:
        session = GroupSession.objects.create(appointment_type=appointment_type, start=start, end=end)
        _claim(appointment_type, None, resources, start, end, session=session)
    session = GroupSession.objects.select_for_update().get(pk=session.pk)
    seats = Appointment.objects.filter(session=session, status__in=Appointment.ACTIVE).count()
    if seats >= appointment_type.capacity:
        raise _refusal("taken")
    return session


def confirm_booking(*, token: str) -> Appointment:
    """A guest opened the link in the e-mail: the pending booking becomes a booking."""
    from oegd.appointments import notifications, tasks

    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update().filter(manage_token_hash=keyed_digest(token)).first()
            if token
            else None
        )
        if appointment is None:
            raise _refusal("inactive")
        if appointment.status != Appointment.Status.PENDING:
            return appointment
        expired = appointment.created_at < timezone.now() - PENDING_HOLD or appointment.start <= timezone.now()
        if expired:
            _release(appointment, Appointment.Status.CANCELLED)  # kept: the refusal is raised after commit
    if expired:
        raise BookingRefused("expired", _("This booking was not confirmed in time. Please book again."))
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if appointment.status != Appointment.Status.PENDING:
            return appointment
        appointment.status = Appointment.Status.BOOKED
        appointment.save(update_fields=["status"])
        audit.record(None, "appointment.confirm", appointment, office=appointment.office, subject=appointment.citizen)
        notifications.schedule_reminders(appointment)
        transaction.on_commit(lambda: tasks.send_booking_confirmation_task.enqueue(appointment.pk))
    return appointment


def _release(appointment: Appointment, status: str) -> None:
    """End an appointment: free its resources (a seat frees itself), stop its reminders."""
    from oegd.appointments import notifications

    appointment.status = status
    appointment.cancelled_at = timezone.now()
    appointment.save(update_fields=["status", "cancelled_at"])
    ResourceClaim.objects.filter(appointment=appointment, active=True).update(active=False)
    notifications.cancel_reminders(appointment)


def _check_changeable(appointment: Appointment, by_office: bool) -> None:
    if appointment.status not in Appointment.ACTIVE:
        raise _refusal("inactive")
    cutoff = timedelta(minutes=appointment.appointment_type.cancellation_cutoff_minutes)
    if not by_office and appointment.start - timezone.now() < cutoff:
        raise _refusal("cutoff", appointment.appointment_type)


def cancel_appointment(*, actor: Any, appointment: Appointment, by_office: bool = False) -> Appointment:
    """Cancel (Terminabsage): the place is freed, reminders stop, the waiting list is offered it."""
    from oegd.appointments import tasks

    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().select_related("appointment_type").get(pk=appointment.pk)
        _check_changeable(appointment, by_office)
        _release(appointment, Appointment.Status.CANCELLED)
        audit.record(
            _actor(actor),
            "appointment.cancel",
            appointment,
            office=appointment.office,
            subject=appointment.citizen,
            purpose="by office" if by_office else "",
        )
        type_id, start = appointment.appointment_type_id, appointment.start.isoformat()
        transaction.on_commit(lambda: tasks.send_cancellation_task.enqueue(appointment.pk, by_office))
        transaction.on_commit(lambda: tasks.offer_freed_slot_task.enqueue(type_id, start))
    return appointment


def rebook_appointment(*, actor: Any, appointment: Appointment, start: datetime) -> tuple[Appointment, str]:
    """Move an appointment to another time of the same type (Umbuchung), in one transaction:
    the new time is booked first, then the old one is released; the old links stop working."""
    from oegd.appointments import tasks

    with transaction.atomic():
        old = Appointment.objects.select_for_update().select_related("appointment_type").get(pk=appointment.pk)
        _check_changeable(old, by_office=isinstance(actor, User) and actor.kind == User.Kind.STAFF)
        _release(old, Appointment.Status.RESCHEDULED)
        new, token = book_appointment(
            actor=actor,
            appointment_type=old.appointment_type,
            start=start,
            name=old.name,
            email=old.email,
            language=old.language,
            phone=old.phone,
            note=old.note,
            citizen=old.citizen,
            invitation=None,
            booked_by=old.booked_by,
            confirmed=True,
            notify=False,
            confidential=old.confidential,
        )
        old.moved_to = new
        old.save(update_fields=["moved_to"])
        audit.record(_actor(actor), "appointment.rebook", old, office=old.office, subject=old.citizen)
        type_id, freed = old.appointment_type_id, old.start.isoformat()
        transaction.on_commit(lambda: tasks.send_rebooked_task.enqueue(old.pk, new.pk))
        transaction.on_commit(lambda: tasks.offer_freed_slot_task.enqueue(type_id, freed))
    return new, token


def record_outcome(*, actor: User, appointment: Appointment, status: str) -> Appointment:
    """Staff record whether the person came (for no-show figures); only after the start."""
    if status not in (Appointment.Status.COMPLETED, Appointment.Status.NO_SHOW):
        raise _refusal("invalid")
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if appointment.status not in (
            Appointment.Status.BOOKED,
            Appointment.Status.COMPLETED,
            Appointment.Status.NO_SHOW,
        ):
            raise _refusal("inactive")
        if appointment.start > timezone.now():
            raise BookingRefused("future", _("An appointment's outcome can be recorded once it has begun."))
        appointment.status = status
        appointment.save(update_fields=["status"])
        audit.record(
            actor, f"appointment.{status}", appointment, office=appointment.office, subject=appointment.citizen
        )
    return appointment


def join_waiting_list(
    *,
    appointment_type: AppointmentType,
    name: str,
    email: str,
    language: str,
    earliest: datetime,
    latest: datetime,
    citizen: User | None = None,
) -> WaitingListEntry:
    """Put someone on the waiting list: the next freed slot in the period is offered by e-mail."""
    if latest <= earliest or latest <= timezone.now():
        raise _refusal("invalid")
    with transaction.atomic():
        entry = WaitingListEntry.objects.create(
            appointment_type=appointment_type,
            citizen=citizen,
            name=name.strip()[:200],
            email=email.strip().lower(),
            language=language,
            earliest=earliest,
            latest=latest,
        )
        audit.record(citizen, "appointment.waiting_list", entry, office=appointment_type.office, subject=citizen)
    return entry


def create_invitation(
    *, actor: Any, appointment_type: AppointmentType, name: str, email: str, case: Any = None, days: int = 60
) -> tuple[Invitation, str]:
    """An invitation to book (e.g. the school-entry examination); the token opens the booking."""
    token = new_token()
    with transaction.atomic():
        invitation = Invitation.objects.create(
            appointment_type=appointment_type,
            token_hash=keyed_digest(token),
            name=name,
            email=email.strip().lower(),
            case=case,
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit.record(_actor(actor), "appointment.invite", invitation, office=appointment_type.office)
    return invitation, token


def create_calendar_feed(*, user: User) -> str:
    """A new secret for the citizen's private calendar feed (an old feed URL stops working)."""
    token = new_token()
    with transaction.atomic():
        CalendarFeed.objects.update_or_create(user=user, defaults={"token_hash": keyed_digest(token)})
        audit.record(user, "appointment.feed", user, subject=user)
    return token
