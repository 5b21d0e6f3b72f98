"""A citizen books an appointment in Ukrainian in Chromium, gets the confirmation with its .ics,
moves the appointment from the e-mail link, cancels it, and no reminder goes out afterwards."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import time_machine
from django.core import mail
from playwright.sync_api import expect

from oegd.appointments.models import Appointment, AppointmentType, Reminder
from oegd.appointments.notifications import send_due_reminders, sms_outbox
from oegd.core.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A Monday morning in March: the week ahead has free slots.
NOW = datetime(2027, 3, 1, 6, 30, tzinfo=UTC)
CYRILLIC = re.compile(r"[\u0400-\u04FF]")


def manage_link(message) -> str:
    return re.search(r"https?://\S+/appointments/manage/[^/\s]+/", message.body).group(0)


def calendar_event(message) -> icalendar.Event:
    attachment = next(
        part
        for part in message.attachments
        if "calendar" in (part[2] if isinstance(part, tuple) else part.get_content_type())
    )
    content = attachment[1] if isinstance(attachment, tuple) else attachment.get_payload(decode=True)
    calendar = icalendar.Calendar.from_ical(content)
    return next(component for component in calendar.walk("VEVENT"))


def test_citizen_books_in_ukrainian_rebooks_from_the_email_and_cancels(
    context, page, log_in_as, axe_check, live_server, settings
):
    from oegd.demo.data import load_demo

    settings.SITE_URL = live_server.url
    with time_machine.travel(NOW, tick=True):
        load_demo()
        citizen = User.objects.get(email="buerger@example.org")
        kind = AppointmentType.objects.get(office__slug="musterstadt", slug="impfberatung")
        context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "uk", "url": live_server.url}])
        log_in_as(citizen)

        page.goto(f"/appointments/?type={kind.pk}")
        expect(page.locator("html")).to_have_attribute("lang", "uk")
        expect(page.get_by_text(kind.text("name", "uk")).first).to_be_visible()
        axe_check(page)
        # Wednesday: far enough ahead to move or cancel online (the cutoff is a day before)
        page.locator(f'a[href*="/appointments/book/{kind.pk}/20270303T"]').first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(CYRILLIC)
        axe_check(page)
        page.locator("form.oegd-form button[type=submit]").click()

        first = Appointment.objects.get(citizen=citizen)
        assert first.status == Appointment.Status.BOOKED and first.language == "uk"
        expect(page).to_have_url(re.compile(rf"/my/appointments/{first.public_id}/$"))
        axe_check(page)
        assert [m.to for m in mail.outbox] == [[citizen.email]]
        event = calendar_event(mail.outbox[0])
        assert event.decoded("DTSTART") == first.start
        assert str(event["SUMMARY"]) == kind.text("name", "uk")
        assert Reminder.objects.filter(appointment=first, cancelled_at=None).exists()

        # Move it from the link in the e-mail: another free time the same week.
        page.goto(manage_link(mail.outbox[0]))
        axe_check(page)
        page.locator('button[name="action"][value="rebook"]').click()
        axe_check(page)
        page.locator('button[name="start"][value^="20270304T"]').first.click()
        moved = Appointment.objects.get(citizen=citizen, status=Appointment.Status.BOOKED)
        assert moved.pk != first.pk and moved.start != first.start
        first.refresh_from_db()
        assert first.status == Appointment.Status.RESCHEDULED and first.moved_to == moved
        rebooked_mail = mail.outbox[-1]
        assert rebooked_mail.to == [citizen.email]
        assert calendar_event(rebooked_mail).decoded("DTSTART") == moved.start

        # Cancel from the new e-mail's link.
        page.goto(manage_link(rebooked_mail))
        page.locator('button[name="action"][value="cancel"]').click()
        expect(page.locator("main")).to_contain_text(CYRILLIC)
        moved.refresh_from_db()
        assert moved.status == Appointment.Status.CANCELLED
        axe_check(page)

    # The day before and two hours before the cancelled (and the moved) time: nothing goes out.
    sent_before = len(mail.outbox)
    sms_before = len(sms_outbox)
    for moment in (
        moved.start - timedelta(hours=23),
        moved.start - timedelta(hours=1),
        first.start - timedelta(hours=1),
    ):
        with time_machine.travel(moment, tick=False):
            assert send_due_reminders() == 0
    assert len(mail.outbox) == sent_before and len(sms_outbox) == sms_before
    assert not Reminder.objects.filter(sent_at__isnull=False).exists()
