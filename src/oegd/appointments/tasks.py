"""Background work of online appointments: confirmations, reminders, waiting-list offers.

Every task takes ids (JSON arguments), reloads the rows and does nothing when the appointment
is gone or no longer in the state the message is about, so a late or repeated run is harmless.
"""

from __future__ import annotations

from datetime import datetime

from django.tasks import task


def _appointment(appointment_id: int):
    from oegd.appointments.models import Appointment

    return Appointment.objects.select_related("office", "appointment_type__location").filter(pk=appointment_id).first()


def _token(appointment, manage_token: str) -> str:
    """The token passed in, else the derived one (keeps the secret out of the task queue)."""
    from oegd.appointments.notifications import manage_token_for

    return manage_token or manage_token_for(appointment)


@task
def send_due_reminders_task() -> int:
    """Send the reminders that are due (periodic, every few minutes); returns how many."""
    from oegd.appointments.notifications import send_due_reminders

    return send_due_reminders()


@task
def offer_freed_slot_task(appointment_type_id: int, start_iso: str) -> int | None:
    """Offer a freed time to the waiting list; returns the id of the entry offered, if any."""
    from oegd.appointments.models import AppointmentType
    from oegd.appointments.notifications import offer_freed_slot

    appointment_type = AppointmentType.objects.select_related("office", "location").filter(pk=appointment_type_id)
    appointment_type = appointment_type.first()
    if appointment_type is None or not appointment_type.is_active:
        return None
    entry = offer_freed_slot(appointment_type=appointment_type, start=datetime.fromisoformat(start_iso))
    return entry.pk if entry else None


@task
def send_booking_confirmation_task(appointment_id: int, manage_token: str = "") -> bool:
    """Confirmation with .ics of a booked appointment (skipped once it is no longer booked)."""
    from oegd.appointments.models import Appointment
    from oegd.appointments.notifications import send_booking_confirmation

    appointment = _appointment(appointment_id)
    if appointment is None or appointment.status != Appointment.Status.BOOKED:
        return False
    send_booking_confirmation(appointment, _token(appointment, manage_token))
    return True


@task
def send_pending_confirmation_task(appointment_id: int, manage_token: str = "") -> bool:
    """The "please confirm" e-mail of a held booking (skipped once confirmed or released)."""
    from oegd.appointments.models import Appointment
    from oegd.appointments.notifications import send_pending_confirmation

    appointment = _appointment(appointment_id)
    if appointment is None or appointment.status != Appointment.Status.PENDING:
        return False
    send_pending_confirmation(appointment, _token(appointment, manage_token))
    return True


@task
def send_cancellation_task(appointment_id: int, by_office: bool = False) -> bool:
    """The cancellation notice with a CANCEL .ics (only for a cancelled appointment)."""
    from oegd.appointments.models import Appointment
    from oegd.appointments.notifications import send_cancellation

    appointment = _appointment(appointment_id)
    if appointment is None or appointment.status != Appointment.Status.CANCELLED:
        return False
    send_cancellation(appointment, by_office=by_office)
    return True


@task
def send_rebooked_task(old_appointment_id: int, new_appointment_id: int, manage_token: str = "") -> bool:
    """The "moved" notice: new time with .ics, CANCEL .ics for the old one."""
    from oegd.appointments.models import Appointment
    from oegd.appointments.notifications import send_rebooked

    old, new = _appointment(old_appointment_id), _appointment(new_appointment_id)
    if old is None or new is None or new.status != Appointment.Status.BOOKED:
        return False
    send_rebooked(old, new, _token(new, manage_token))
    return True
