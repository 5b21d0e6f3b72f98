"""Citizen, institution and anonymous pages: write, answer, files, closed threads, the access code
shown once, coming back, lockout and rate limits, linking to an account, and nobody else's threads."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from oegd.core.tests.factories import UserFactory
from oegd.directory.models import Institution
from oegd.messaging import access_codes, services
from oegd.messaging.models import AnonymousAccess, Message, MessageAttachment, Thread
from oegd.messaging.tests.factories import PDF, anonymous_thread, citizen_thread

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _code_on(page: str) -> str:
    match = re.search(r'data-testid="access-code">([0-9A-Z-]+)<', page)
    assert match, "no access code on the page"
    return match.group(1)


# --- entry ---------------------------------------------------------------------------------------


def test_messages_entry_for_visitors_and_for_citizens(client, site):
    page = client.get("/messages/")
    assert page.status_code == 200
    assert "/messages/anonymous/" in page.content.decode()
    client.force_login(site.cast.citizen)
    assert client.get("/messages/")["Location"] == "/my/messages/"


# --- citizens ------------------------------------------------------------------------------------


def test_citizen_writes_with_a_file_and_reads_the_answer(client, site, django_capture_on_commit_callbacks):
    client.force_login(site.cast.citizen)
    choose = client.post("/my/messages/new/", {"office": site.cast.office_a.pk})
    assert choose["Location"] == "/my/messages/new/musterstadt/"
    page = client.get("/my/messages/new/musterstadt/")
    assert "Vaccinations" in page.content.decode() and "Counselling for young people" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            "/my/messages/new/musterstadt/",
            {
                "topic": site.vaccination.pk,
                "subject": "Masernimpfung",
                "body": "Wann ist die zweite Impfung fällig?",
                "files": [SimpleUploadedFile("impfpass.pdf", PDF, content_type="application/pdf")],
                "phone": "0151 1234 5678",
            },
        )
    thread = Thread.objects.get()
    assert sent["Location"] == f"/my/messages/{thread.public_id}/"
    assert thread.citizen == site.cast.citizen and thread.team == site.infection
    assert thread.notify_phone == "+4915112345678"
    assert thread.messages.get().attachments.get().filename == "impfpass.pdf"

    assert "The health office has not read it yet." in client.get(f"/my/messages/{thread.public_id}/").content.decode()
    services.mark_read_by_staff(user=site.cast.clerk_a, thread=thread)
    services.post_message(actor=site.cast.clerk_a, thread=thread, author_kind="staff", body="Nach vier Wochen.")
    services.post_message(actor=site.cast.clerk_a, thread=thread, author_kind="staff", body="GEHEIM", internal=True)
    listing = client.get("/my/messages/").content.decode()
    assert "Masernimpfung" in listing and "New answer" in listing
    page = client.get(f"/my/messages/{thread.public_id}/").content.decode()
    assert "Nach vier Wochen." in page and "GEHEIM" not in page and "impfpass.pdf" in page
    assert "The health office read it on" in page and "Clara" not in page.split("<main")[1].split("read it")[0][-300:]
    assert Message.objects.get(thread=thread, author_kind="staff", internal=False).read_at is not None
    attachment = MessageAttachment.objects.get()
    download = client.get(f"/my/messages/{thread.public_id}/files/{attachment.public_id}/")
    assert download.status_code == 200 and download.content == PDF
    assert download["Content-Type"] == "application/pdf" and download["Cache-Control"] == "no-store"

    answered = client.post(f"/my/messages/{thread.public_id}/", {"body": "Danke!"})
    assert answered.status_code == 302
    thread.refresh_from_db()
    assert thread.needs_reply and thread.messages.filter(author_kind="person").count() == 2


def test_an_oversized_file_is_refused_and_nothing_is_sent(client, site, settings):
    settings.FORMS_MAX_ATTACHMENT_BYTES = 1024
    thread = citizen_thread(site)
    client.force_login(site.cast.citizen)
    big = PDF + b"0" * 2048
    response = client.post(
        f"/my/messages/{thread.public_id}/",
        {"body": "Hier der Befund", "files": [SimpleUploadedFile("befund.pdf", big, content_type="application/pdf")]},
    )
    assert response.status_code == 400
    assert "larger than 1.0\xa0KB" in response.content.decode()
    assert thread.messages.count() == 1 and not MessageAttachment.objects.exists()


def test_a_disguised_file_is_refused(client, site):
    thread = citizen_thread(site)
    client.force_login(site.cast.citizen)
    response = client.post(
        f"/my/messages/{thread.public_id}/",
        {"body": "x", "files": [SimpleUploadedFile("befund.pdf", b"MZ\x90\x00binary", content_type="application/pdf")]},
    )
    assert response.status_code == 400
    assert "does not match its type" in response.content.decode()
    assert thread.messages.count() == 1


def test_writing_to_a_closed_thread_is_refused(client, site):
    thread = citizen_thread(site)
    services.close_thread(actor=site.cast.clerk_a, thread=thread)
    client.force_login(site.cast.citizen)
    page = client.get(f"/my/messages/{thread.public_id}/").content.decode()
    assert "This conversation is closed" in page and 'name="body"' not in page
    response = client.post(f"/my/messages/{thread.public_id}/", {"body": "Hallo?"})
    assert response.status_code == 400
    assert "This conversation is closed" in response.content.decode()
    assert thread.messages.count() == 1


def test_nobody_else_sees_a_thread(client, site):
    thread = citizen_thread(site, files=[])
    stranger = UserFactory(email="stranger@example.org")
    client.force_login(stranger)
    assert client.get(f"/my/messages/{thread.public_id}/").status_code == 404
    assert client.post(f"/my/messages/{thread.public_id}/", {"body": "x"}).status_code == 404
    assert client.get("/my/messages/not-a-uuid/").status_code == 404
    assert thread.messages.count() == 1


def test_an_institution_user_writes_for_the_school(client, site):
    school = Institution.objects.create(office=site.cast.office_a, kind="school", name="Schule am Park")
    school.members.add(site.cast.institution_user)
    client.force_login(site.cast.institution_user)
    assert client.get("/my/messages/new/")["Location"] == "/my/messages/new/musterstadt/"
    response = client.post(
        "/my/messages/new/musterstadt/",
        {"topic": site.vaccination.pk, "subject": "Masern", "body": "Fall in Klasse 2", "institution": school.pk},
    )
    thread = Thread.objects.get()
    assert response["Location"] == f"/my/messages/{thread.public_id}/"
    assert thread.institution == school and thread.citizen is None
    assert client.get(f"/my/messages/{thread.public_id}/").status_code == 200
    # another office is not theirs to write to
    assert client.get("/my/messages/new/beispielkreis/").status_code == 404


# --- anonymous -------------------------------------------------------------------------------------


def test_anonymous_start_return_and_leave(client, site):
    page = client.get("/messages/anonymous/")
    assert "Gesundheitsamt Musterstadt" in page.content.decode()
    assert client.post("/messages/anonymous/", {"postal_code": "99999"}).status_code == 400
    chosen = client.post("/messages/anonymous/", {"office": site.cast.office_a.pk})
    assert chosen["Location"] == "/messages/anonymous/to/musterstadt/"
    form = client.get("/messages/anonymous/to/musterstadt/").content.decode()
    assert "Counselling for young people" in form and "Vaccinations" not in form  # only topics for youths

    mismatch = client.post(
        "/messages/anonymous/to/musterstadt/",
        {"topic": site.counselling.pk, "subject": "Stress", "body": "Hilfe", "pin": "4711", "pin_again": "4712"},
    )
    assert mismatch.status_code == 400 and not Thread.objects.exists()
    sent = client.post(
        "/messages/anonymous/to/musterstadt/",
        {
            "topic": site.counselling.pk,
            "subject": "Stress",
            "body": "Ich schlafe schlecht.",
            "pin": "4711",
            "pin_again": "4711",
        },
    )
    assert sent["Location"] == "/messages/anonymous/code/"
    shown = client.get("/messages/anonymous/code/")
    code = _code_on(shown.content.decode())
    assert shown["Cache-Control"] == "no-store" and "data:image/svg+xml;base64," in shown.content.decode()
    again = client.get("/messages/anonymous/code/").content.decode()
    assert code not in again and "only once" in again
    thread = Thread.objects.get()
    assert AnonymousAccess.objects.get(thread=thread).code_digest == access_codes.access_code_digest(
        code.replace("-", "")
    )

    # straight into the conversation after starting; then leave
    assert "Ich schlafe schlecht." in client.get("/messages/anonymous/conversation/").content.decode()
    client.post("/messages/anonymous/leave/")
    assert client.get("/messages/anonymous/conversation/")["Location"] == "/messages/anonymous/return/"

    services.post_message(actor=site.cast.clerk_a, thread=thread, author_kind="staff", body="Magst du erzählen?")
    back = client.post("/messages/anonymous/return/", {"code": code.lower(), "pin": "4711"})
    assert back["Location"] == "/messages/anonymous/conversation/"
    conversation = client.get("/messages/anonymous/conversation/")
    assert "Magst du erzählen?" in conversation.content.decode()
    assert conversation["Cache-Control"] == "no-store"
    client.post("/messages/anonymous/conversation/", {"body": "Ja, gern."})
    assert thread.messages.filter(author_kind="person").count() == 2


def test_anonymous_return_refuses_without_revealing_and_locks(client, site):
    thread, code = anonymous_thread(site)
    unknown = client.post("/messages/anonymous/return/", {"code": access_codes.generate_access_code(), "pin": "4711"})
    wrong_pin = client.post("/messages/anonymous/return/", {"code": code, "pin": "9999"})
    assert unknown.status_code == wrong_pin.status_code == 400
    refusal = "The access code or the PIN is not right."
    assert refusal in unknown.content.decode() and refusal in wrong_pin.content.decode()
    for _attempt in range(3):
        client.post("/messages/anonymous/return/", {"code": code, "pin": "9999"})
    locked = client.post("/messages/anonymous/return/", {"code": code, "pin": "9999"})
    assert "locked for 30 minutes" in locked.content.decode()
    right = client.post("/messages/anonymous/return/", {"code": code, "pin": "4711"})
    assert right.status_code == 400 and "locked for 30 minutes" in right.content.decode()
    assert client.get("/messages/anonymous/conversation/").status_code == 302


def test_returns_are_rate_limited_per_caller(client, site, settings):
    settings.MESSAGING_ANONYMOUS_RETURNS_PER_MINUTE = 3
    thread, code = anonymous_thread(site)
    for _attempt in range(3):
        client.post("/messages/anonymous/return/", {"code": access_codes.generate_access_code(), "pin": "4711"})
    limited = client.post("/messages/anonymous/return/", {"code": code, "pin": "4711"})
    assert limited.status_code == 429 and "Too many tries" in limited.content.decode()
    assert AnonymousAccess.objects.get(thread=thread).failed_attempts == 0
    other_caller = client.post("/messages/anonymous/return/", {"code": code, "pin": "4711"}, REMOTE_ADDR="198.51.100.7")
    assert other_caller.status_code == 302


def test_anonymous_starts_are_rate_limited(client, site, settings):
    settings.MESSAGING_ANONYMOUS_STARTS_PER_HOUR = 2
    data = {"topic": site.counselling.pk, "subject": "S", "body": "B", "pin": "4711", "pin_again": "4711"}
    for _attempt in range(2):
        assert client.post("/messages/anonymous/to/musterstadt/", data).status_code == 302
    limited = client.post("/messages/anonymous/to/musterstadt/", data)
    assert limited.status_code == 429
    assert Thread.objects.count() == 2


def test_staff_message_to_youth_is_not_in_anyone_elses_view(client, site):
    thread, code = anonymous_thread(site)
    client.post("/messages/anonymous/return/", {"code": code, "pin": "4711"})
    other_thread, _other_code = anonymous_thread(site, pin="2580")
    attachment_url = f"/messages/anonymous/conversation/{other_thread.public_id}/files/{other_thread.public_id}/"
    assert client.get(attachment_url)["Location"] == "/messages/anonymous/return/"


def test_citizen_links_an_anonymous_thread(client, site):
    thread, code = anonymous_thread(site)
    youth = UserFactory(email="jugend@example.org")
    client.force_login(youth)
    wrong = client.post("/my/messages/link/", {"code": code, "pin": "1357"})
    assert wrong.status_code == 400 and Thread.objects.get(pk=thread.pk).citizen is None
    linked = client.post("/my/messages/link/", {"code": access_codes.format_access_code(code), "pin": "4711"})
    assert linked["Location"] == f"/my/messages/{thread.public_id}/"
    assert "Schule" in client.get("/my/messages/").content.decode()
    assert Thread.objects.get(pk=thread.pk).citizen == youth


def test_institution_users_cannot_link_anonymous_threads(client, site):
    thread, code = anonymous_thread(site)
    client.force_login(site.cast.institution_user)
    assert client.post("/my/messages/link/", {"code": code, "pin": "4711"}).status_code == 302  # to the login
    assert Thread.objects.get(pk=thread.pk).citizen is None


def _authority(office, code, postal_codes):
    from oegd.directory.models import HealthAuthority, ResponsibilityEntry

    office.rki_code = code
    office.save(update_fields=["rki_code"])
    authority = HealthAuthority.objects.create(code=code, name=office.name)
    for postal_code in postal_codes:
        ResponsibilityEntry.objects.create(
            authority=authority, kind=ResponsibilityEntry.Kind.POSTAL_CODE, value=postal_code, normalized=postal_code
        )
    return authority


def test_anonymous_start_finds_the_office_by_postal_code(client, site):
    _authority(site.cast.office_a, "9.99.0.01.", ["12345", "12346"])
    _authority(site.cast.office_b, "9.99.0.02.", ["12346", "12350"])
    found = client.post("/messages/anonymous/", {"postal_code": "12345"})
    assert found["Location"] == "/messages/anonymous/to/musterstadt/"
    shared = client.post("/messages/anonymous/", {"postal_code": "12346"})
    assert shared.status_code == 200
    assert f'name="office" value="{site.cast.office_a.pk}"' in shared.content.decode()
    assert f'name="office" value="{site.cast.office_b.pk}"' in shared.content.decode()
    wrong = client.post("/messages/anonymous/", {"postal_code": "123"})
    assert wrong.status_code == 400 and "five digits" in wrong.content.decode()


def test_an_office_without_topics_for_young_people_is_not_offered(client, site):
    site.other_office_topic.open_to_anonymous = False
    site.other_office_topic.save()
    page = client.get("/messages/anonymous/").content.decode()
    assert "Gesundheitsamt Musterstadt" in page and "Gesundheitsamt Beispielkreis" not in page
    assert client.get("/messages/anonymous/to/beispielkreis/").status_code == 404


def test_demo_topics(cast):
    from oegd.core.models import Department
    from oegd.demo.messaging import load_messaging
    from oegd.messaging.models import TextBlock, Topic
    from oegd.messaging.selectors import offices_for_anonymous

    for office, teams in (
        (cast.office_a, ["Kinder- und Jugendgesundheit", "Infektionsschutz", "Hygiene"]),
        (cast.office_b, ["Infektionsschutz", "Sozialpsychiatrischer Dienst"]),
    ):
        for name in teams:
            Department.objects.create(office=office, name=name)
    offices = {"musterstadt": cast.office_a, "beispielkreis": cast.office_b}
    load_messaging(offices)
    load_messaging(offices)  # idempotent
    assert Topic.objects.count() == 6 and TextBlock.objects.count() == 6
    youth = Topic.objects.get(office=cast.office_a, slug="jugendberatung")
    assert youth.open_to_anonymous and youth.team.name == "Kinder- und Jugendgesundheit"
    assert youth.text("name", "ar") == "استشارة للشباب"
    assert list(offices_for_anonymous()) == [cast.office_b, cast.office_a]  # by name, each once
