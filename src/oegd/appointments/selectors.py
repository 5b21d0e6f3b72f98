"""Reads of online appointments, scoped to the person or office asking."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from oegd.appointments.models import Appointment, AppointmentType, CalendarFeed, Invitation, Location, Resource
from oegd.core.crypto import keyed_digest
from oegd.core.models import Office, User


def get_appointment_by_token(token: str) -> Appointment:
    """The appointment behind the secret of an e-mail link; 404 for anything else."""
    if not token:
        raise Http404
    return get_object_or_404(
        Appointment.objects.select_related("appointment_type", "appointment_type__location", "office"),
        manage_token_hash=keyed_digest(token),
    )


def get_invitation_by_token(token: str) -> Invitation:
    """An unused, unexpired invitation; 404 otherwise."""
    return get_object_or_404(
        Invitation.objects.select_related("appointment_type"),
        token_hash=keyed_digest(token),
        used_at=None,
        expires_at__gt=timezone.now(),
    )


def appointments_of_citizen(user: User) -> QuerySet[Appointment]:
    return Appointment.objects.filter(citizen=user).select_related("appointment_type", "appointment_type__location")


def appointments_shown_to_guardian(youth: User) -> QuerySet[Appointment]:
    """A youth's appointments a parent may see (the caller checks the age): never the confidential ones."""
    return appointments_of_citizen(youth).filter(confidential=False)


def get_appointment_of_citizen(*, user: User, public_id: str) -> Appointment:
    return get_object_or_404(appointments_of_citizen(user), public_id=public_id)


def user_of_feed(token: str) -> User:
    feed = get_object_or_404(CalendarFeed.objects.select_related("user"), token_hash=keyed_digest(token))
    return feed.user


def appointments_of_office(
    *,
    office: Office,
    start: datetime,
    end: datetime,
    resource: Resource | None = None,
    location: Location | None = None,
) -> QuerySet[Appointment]:
    """Appointments of the active office in a period (calendars), optionally of one resource or place."""
    appointments = Appointment.objects.filter(office=office, start__lt=end, end__gt=start).select_related(
        "appointment_type", "appointment_type__location", "session"
    )
    if resource is not None:
        appointments = appointments.filter(claims__resource=resource) | appointments.filter(
            session__claims__resource=resource
        )
    if location is not None:
        appointments = appointments.filter(appointment_type__location=location)
    return appointments.distinct().order_by("start")


def bookable_types(*, office: Office | None = None) -> QuerySet[AppointmentType]:
    """Types citizens can find and book themselves (not those by invitation only)."""
    types = AppointmentType.objects.filter(is_active=True, office__is_active=True).exclude(
        audience=AppointmentType.Audience.INVITED
    )
    if office is not None:
        types = types.filter(office=office)
    return types.select_related("location", "office").order_by("office__name", "slug")
