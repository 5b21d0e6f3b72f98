"""Writes of secure messaging: threads, messages, closing, anonymous codes with PIN and lockout,
linking to an account, files stored encrypted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core import mail

from oegd.core.models import AuditEvent
from oegd.core.tests.factories import UserFactory
from oegd.messaging import access_codes, selectors, services
from oegd.messaging.models import AnonymousAccess, Message, MessageAttachment, Thread
from oegd.messaging.tests.factories import PDF, anonymous_thread, citizen_thread, incoming

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 5, 3, 8, 0, tzinfo=UTC)


def test_a_citizen_starts_a_thread_for_the_topic_team(site, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        thread = citizen_thread(site, files=[incoming()])
    assert thread.office == site.cast.office_a and thread.team == site.infection and thread.topic == site.vaccination
    assert thread.citizen == site.cast.citizen and thread.status == Thread.Status.OPEN and thread.needs_reply
    message = thread.messages.get()
    assert message.author_kind == Message.Author.PERSON and message.author == site.cast.citizen
    attachment = message.attachments.get()
    assert attachment.filename == "befund.pdf" and attachment.size == len(PDF)
    assert selectors.read_attachment(attachment) == PDF
    assert AuditEvent.objects.filter(action="message_thread.start", object_id=str(thread.pk)).exists()
    assert AuditEvent.objects.filter(action="message.send", object_id=str(message.pk), subject=site.cast.citizen)


def test_staff_reply_and_internal_note(site):
    thread = citizen_thread(site)
    reply = services.post_message(
        actor=site.cast.clerk_a, thread=thread, author_kind=Message.Author.STAFF, body="Gern beraten wir Sie."
    )
    thread.refresh_from_db()
    assert not thread.needs_reply and thread.last_message_at == reply.created_at
    note = services.post_message(
        actor=site.cast.clerk_a, thread=thread, author_kind=Message.Author.STAFF, body="Rückruf?", internal=True
    )
    thread.refresh_from_db()
    assert thread.last_message_at == reply.created_at  # notes are not activity the person sees
    assert note not in selectors.messages_for_person(thread)
    assert note in selectors.messages_for_staff(thread)


def test_only_staff_write_internal_notes(site):
    thread = citizen_thread(site)
    with pytest.raises(services.MessageInvalid):
        services.post_message(
            actor=site.cast.citizen, thread=thread, author_kind=Message.Author.PERSON, body="x", internal=True
        )
    assert thread.messages.count() == 1


def test_no_message_to_a_closed_thread_and_nothing_changes(site, tmp_path):
    thread = citizen_thread(site)
    services.close_thread(actor=site.cast.clerk_a, thread=thread)
    thread.refresh_from_db()
    before = (thread.messages.count(), MessageAttachment.objects.count(), thread.last_message_at)
    with pytest.raises(services.ThreadClosed) as refused:
        services.post_message(
            actor=site.cast.citizen,
            thread=thread,
            author_kind=Message.Author.PERSON,
            body="Noch eine Frage",
            files=[incoming()],
        )
    assert "closed" in refused.value.message
    thread.refresh_from_db()
    assert (thread.messages.count(), MessageAttachment.objects.count(), thread.last_message_at) == before
    stored = Path(settings.MEDIA_ROOT) / "messages"
    assert not stored.exists() or not any(path.is_file() for path in stored.rglob("*"))
    # staff can still note internally, and reopen
    services.post_message(actor=site.cast.clerk_a, thread=thread, author_kind="staff", body="Akte zu", internal=True)
    services.reopen_thread(actor=site.cast.clerk_a, thread=thread)
    services.post_message(actor=site.cast.citizen, thread=thread, author_kind="person", body="Danke")


def test_empty_and_too_long_messages_are_refused(site):
    with pytest.raises(services.MessageInvalid):
        citizen_thread(site, body="   ")
    with pytest.raises(services.MessageInvalid):
        citizen_thread(site, body="x" * (services.MAX_BODY_CHARS + 1))
    with pytest.raises(services.MessageInvalid):
        citizen_thread(site, files=[incoming()] * 6)
    assert not Thread.objects.exists()


def test_a_topic_of_another_office_is_refused(site):
    with pytest.raises(services.MessageInvalid):
        citizen_thread(site, topic=site.other_office_topic)
    assert not Thread.objects.exists()


def test_assign_due_date_team_and_case(site):
    from oegd.cases.models import Case

    thread = citizen_thread(site)
    services.assign_thread(actor=site.cast.clerk_a, thread=thread, assignee=site.cast.physician_a)
    services.set_due_date(actor=site.cast.clerk_a, thread=thread, due_on=NOW.date())
    services.move_to_team(actor=site.cast.clerk_a, thread=thread, team=site.school_health)
    case = Case.objects.create(office=site.cast.office_a, reference="A-2027-1", case_type="x", title="x")
    services.link_case(actor=site.cast.clerk_a, thread=thread, case=case)
    thread.refresh_from_db()
    assert (thread.assignee, thread.due_on, thread.team, thread.case) == (
        site.cast.physician_a,
        NOW.date(),
        site.school_health,
        case,
    )
    with pytest.raises(services.DomainError):
        services.assign_thread(actor=site.cast.clerk_a, thread=thread, assignee=site.cast.clerk_b)
    other_case = Case.objects.create(office=site.cast.office_b, reference="B-2027-1", case_type="x", title="x")
    with pytest.raises(services.DomainError):
        services.link_case(actor=site.cast.clerk_a, thread=thread, case=other_case)
    thread.refresh_from_db()
    assert thread.assignee == site.cast.physician_a and thread.case == case


# --- anonymous -------------------------------------------------------------------------------------


def test_anonymous_start_gives_a_code_once_and_stores_nothing_about_the_person(site):
    thread, code = anonymous_thread(site)
    assert len(code) == 20 and set(code) <= set(access_codes.ALPHABET)
    access = AnonymousAccess.objects.get(thread=thread)
    assert code not in access.code_digest and "4711" not in access.pin_hash
    assert thread.citizen is None and thread.started_anonymously and thread.confidential
    assert thread.team == site.school_health
    message = thread.messages.get()
    assert message.author is None and message.api_client is None
    # the formatted code with forgiven look-alikes and lower case opens it
    typed = access_codes.format_access_code(code).lower().replace("1", "l").replace("0", "o")
    assert services.open_anonymous_thread(code=typed, pin="4711") == thread


def test_only_topics_open_to_young_people_take_anonymous_messages(site):
    with pytest.raises(services.MessageInvalid):
        services.start_anonymous_thread(
            office=site.cast.office_a, topic=site.vaccination, subject="x", body="y", pin="4711"
        )
    assert not Thread.objects.exists()


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", "0000", "1234", "9876", "٤٧١١"])
def test_weak_or_malformed_pins_are_refused(pin):
    with pytest.raises(services.PinInvalid):
        services.check_pin(pin)


def test_wrong_code_and_wrong_pin_give_the_same_message(site):
    thread, code = anonymous_thread(site)
    with pytest.raises(services.AccessRefused) as wrong_pin:
        services.open_anonymous_thread(code=code, pin="9999")
    with pytest.raises(services.AccessRefused) as wrong_code:
        services.open_anonymous_thread(code=access_codes.generate_access_code(), pin="4711")
    with pytest.raises(services.AccessRefused) as malformed:
        services.open_anonymous_thread(code="not a code", pin="4711")
    assert wrong_pin.value.message == wrong_code.value.message == malformed.value.message
    assert type(wrong_pin.value) is type(wrong_code.value) is services.AccessRefused


def test_five_wrong_pins_lock_the_code_for_thirty_minutes(site):
    with time_machine.travel(NOW, tick=False) as traveller:
        thread, code = anonymous_thread(site)
        for _attempt in range(4):
            with pytest.raises(services.AccessRefused) as refused:
                services.open_anonymous_thread(code=code, pin="9999")
            assert not isinstance(refused.value, services.AccessLocked)
        with pytest.raises(services.AccessLocked) as locked:
            services.open_anonymous_thread(code=code, pin="9999")
        assert "30 minutes" in locked.value.message
        with pytest.raises(services.AccessLocked):  # even the right PIN, while locked
            services.open_anonymous_thread(code=code, pin="4711")
        traveller.shift(timedelta(minutes=29))
        with pytest.raises(services.AccessLocked):
            services.open_anonymous_thread(code=code, pin="4711")
        traveller.shift(timedelta(minutes=2))
        assert services.open_anonymous_thread(code=code, pin="4711") == thread
        assert AnonymousAccess.objects.get(thread=thread).failed_attempts == 0


def test_unknown_codes_lock_like_known_ones(site):
    code = access_codes.generate_access_code()
    with time_machine.travel(NOW, tick=False):
        messages = []
        for _attempt in range(5):
            with pytest.raises(services.AccessRefused) as refused:
                services.open_anonymous_thread(code=code, pin="4711")
            messages.append(refused.value)
    assert [type(m) for m in messages] == [services.AccessRefused] * 4 + [services.AccessLocked]


def test_an_expired_code_says_so_only_with_the_right_pin(site):
    with time_machine.travel(NOW, tick=False) as traveller:
        thread, code = anonymous_thread(site)
        traveller.shift(services.CODE_LIFETIME + timedelta(days=1))
        with pytest.raises(services.AccessRefused) as wrong:
            services.open_anonymous_thread(code=code, pin="9999")
        assert type(wrong.value) is services.AccessRefused
        with pytest.raises(services.AccessExpired) as expired:
            services.open_anonymous_thread(code=code, pin="4711")
        assert "expired" in expired.value.message


def test_each_return_keeps_the_code_alive(site):
    with time_machine.travel(NOW, tick=False) as traveller:
        thread, code = anonymous_thread(site)
        traveller.shift(services.CODE_LIFETIME - timedelta(days=1))
        assert services.open_anonymous_thread(code=code, pin="4711") == thread
        traveller.shift(services.CODE_LIFETIME - timedelta(days=1))
        assert services.open_anonymous_thread(code=code, pin="4711") == thread


def test_a_youth_links_the_thread_to_a_new_account(site, django_capture_on_commit_callbacks):
    thread, code = anonymous_thread(site)
    services.post_message(actor=site.cast.clerk_a, thread=thread, author_kind="staff", body="Wir sind für dich da.")
    youth = UserFactory(email="jugend@example.org", full_name="Jo")
    linked = services.link_anonymous_thread(user=youth, code=code, pin="4711")
    assert linked.pk == thread.pk and linked.citizen == youth
    assert selectors.get_thread_for_person(user=youth, public_id=str(thread.public_id)) == thread
    assert len(selectors.messages_for_person(thread)) == 2  # history kept
    with pytest.raises(services.AccessExpired) as moved:
        services.open_anonymous_thread(code=code, pin="4711")
    assert "account" in moved.value.message
    other = UserFactory(email="other@example.org")
    with pytest.raises(services.AccessRefused):
        services.link_anonymous_thread(user=other, code=code, pin="4711")
    assert Thread.objects.get(pk=thread.pk).citizen == youth
    # from now on answers are announced to the account's address
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_message(actor=site.cast.clerk_a, thread=thread, author_kind="staff", body="Noch da?")
    assert [m.to for m in mail.outbox] == [["jugend@example.org"]]


def test_link_with_a_wrong_pin_changes_nothing(site):
    thread, code = anonymous_thread(site)
    youth = UserFactory(email="jugend@example.org")
    with pytest.raises(services.AccessRefused):
        services.link_anonymous_thread(user=youth, code=code, pin="1357")
    thread.refresh_from_db()
    assert thread.citizen is None and AnonymousAccess.objects.get(thread=thread).linked_at is None


def test_read_receipts(site):
    thread = citizen_thread(site)
    reply = services.post_message(actor=site.cast.clerk_a, thread=thread, author_kind="staff", body="Antwort")
    assert services.mark_read_by_staff(user=site.cast.clerk_a, thread=thread) == 1
    first = thread.messages.get(author_kind="person")
    assert first.read_at is not None and first.read_by == site.cast.clerk_a
    assert services.mark_read_by_person(thread=thread) == 1
    reply.refresh_from_db()
    assert reply.read_at is not None and reply.read_by is None
    assert services.mark_read_by_person(thread=thread) == 0  # the first opening counts


def test_a_virus_finding_stores_nothing(site, settings, monkeypatch):
    from oegd.forms import attachments

    settings.CLAMD_ADDRESS = "tcp://127.0.0.1:1"
    monkeypatch.setattr(attachments, "_clamd_instream", lambda *args: "stream: Eicar-Signature FOUND")
    with pytest.raises(attachments.AttachmentRefused):
        citizen_thread(site, files=[incoming()])
    assert not Thread.objects.exists() and not MessageAttachment.objects.exists()
    stored = Path(settings.MEDIA_ROOT) / "messages"
    assert not stored.exists() or not any(path.is_file() for path in stored.rglob("*"))
