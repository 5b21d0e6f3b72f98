"""The team inbox and a conversation on the staff side: filters, paging, a constant number of
queries, assignment, text blocks, internal notes, closing, topics and text blocks, tenancy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from oegd.cases.models import Case
from oegd.core.models import AuditEvent
from oegd.core.tests.factories import UserFactory, login_staff
from oegd.messaging import services
from oegd.messaging.models import Message, TextBlock, Thread, Topic
from oegd.messaging.tests.factories import anonymous_thread, citizen_thread, incoming

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _threads(site, count: int, **kwargs) -> list[Thread]:
    """``count`` threads of office A's infection team, each a minute apart, with assignee and case."""
    case = Case.objects.create(office=site.cast.office_a, reference=f"Q-{count}", case_type="x", title="x")
    now = timezone.now()
    threads = []
    for number in range(count):
        citizen = UserFactory(email=f"bulk{count}-{number}@example.org", full_name=f"Person {number}")
        thread = Thread.objects.create(
            office=site.cast.office_a,
            team=site.infection,
            topic=site.vaccination,
            case=case,
            citizen=citizen,
            assignee=site.cast.clerk_a,
            subject=f"Frage {number}",
            last_message_at=now - timedelta(minutes=number),
            **kwargs,
        )
        threads.append(thread)
    return threads


def test_inbox_shows_the_team_newest_first_and_anonymous_as_anonymous(client, site):
    older = citizen_thread(site, subject="Impfpass verloren")
    anonymous, _code = anonymous_thread(site)
    services.move_to_team(actor=site.cast.clerk_a, thread=anonymous, team=site.infection)
    login_staff(client, site.cast.clerk_a, site.cast.office_a)
    page = client.get(f"/staff/messages/?team={site.infection.pk}").content.decode()
    assert page.index("Schule") < page.index("Impfpass verloren")  # newest activity first
    assert "anonymous" in page and "Awaiting answer" in page
    assert str(older.public_id) in page


def test_inbox_filters(client, site):
    mine = citizen_thread(site, subject="Meins")
    services.assign_thread(actor=site.cast.clerk_a, thread=mine, assignee=site.cast.clerk_a)
    closed = citizen_thread(site, subject="Erledigt")
    services.close_thread(actor=site.cast.clerk_a, thread=closed)
    other_team, _code = anonymous_thread(site)
    login_staff(client, site.cast.clerk_a, site.cast.office_a)

    def subjects(query: str) -> set[str]:
        page = client.get(f"/staff/messages/?{query}").content.decode()
        return {subject for subject in ("Meins", "Erledigt", "Schule") if subject in page}

    assert subjects("team=") == {"Meins", "Schule"}
    assert subjects(f"team={site.infection.pk}") == {"Meins"}
    assert subjects(f"team={site.school_health.pk}") == {"Schule"}
    assert subjects("team=&status=closed") == {"Erledigt"}
    assert subjects("team=&assignee=me") == {"Meins"}
    assert subjects("team=&assignee=none") == {"Schule"}
    services.post_message(actor=site.cast.clerk_a, thread=other_team, author_kind="staff", body="Antwort")
    assert subjects("team=&needs_reply=1") == {"Meins"}


def test_inbox_pages_by_keyset_and_queries_do_not_grow_with_rows(client, site):
    login_staff(client, site.cast.clerk_a, site.cast.office_a)
    url = f"/staff/messages/?team={site.infection.pk}"
    _threads(site, 3)
    client.get(url)  # warm caches (sessions, content types)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _threads(site, 40)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert len(many) == len(few), [query["sql"] for query in many]
    content = page.content.decode()
    assert content.count("/staff/messages/") >= 25 and "Older conversations" in content
    next_link = content.split('href="?')[-1].split('"')[0].replace("&amp;", "&")
    second = client.get(f"/staff/messages/?{next_link}").content.decode()
    assert second.count("Frage ") == 43 - 25
    assert "Older conversations" not in second


def test_other_offices_threads_do_not_exist_for_staff(client, site):
    thread = citizen_thread(site)
    login_staff(client, site.cast.clerk_b, site.cast.office_b)
    assert "Masernimpfung" not in client.get("/staff/messages/?team=").content.decode()
    assert client.get(f"/staff/messages/{thread.public_id}/").status_code == 404
    assert client.post(f"/staff/messages/{thread.public_id}/", {"body": "x"}).status_code == 404
    assert client.post(f"/staff/messages/{thread.public_id}/manage/", {"action": "close"}).status_code == 404
    thread.refresh_from_db()
    assert thread.is_open and thread.messages.count() == 1


def test_staff_answer_with_text_block_note_and_assignment(client, site, django_capture_on_commit_callbacks):
    thread = citizen_thread(site)
    login_staff(client, site.cast.clerk_a, site.cast.office_a)
    page = client.get(f"/staff/messages/{thread.public_id}/")
    assert page.status_code == 200 and "Clara Citizen" in page.content.decode()
    assert thread.messages.get().read_by == site.cast.clerk_a
    assert AuditEvent.objects.filter(action="message_thread.read", actor=site.cast.clerk_a).exists()

    client.post(f"/staff/messages/{thread.public_id}/manage/", {"action": "assign_me"})
    thread.refresh_from_db()
    assert thread.assignee == site.cast.clerk_a

    inserted = client.post(
        f"/staff/messages/{thread.public_id}/",
        {"action": "insert_block", "text_block": site.block.pk, "body": "Hallo Frau Citizen,"},
    ).content.decode()
    assert "Hallo Frau Citizen,\n\nThank you for your message." in inserted
    assert thread.messages.count() == 1  # inserting sends nothing

    client.post(f"/staff/messages/{thread.public_id}/", {"action": "note", "note": "Rückruf Dienstag"})
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            f"/staff/messages/{thread.public_id}/",
            {"action": "reply", "body": "Thank you for your message. We will get back to you soon."},
        )
    assert sent.status_code == 302
    assert list(thread.messages.order_by("id").values_list("author_kind", "internal")) == [
        ("person", False),
        ("staff", True),
        ("staff", False),
    ]
    assert "Rückruf Dienstag" in client.get(f"/staff/messages/{thread.public_id}/").content.decode()


def test_manage_team_due_date_case_and_close(client, site):
    thread = citizen_thread(site)
    case = Case.objects.create(office=site.cast.office_a, reference="A-1", case_type="x", title="x")
    Case.objects.create(office=site.cast.office_b, reference="B-1", case_type="x", title="x")
    login_staff(client, site.cast.clerk_a, site.cast.office_a)
    url = f"/staff/messages/{thread.public_id}/manage/"
    response = client.post(
        url,
        {
            "action": "save",
            "assignee": site.cast.physician_a.pk,
            "team": site.school_health.pk,
            "due_on": "2027-06-01",
            "case": "A-1",
        },
    )
    assert response.status_code == 302
    thread.refresh_from_db()
    assert (thread.assignee, thread.team, str(thread.due_on), thread.case) == (
        site.cast.physician_a,
        site.school_health,
        "2027-06-01",
        case,
    )
    refused = client.post(url, {"action": "save", "case": "B-1", "team": site.school_health.pk})
    assert refused.status_code == 400 and "no case with this reference" in refused.content.decode()
    thread.refresh_from_db()
    assert thread.case == case
    stranger = client.post(url, {"action": "save", "assignee": site.cast.clerk_b.pk})
    assert stranger.status_code == 400
    client.post(url, {"action": "close"})
    thread.refresh_from_db()
    assert thread.status == Thread.Status.CLOSED
    refused_reply = client.post(f"/staff/messages/{thread.public_id}/", {"action": "reply", "body": "Noch was"})
    assert refused_reply.status_code == 400 and thread.messages.count() == 1


def test_data_protection_officer_cannot_open_the_inbox(client, site):
    thread = citizen_thread(site)
    login_staff(client, site.cast.dpo_a, site.cast.office_a)
    assert client.get("/staff/messages/").status_code == 404
    assert client.get(f"/staff/messages/{thread.public_id}/").status_code == 404


def test_staff_download_of_a_file(client, site):
    thread = citizen_thread(site, files=[incoming()])
    attachment = thread.messages.get().attachments.get()
    login_staff(client, site.cast.clerk_a, site.cast.office_a)
    response = client.get(f"/staff/messages/{thread.public_id}/files/{attachment.public_id}/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    login_staff(client, site.cast.clerk_b, site.cast.office_b)
    assert client.get(f"/staff/messages/{thread.public_id}/files/{attachment.public_id}/").status_code == 404


def test_office_admin_manages_topics_and_text_blocks(client, site):
    login_staff(client, site.cast.admin_a, site.cast.office_a)
    created = client.post(
        "/staff/messages/settings/",
        {
            "kind": "topic",
            "slug": "schuleingang",
            "name_de": "Schuleingangsuntersuchung",
            "name_en": "School entry examination",
            "team": site.school_health.pk,
            "position": 3,
            "is_active": "on",
        },
    )
    assert created.status_code == 302
    topic = Topic.objects.get(office=site.cast.office_a, slug="schuleingang")
    assert topic.team == site.school_health and topic.text("name", "en") == "School entry examination"
    duplicate = client.post(
        "/staff/messages/settings/", {"kind": "topic", "slug": "schuleingang", "name_de": "X", "position": 0}
    )
    assert duplicate.status_code == 400 and Topic.objects.filter(slug="schuleingang").count() == 1
    client.post("/staff/messages/settings/", {"kind": "block", "title": "Termin", "body": "Bitte buchen Sie online."})
    block = TextBlock.objects.get(title="Termin")
    client.post(
        f"/staff/messages/settings/text-blocks/{block.pk}/", {"title": "Termin", "body": "Neu", "is_active": ""}
    )
    block.refresh_from_db()
    assert block.body == "Neu" and not block.is_active
    edited = client.post(
        f"/staff/messages/settings/topics/{topic.pk}/",
        {"slug": "schuleingang", "name_de": "SEU", "position": 1, "open_to_anonymous": "on", "is_active": "on"},
    )
    assert edited.status_code == 302
    topic.refresh_from_db()
    assert topic.open_to_anonymous and topic.text("name", "de") == "SEU"


def test_a_clerk_cannot_change_settings(client, site):
    login_staff(client, site.cast.clerk_a, site.cast.office_a)
    assert client.get("/staff/messages/settings/").status_code == 404
    response = client.post("/staff/messages/settings/", {"kind": "block", "title": "T", "body": "B"})
    assert response.status_code == 404 and not TextBlock.objects.filter(title="T").exists()


def test_other_offices_topics_are_not_editable(client, site):
    login_staff(client, site.cast.admin_a, site.cast.office_a)
    assert client.get(f"/staff/messages/settings/topics/{site.other_office_topic.pk}/").status_code == 404


def test_staff_answer_counts_in_the_thread_order(site):
    thread = citizen_thread(site)
    services.post_message(actor=site.cast.clerk_a, thread=thread, author_kind=Message.Author.STAFF, body="A")
    assert [m.author_kind for m in thread.messages.order_by("created_at", "id")] == ["person", "staff"]
