"""Notices say only that a message is waiting: never its text, subject or files; anonymous youths
get none; each message is announced once."""

from __future__ import annotations

import pytest
from django.core import mail

from oegd.appointments.notifications import sms_outbox
from oegd.directory.models import Institution
from oegd.messaging import services
from oegd.messaging.models import Message
from oegd.messaging.notifications import notify_about_message
from oegd.messaging.tests.factories import anonymous_thread, citizen_thread, incoming

pytestmark = pytest.mark.django_db

CONTENT = ["Masern", "Fieber", "Ausschlag", "befund", "Impfpass", "Mobbing", "gemobbt", "Schule"]


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    sms_outbox.clear()
    yield
    sms_outbox.clear()


def _assert_no_content(texts: list[str]) -> None:
    for text in texts:
        for word in CONTENT:
            assert word.lower() not in text.lower(), (word, text)


def test_citizen_gets_an_email_and_sms_without_content(site, django_capture_on_commit_callbacks):
    thread = citizen_thread(
        site, subject="Masern und Fieber", body="Ausschlag seit Montag", notify_phone="+4915112345678"
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_message(
            actor=site.cast.clerk_a,
            thread=thread,
            author_kind=Message.Author.STAFF,
            body="Bitte bringen Sie den Impfpass mit. Verdacht auf Masern.",
            files=[incoming(name="befund.pdf")],
        )
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [site.cast.citizen.email]
    assert f"https://portal.example/my/messages/{thread.public_id}/" in email.body
    assert "Gesundheitsamt Musterstadt" in email.body
    assert not email.attachments
    _assert_no_content([email.subject, email.body])
    assert [sms.to for sms in sms_outbox] == ["+4915112345678"]
    assert f"/my/messages/{thread.public_id}/" in sms_outbox[0].text
    _assert_no_content([sms.text for sms in sms_outbox])


def test_internal_notes_notify_nobody(site, django_capture_on_commit_callbacks):
    thread = citizen_thread(site)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_message(actor=site.cast.clerk_a, thread=thread, author_kind="staff", body="x", internal=True)
    assert mail.outbox == [] and sms_outbox == []


def test_anonymous_youth_get_no_notification_but_the_team_mailbox_does(site, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        thread, _code = anonymous_thread(site, body="Ich werde in der Schule gemobbt.")
    assert [m.to for m in mail.outbox] == [["team-jugend@musterstadt.example"]]
    assert f"/staff/messages/{thread.public_id}/" in mail.outbox[0].body
    _assert_no_content([mail.outbox[0].subject, mail.outbox[0].body])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_message(actor=site.cast.clerk_a, thread=thread, author_kind="staff", body="Wir helfen dir.")
    assert mail.outbox == [] and sms_outbox == []


def test_the_assignee_hears_about_the_persons_answer(site, django_capture_on_commit_callbacks):
    thread = citizen_thread(site)
    services.assign_thread(actor=site.cast.clerk_a, thread=thread, assignee=site.cast.physician_a)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_message(actor=site.cast.citizen, thread=thread, author_kind="person", body="Fieber ist weg")
    assert [m.to for m in mail.outbox] == [[site.cast.physician_a.email]]
    _assert_no_content([mail.outbox[0].subject, mail.outbox[0].body])


def test_an_institution_gets_an_email_at_its_address(site, django_capture_on_commit_callbacks):
    school = Institution.objects.create(
        office=site.cast.office_a, kind="school", name="Astrid-Lindgren-Haus", email="sekretariat@schule.example"
    )
    thread = services.start_thread(
        actor=site.cast.institution_user,
        office=site.cast.office_a,
        institution=school,
        subject="Masern in Klasse 3b",
        body="Zwei Kinder mit Ausschlag",
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_message(actor=site.cast.clerk_a, thread=thread, author_kind="staff", body="Wir kommen.")
    assert [m.to for m in mail.outbox] == [["sekretariat@schule.example"]]
    _assert_no_content([mail.outbox[0].subject, mail.outbox[0].body])


def test_each_message_is_announced_once(site, django_capture_on_commit_callbacks):
    thread = citizen_thread(site)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.post_message(actor=site.cast.clerk_a, thread=thread, author_kind="staff", body="Antwort")
    assert len(mail.outbox) == 1
    assert notify_about_message(reply.pk) == []
    assert len(mail.outbox) == 1
