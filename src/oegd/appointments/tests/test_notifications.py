"""E-mails, SMS, iCalendar, reminders and waiting-list offers of online appointments."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage as ParsedEmail
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import icalendar
import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.http import HttpResponse
from django.urls import include, path, reverse
from django.utils import translation

from oegd.appointments import notifications, tasks
from oegd.appointments.models import (
    Appointment,
    AppointmentType,
    Location,
    Reminder,
    Resource,
    WaitingListEntry,
)
from oegd.appointments.notifications import (
    HttpGateway,
    InvalidPhoneNumber,
    LoopbackGateway,
    SmsDeliveryFailed,
    appointment_ics,
    calendar_feed,
    cancel_reminders,
    manage_link,
    manage_token_for,
    normalise_phone_number,
    offer_freed_slot,
    schedule_reminders,
    send_booking_confirmation,
    send_cancellation,
    send_due_reminders,
    send_pending_confirmation,
    send_rebooked,
    sms_gateway,
    sms_outbox,
)
from oegd.core.crypto import keyed_digest
from oegd.core.tests.factories import OfficeFactory, UserFactory


# The URL names the lead registers (namespace "appointments"), stubbed so these tests stand alone.
def _page(request, **kwargs):
    return HttpResponse("")


urlpatterns = [
    path(
        "appointments/",
        include(
            (
                [
                    path("", _page, name="index"),
                    path("manage/<str:token>/", _page, name="manage"),
                    path("feed/<str:token>.ics", _page, name="feed"),
                    path("video/<uuid:public_id>/", _page, name="video"),
                ],
                "appointments",
            )
        ),
    )
]
pytestmark = pytest.mark.urls(__name__)

SITE = "https://termine.example"
NOW = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
# Tuesday 17 March 2026, 10:30 in Berlin (CET, UTC+1).
START = datetime(2026, 3, 17, 9, 30, tzinfo=UTC)
TYPE_DE = "Impfberatung"
TYPE_UK = "Консультація щодо щеплень"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.SMS_GATEWAY = "loopback"
    sms_outbox.clear()
    yield
    sms_outbox.clear()


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def office(db):
    return OfficeFactory(
        slug="musterstadt",
        name="Gesundheitsamt Musterstadt",
        street="Rathausplatz 1",
        postal_code="12345",
        place="Musterstadt",
        email="termine@musterstadt.example",
        phone="030 1234-0",
    )


@pytest.fixture
def location(office):
    return Location.objects.create(
        office=office,
        name="Impfstelle Haus B",
        street="Hauptstraße 5",
        postal_code="12345",
        place="Musterstadt",
        accessibility={"de": "Stufenloser Zugang, Aufzug im Hof", "uk": "Безбар'єрний вхід, ліфт у дворі"},
    )


@pytest.fixture
def appointment_type(office, location):
    Resource.objects.create(office=office, location=location, kind=Resource.Kind.STAFF, name="Dr. Weber")
    return AppointmentType.objects.create(
        office=office,
        slug="impfberatung",
        texts={"de": {"name": TYPE_DE}, "uk": {"name": TYPE_UK}, "en": {"name": "Vaccination advice"}},
        location=location,
        duration_minutes=30,
        reminder_offsets=[1440, 120],
    )


def make_appointment(appointment_type, *, start=START, language="de", **fields) -> Appointment:
    appointment = Appointment(
        office=appointment_type.office,
        appointment_type=appointment_type,
        start=start,
        end=start + timedelta(minutes=appointment_type.duration_minutes),
        name=fields.pop("name", "Erika Mustermann"),
        email=fields.pop("email", "erika@example.org"),
        language=language,
        **fields,
    )
    # The lead's booking stores the keyed digest of the token it hands out.
    appointment.manage_token_hash = keyed_digest(manage_token_for(appointment))
    appointment.save()
    return appointment


def calendar_attachments(message) -> list[tuple[str, icalendar.Calendar]]:
    parsed: ParsedEmail = message.message()
    found = []
    for part in parsed.walk():
        if part.get_content_type() == "text/calendar":
            found.append((part.get_param("method"), icalendar.Calendar.from_ical(part.get_content())))
    return found


def only_event(calendar: icalendar.Calendar) -> icalendar.Event:
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


# --- phone numbers and gateways ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0170 1234567", "+491701234567"),
        ("0170/123 45-67", "+491701234567"),
        ("+49 (0)170 1234567", "+491701234567"),
        ("0049 170 1234567", "+491701234567"),
        ("+47 912 34 567", "+4791234567"),
        (" +45 20 12 34 56 ", "+4520123456"),
    ],
)
def test_phone_numbers_are_normalised_to_e164(raw, expected):
    assert normalise_phone_number(raw) == expected


@pytest.mark.parametrize("raw", ["", "hello", "170 1234567", "+49", "0", "+0170123456", "0170 12345678901234", "+49x1"])
def test_nonsense_phone_numbers_are_refused(raw):
    with pytest.raises(InvalidPhoneNumber):
        normalise_phone_number(raw)


def test_default_country_code_comes_from_settings(settings):
    settings.SMS_DEFAULT_COUNTRY_CODE = "+47"
    assert normalise_phone_number("0912 34 567") == "+4791234567"


def test_gateway_is_chosen_by_setting(settings):
    assert isinstance(sms_gateway(), LoopbackGateway)
    settings.SMS_GATEWAY = "http"
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/sms"
    assert isinstance(sms_gateway(), HttpGateway)
    settings.SMS_GATEWAY_URL = ""
    with pytest.raises(ImproperlyConfigured):
        sms_gateway()
    settings.SMS_GATEWAY = "carrier-pigeon"
    with pytest.raises(ImproperlyConfigured, match="carrier-pigeon"):
        sms_gateway()


def test_send_sms_through_loopback_normalises_the_number():
    assert notifications.send_sms(to="0170 1234567", text="Hallo") == "+491701234567"
    assert [(m.to, m.text) for m in sms_outbox] == [("+491701234567", "Hallo")]


class _GatewayStub(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append(
            (self.path, self.headers.get("Authorization"), self.headers.get("Content-Type"), body)
        )
        self.send_response(503 if self.path == "/down" else 202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def gateway_server(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _GatewayStub)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_http_gateway_posts_json_with_bearer_token(settings, gateway_server):
    settings.SMS_GATEWAY = "http"
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{gateway_server.server_port}/send"
    settings.SMS_GATEWAY_TOKEN = "gw-secret"
    notifications.send_sms(to="0170 1234567", text="Erinnerung")
    assert gateway_server.received == [
        ("/send", "Bearer gw-secret", "application/json", {"to": "+491701234567", "text": "Erinnerung"})
    ]
    assert sms_outbox == []


def test_http_gateway_raises_on_error_answer_and_unreachable_gateway(gateway_server):
    down = HttpGateway(url=f"http://127.0.0.1:{gateway_server.server_port}/down", token="t")
    with pytest.raises(SmsDeliveryFailed, match="503"):
        down.send(to="+491701234567", text="x")
    assert len(gateway_server.received) == 1
    closed = ThreadingHTTPServer(("127.0.0.1", 0), _GatewayStub)
    port = closed.server_port
    closed.server_close()
    with pytest.raises(SmsDeliveryFailed, match="unreachable"):
        HttpGateway(url=f"http://127.0.0.1:{port}/send", token="t").send(to="+491701234567", text="x")


# --- iCalendar --------------------------------------------------------------------------------


def test_ics_of_a_booking_parses_back(now, appointment_type):
    appointment = make_appointment(appointment_type)
    link = manage_link(manage_token_for(appointment))
    calendar = icalendar.Calendar.from_ical(appointment_ics(appointment, manage_url=link))
    assert str(calendar["METHOD"]) == "REQUEST"
    assert "OEGD" in str(calendar["PRODID"])
    event = only_event(calendar)
    assert str(event["UID"]) == f"{appointment.public_id}@termine.example"
    assert event.decoded("DTSTART") == START
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTEND") == START + timedelta(minutes=30)
    assert event.decoded("DTSTAMP") == NOW
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("SEQUENCE") == 0
    assert str(event["SUMMARY"]) == TYPE_DE
    assert str(event["LOCATION"]) == "Impfstelle Haus B, Hauptstraße 5, 12345 Musterstadt"
    assert str(event["ORGANIZER"]) == "mailto:termine@musterstadt.example"
    assert event["ORGANIZER"].params["CN"] == "Gesundheitsamt Musterstadt"
    description = str(event["DESCRIPTION"])
    assert link in description
    assert "Stufenloser Zugang, Aufzug im Hof" in description
    assert "030 1234-0" in description
    assert "termine@musterstadt.example" in description


def test_ics_of_a_cancellation(now, appointment_type):
    appointment = make_appointment(appointment_type, language="uk", status=Appointment.Status.CANCELLED)
    calendar = icalendar.Calendar.from_ical(appointment_ics(appointment, method="CANCEL"))
    assert str(calendar["METHOD"]) == "CANCEL"
    event = only_event(calendar)
    assert str(event["UID"]) == f"{appointment.public_id}@termine.example"
    assert str(event["STATUS"]) == "CANCELLED"
    assert event.decoded("SEQUENCE") == 1
    assert str(event["SUMMARY"]) == TYPE_UK
    assert "Безбар'єрний вхід" in str(event["DESCRIPTION"])


def test_ics_location_of_phone_and_video_appointments(now, appointment_type):
    appointment_type.mode = AppointmentType.Mode.VIDEO
    appointment_type.save()
    video = make_appointment(appointment_type)
    event = only_event(icalendar.Calendar.from_ical(appointment_ics(video)))
    video_page = SITE + reverse("appointments:video", args=[video.public_id])
    assert video_page in str(event["LOCATION"])
    assert "Hauptstraße" not in str(event["LOCATION"])
    assert str(event["URL"]).startswith(video_page + "?token=")  # a guest gets in without a session

    appointment_type.mode = AppointmentType.Mode.PHONE
    appointment_type.save()
    phone = make_appointment(appointment_type, start=START + timedelta(hours=1))
    event = only_event(icalendar.Calendar.from_ical(appointment_ics(phone)))
    with translation.override("de"):  # the appointment's language
        assert str(event["LOCATION"]) == str(AppointmentType.Mode.PHONE.label)


def test_feed_lists_the_users_appointments(now, appointment_type):
    clara = UserFactory(email="clara@example.org", language="de")
    other = UserFactory(email="otto@example.org")
    booked = make_appointment(appointment_type, citizen=clara)
    pending = make_appointment(appointment_type, citizen=clara, start=START + timedelta(days=1), status="pending")
    recently_cancelled = make_appointment(
        appointment_type,
        citizen=clara,
        start=START + timedelta(days=2),
        status=Appointment.Status.CANCELLED,
        cancelled_at=NOW - timedelta(days=1),
    )
    make_appointment(
        appointment_type,
        citizen=clara,
        start=NOW - timedelta(days=60),
        status=Appointment.Status.CANCELLED,
        cancelled_at=NOW - timedelta(days=61),
    )
    make_appointment(appointment_type, citizen=other)

    calendar = icalendar.Calendar.from_ical(calendar_feed(clara))
    events = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    assert set(events) == {
        f"{appointment.public_id}@termine.example" for appointment in (booked, pending, recently_cancelled)
    }
    assert str(events[f"{booked.public_id}@termine.example"]["STATUS"]) == "CONFIRMED"
    assert str(events[f"{pending.public_id}@termine.example"]["STATUS"]) == "TENTATIVE"
    assert str(events[f"{recently_cancelled.public_id}@termine.example"]["STATUS"]) == "CANCELLED"
    assert events[f"{booked.public_id}@termine.example"].decoded("DTSTART") == START
    # A feed carries no attendee list and no manage link: the URL is the only secret.
    assert "ATTENDEE" not in events[f"{booked.public_id}@termine.example"]


# --- e-mails ----------------------------------------------------------------------------------


def test_booking_confirmation_in_german(now, appointment_type):
    appointment = make_appointment(appointment_type)
    token = manage_token_for(appointment)
    send_booking_confirmation(appointment, token)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["erika@example.org"]
    assert message.reply_to == ["termine@musterstadt.example"]
    assert "17. März 2026" in message.subject
    assert TYPE_DE not in message.subject  # subjects show on lock screens
    body = message.body
    assert TYPE_DE in body
    assert "Dienstag, 17. März 2026" in body
    assert "10:30 – 11:00" in body  # Berlin time, not UTC
    assert "Impfstelle Haus B, Hauptstraße 5, 12345 Musterstadt" in body
    assert "Stufenloser Zugang, Aufzug im Hof" in body
    assert SITE + reverse("appointments:manage", args=[token]) in body
    assert "Erika Mustermann" in body

    [(method, calendar)] = calendar_attachments(message)
    assert method == "REQUEST"
    assert str(calendar["METHOD"]) == "REQUEST"
    event = only_event(calendar)
    assert str(event["UID"]) == f"{appointment.public_id}@termine.example"
    assert event.decoded("DTSTART") == START
    assert str(event["ATTENDEE"]) == "mailto:erika@example.org"


def test_booking_confirmation_in_ukrainian(now, appointment_type):
    appointment = make_appointment(appointment_type, language="uk")
    send_booking_confirmation(appointment, manage_token_for(appointment))

    body = mail.outbox[0].body
    assert TYPE_UK in body
    assert TYPE_DE not in body
    assert "17 березня 2026" in body
    assert "Вівторок" in body
    assert "10:30" in body
    assert "Безбар'єрний вхід, ліфт у дворі" in body
    assert "Stufenloser Zugang" not in body
    event = only_event(calendar_attachments(mail.outbox[0])[0][1])
    assert str(event["SUMMARY"]) == TYPE_UK


def test_time_is_shown_in_the_locations_time_zone(now, appointment_type):
    appointment_type.location.time_zone = "Europe/Oslo"
    appointment_type.location.save()
    summer = make_appointment(appointment_type, start=datetime(2026, 7, 1, 8, 0, tzinfo=UTC))
    send_booking_confirmation(summer, manage_token_for(summer))
    assert "10:00 – 10:30" in mail.outbox[0].body  # CEST, UTC+2


def test_pending_confirmation_asks_to_open_the_manage_link(now, appointment_type):
    appointment = make_appointment(appointment_type, status=Appointment.Status.PENDING)
    token = manage_token_for(appointment)
    send_pending_confirmation(appointment, token)
    message = mail.outbox[0]
    assert manage_link(token) in message.body
    assert TYPE_DE in message.body
    assert calendar_attachments(message) == []  # nothing for the calendar before it is confirmed


def test_cancellation_carries_a_cancel_ics(now, appointment_type):
    appointment = make_appointment(appointment_type, status=Appointment.Status.CANCELLED, cancelled_at=NOW)
    send_cancellation(appointment, by_office=True)
    message = mail.outbox[0]
    assert "17. März 2026" in message.body
    assert SITE + reverse("appointments:index") + f"?type={appointment_type.pk}" in message.body
    [(method, calendar)] = calendar_attachments(message)
    assert method == "CANCEL"
    event = only_event(calendar)
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == f"{appointment.public_id}@termine.example"


def test_rebooked_mail_names_old_and_new_time(now, appointment_type):
    new_start = START + timedelta(days=2, hours=3)  # Thursday 19 March, 13:30 Berlin
    new = make_appointment(appointment_type, start=new_start)
    old = make_appointment(appointment_type, status=Appointment.Status.RESCHEDULED, moved_to=new)
    token = manage_token_for(new)
    send_rebooked(old, new, token)

    message = mail.outbox[0]
    assert "17. März 2026" in message.body
    assert "10:30" in message.body
    assert "19. März 2026" in message.body
    assert "13:30 – 14:00" in message.body
    assert manage_link(token) in message.body
    calendars = dict(calendar_attachments(message))
    assert only_event(calendars["REQUEST"]).decoded("DTSTART") == new_start
    cancelled = only_event(calendars["CANCEL"])
    assert str(cancelled["UID"]) == f"{old.public_id}@termine.example"
    assert cancelled.decoded("SEQUENCE") == 1


# --- reminders --------------------------------------------------------------------------------


def test_schedule_reminders_per_offset_and_channel(now, appointment_type):
    appointment = make_appointment(appointment_type, phone="0170 1234567")
    reminders = schedule_reminders(appointment)
    assert sorted((r.channel, r.due_at) for r in reminders) == [
        ("email", START - timedelta(days=1)),
        ("email", START - timedelta(hours=2)),
        ("sms", START - timedelta(days=1)),
        ("sms", START - timedelta(hours=2)),
    ]
    schedule_reminders(appointment)  # idempotent
    assert Reminder.objects.filter(appointment=appointment).count() == 4


def test_schedule_reminders_skips_past_offsets_and_sms_without_phone(now, appointment_type):
    soon = make_appointment(appointment_type, start=NOW + timedelta(hours=3))
    reminders = schedule_reminders(soon)
    assert [(r.channel, r.due_at) for r in reminders] == [("email", NOW + timedelta(hours=1))]


def test_due_reminders_go_out_once_by_email_and_sms(now, appointment_type):
    appointment = make_appointment(appointment_type, phone="0170 1234567")
    schedule_reminders(appointment)
    assert send_due_reminders() == 0

    now.move_to(START - timedelta(days=1) + timedelta(minutes=1))
    assert send_due_reminders() == 2
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert "17. März 2026" in email.subject
    assert "10:30" in email.body
    assert TYPE_DE in email.body
    assert "Impfstelle Haus B" in email.body
    assert manage_link(manage_token_for(appointment)) in email.body

    [sms] = sms_outbox
    assert sms.to == "+491701234567"
    assert "17.03.2026" in sms.text
    assert "10:30" in sms.text
    assert manage_link(manage_token_for(appointment)) in sms.text
    # No health content in an SMS: neither the type (in any language) nor the place.
    for secret in (TYPE_DE, TYPE_UK, "Vaccination", "Impf", "Haus B"):
        assert secret not in sms.text

    assert send_due_reminders() == 0
    assert len(mail.outbox) == 1 and len(sms_outbox) == 1
    assert Reminder.objects.filter(appointment=appointment, sent_at__isnull=False).count() == 2

    now.move_to(START - timedelta(hours=1))
    assert send_due_reminders() == 2
    assert len(mail.outbox) == 2 and len(sms_outbox) == 2


def test_sms_reminder_in_ukrainian_has_no_type_name(now, appointment_type):
    appointment = make_appointment(appointment_type, language="uk", phone="+380 67 123 4567")
    schedule_reminders(appointment)
    now.move_to(START - timedelta(hours=1))
    assert send_due_reminders() == 4  # both offsets are due now: each channel twice
    assert {m.to for m in sms_outbox} == {"+380671234567"}
    assert all(TYPE_UK not in m.text and "17.03.2026" in m.text for m in sms_outbox)
    assert all(TYPE_UK in m.body for m in mail.outbox)


@pytest.mark.parametrize("cancel_rows", [True, False])
def test_no_reminder_after_cancellation(now, appointment_type, cancel_rows):
    appointment = make_appointment(appointment_type, phone="0170 1234567")
    schedule_reminders(appointment)
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancelled_at = NOW
    appointment.save()
    if cancel_rows:
        assert cancel_reminders(appointment) == 4
    # Even if the rows were not cancelled, the appointment's status stops them.
    now.move_to(START - timedelta(minutes=30))
    assert send_due_reminders() == 0
    assert mail.outbox == []
    assert sms_outbox == []
    assert not Reminder.objects.filter(sent_at__isnull=False).exists()


def test_no_reminder_for_a_moved_appointment_but_for_the_new_one(now, appointment_type):
    new = make_appointment(appointment_type, start=START + timedelta(hours=23))
    old = make_appointment(appointment_type)
    schedule_reminders(old)
    old.status = Appointment.Status.RESCHEDULED
    old.moved_to = new
    old.save()
    cancel_reminders(old)
    schedule_reminders(new)
    now.move_to(START - timedelta(minutes=30))
    assert send_due_reminders() == 1  # the new one's day-before reminder
    assert [m.to for m in mail.outbox] == [["erika@example.org"]]
    assert "18. März 2026" in mail.outbox[0].body
    assert not Reminder.objects.filter(appointment=old, sent_at__isnull=False).exists()


def test_no_reminder_after_the_start_or_for_a_pending_booking(now, appointment_type):
    pending = make_appointment(appointment_type, status=Appointment.Status.PENDING)
    Reminder.objects.create(appointment=pending, channel="email", due_at=NOW - timedelta(minutes=5))
    started = make_appointment(appointment_type, start=NOW - timedelta(minutes=1))
    Reminder.objects.create(appointment=started, channel="email", due_at=NOW - timedelta(hours=2))
    assert send_due_reminders() == 0
    assert mail.outbox == []


def test_unusable_phone_number_cancels_the_sms_reminder(now, appointment_type):
    appointment = make_appointment(appointment_type, phone="nicht erreichbar")
    sms = Reminder.objects.create(appointment=appointment, channel="sms", due_at=NOW - timedelta(minutes=1))
    assert send_due_reminders() == 0
    sms.refresh_from_db()
    assert sms.cancelled_at == NOW and sms.sent_at is None
    assert sms_outbox == []


def test_a_failing_gateway_leaves_the_reminder_for_the_next_run(now, appointment_type, settings, gateway_server):
    settings.SMS_GATEWAY = "http"
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{gateway_server.server_port}/down"
    appointment = make_appointment(appointment_type, phone="0170 1234567")
    sms = Reminder.objects.create(appointment=appointment, channel="sms", due_at=NOW - timedelta(minutes=1))
    assert send_due_reminders() == 0
    sms.refresh_from_db()
    assert sms.sent_at is None and sms.cancelled_at is None
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{gateway_server.server_port}/send"
    assert send_due_reminders() == 1
    assert len(gateway_server.received) == 2


class _BarrierGateway:
    """Holds each worker at its first SMS until both workers are sending at the same time."""

    barrier: threading.Barrier
    local = threading.local()

    def send(self, *, to: str, text: str) -> None:
        if not getattr(self.local, "met", False):
            self.local.met = True
            self.barrier.wait(timeout=30)
        sms_outbox.append(notifications.SmsMessage(to=to, text=text))


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_a_reminder_twice(appointment_type, settings, monkeypatch):
    from django.utils import timezone

    monkeypatch.setitem(notifications.SMS_GATEWAYS, "barrier", _BarrierGateway)
    monkeypatch.setattr(_BarrierGateway, "barrier", threading.Barrier(2), raising=False)
    settings.SMS_GATEWAY = "barrier"
    now = timezone.now()
    count = 12
    for index in range(count):
        appointment = make_appointment(
            appointment_type, start=now + timedelta(days=1, minutes=30 * index), phone=f"0170 100{index:04d}"
        )
        Reminder.objects.create(appointment=appointment, channel="sms", due_at=now - timedelta(minutes=1))

    results: list[int] = []
    errors: list[BaseException] = []

    def worker():
        try:
            results.append(send_due_reminders(now=now))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(results) == count
    assert all(result >= 1 for result in results)  # both really worked, side by side
    assert len(sms_outbox) == count
    assert len({m.to for m in sms_outbox}) == count
    assert Reminder.objects.filter(sent_at__isnull=False).count() == count


# --- waiting list -----------------------------------------------------------------------------


def test_freed_slot_goes_to_the_oldest_matching_entry_once(now, appointment_type):
    freed = START + timedelta(days=1)

    def entry(name, earliest, latest, **fields):
        return WaitingListEntry.objects.create(
            appointment_type=appointment_type,
            name=name,
            email=f"{name.lower()}@example.org",
            language=fields.pop("language", "de"),
            earliest=earliest,
            latest=latest,
            **fields,
        )

    too_late = entry("Anna", NOW, freed - timedelta(hours=1))  # oldest, window ends before the freed time
    entry("Bernd", NOW, freed + timedelta(days=3), fulfilled_at=NOW)  # already has an appointment
    olga = entry("Olga", NOW, freed + timedelta(days=3), language="uk")
    later = entry("Karl", freed - timedelta(days=1), freed + timedelta(days=1))

    assert offer_freed_slot(appointment_type=appointment_type, start=freed) == olga
    olga.refresh_from_db()
    assert olga.offered_at == NOW
    [message] = mail.outbox
    assert message.to == ["olga@example.org"]
    expected_link = SITE + reverse("appointments:index") + f"?type={appointment_type.pk}&start=2026-03-18T09%3A30%3A00Z"
    assert expected_link in message.body
    assert TYPE_UK in message.body
    assert "18 березня 2026" in message.body

    # Olga was just offered a time: the next freed time goes to the next in line.
    assert offer_freed_slot(appointment_type=appointment_type, start=freed) == later
    assert offer_freed_slot(appointment_type=appointment_type, start=freed) is None
    assert [m.to for m in mail.outbox] == [["olga@example.org"], ["karl@example.org"]]
    too_late.refresh_from_db()
    assert too_late.offered_at is None

    now.shift(timedelta(hours=1, minutes=1))
    assert offer_freed_slot(appointment_type=appointment_type, start=freed) == olga
    # A time in the past is offered to no one.
    assert offer_freed_slot(appointment_type=appointment_type, start=NOW) is None


# --- tasks ------------------------------------------------------------------------------------


def test_tasks_send_and_skip_by_status(now, appointment_type):
    appointment = make_appointment(appointment_type, phone="0170 1234567")
    tasks.send_booking_confirmation_task.enqueue(appointment.pk)  # token derived
    assert manage_link(manage_token_for(appointment)) in mail.outbox[0].body
    assert len(calendar_attachments(mail.outbox[0])) == 1

    tasks.send_pending_confirmation_task.enqueue(appointment.pk)  # not pending: nothing
    tasks.send_cancellation_task.enqueue(appointment.pk)  # not cancelled: nothing
    assert len(mail.outbox) == 1

    schedule_reminders(appointment)
    now.move_to(START - timedelta(minutes=90))
    result = tasks.send_due_reminders_task.enqueue()
    assert result.return_value == 4
    assert len(sms_outbox) == 2

    appointment.status = Appointment.Status.CANCELLED
    appointment.save()
    tasks.send_cancellation_task.enqueue(appointment.pk, by_office=False)
    assert len(calendar_attachments(mail.outbox[-1])) == 1

    WaitingListEntry.objects.create(
        appointment_type=appointment_type,
        name="Olga",
        email="olga@example.org",
        language="de",
        earliest=NOW,
        latest=START + timedelta(days=1),
    )
    offered = tasks.offer_freed_slot_task.enqueue(appointment_type.pk, START.isoformat())
    assert offered.return_value is not None
    assert mail.outbox[-1].to == ["olga@example.org"]
