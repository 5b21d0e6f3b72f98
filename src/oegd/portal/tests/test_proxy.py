"""Acting for others (Vertretung): age thresholds, acting as, and what a parent never sees."""

from __future__ import annotations

from datetime import date

import pytest

from oegd.core.models import AuditEvent
from oegd.messaging.models import Message, Thread
from oegd.portal import proxy, services
from oegd.portal.models import Dependant
from oegd.portal.tests.conftest import youth_thread

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_access_follows_the_age_thresholds(family, settings):
    today = date(2026, 6, 15)
    child = Dependant(guardian=family.parent, given_name="A", family_name="B", birth_date=date(2014, 6, 16))
    assert child.age_on(today) == 11 and proxy.proxy_access(family.parent, child, today) == proxy.FULL
    child.birth_date = date(2014, 6, 15)  # 12 today
    assert proxy.proxy_access(family.parent, child, today) == proxy.LIMITED
    child.birth_date = date(2010, 6, 16)  # 15
    assert proxy.proxy_access(family.parent, child, today) == proxy.LIMITED
    child.birth_date = date(2010, 6, 15)  # 16 today
    assert proxy.proxy_access(family.parent, child, today) == proxy.NONE
    assert proxy.proxy_access(family.cast.clerk_a, family.lena, today) == proxy.NONE  # not their child
    settings.PROXY_NO_ACCESS_FROM_AGE = 18
    assert proxy.proxy_access(family.parent, child, today) == proxy.LIMITED


def test_parent_acts_for_a_ten_year_old_and_writes_for_her(client, family):
    client.force_login(family.parent)
    response = client.post(f"/my/family/{family.lena.pk}/act/", **EN)
    assert response.status_code == 302
    page = client.get("/my/messages/new/musterstadt/", **EN)
    assert "You are acting for Lena (10)" in page.content.decode()
    assert 'name="confidential"' not in page.content.decode()

    response = client.post(
        "/my/messages/new/musterstadt/",
        {"topic": family.topic.pk, "subject": "Impfpass", "body": "Lena braucht die zweite Masernimpfung."},
        **EN,
    )
    thread = Thread.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/my/messages/{thread.public_id}/"
    assert thread.citizen == family.parent and thread.on_behalf_of == family.lena
    event = AuditEvent.objects.get(action="message_thread.start")
    assert event.purpose == f"on behalf of dependant {family.lena.pk}"
    assert AuditEvent.objects.filter(action="dependant.act_as", actor=family.parent).exists()

    listing = client.get("/my/messages/", **EN).content.decode()
    assert "Impfpass" in listing and "for Lena" in listing
    assert client.get(f"/my/messages/{thread.public_id}/", **EN).status_code == 200

    client.post("/my/family/stop/", **EN)
    assert "acting-banner" not in client.get("/my/messages/", **EN).content.decode()


def test_parent_sees_a_thirteen_year_olds_open_thread_but_cannot_write_in_it(client, family):
    open_thread = youth_thread(family, family.mia.account, subject="Sportattest")
    client.force_login(family.parent)
    assert "Sportattest" in client.get("/my/messages/", **EN).content.decode()
    page = client.get(f"/my/messages/{open_thread.public_id}/", **EN)
    assert page.status_code == 200 and "You can read this conversation, but not write in it." in page.content.decode()
    assert AuditEvent.objects.filter(action="message_thread.proxy_read", subject=family.mia.account).exists()

    response = client.post(f"/my/messages/{open_thread.public_id}/", {"body": "Ich bin die Mutter."}, **EN)
    assert response.status_code == 400
    assert open_thread.messages.count() == 1  # nothing changed
    assert not Message.objects.filter(author=family.parent).exists()


def test_parent_is_refused_a_confidential_thread_and_a_sixteen_year_olds_thread(client, family):
    secret = youth_thread(family, family.mia.account, confidential=True, subject="Verhütung")
    older = youth_thread(family, family.ole.account, subject="Allgemeine Frage")
    client.force_login(family.parent)
    listing = client.get("/my/messages/", **EN).content.decode()
    assert "Verhütung" not in listing and "Allgemeine Frage" not in listing

    for thread in (secret, older):
        response = client.get(f"/my/messages/{thread.public_id}/", **EN)
        assert response.status_code == 404
        body = response.content.decode()
        assert thread.subject not in body and "Mia" not in body and "Ole" not in body
        refused = AuditEvent.objects.get(action="message_thread.proxy_refused", object_id=str(thread.pk))
        assert refused.actor == family.parent and refused.subject == thread.citizen
        response = client.post(f"/my/messages/{thread.public_id}/", {"body": "Hallo"}, **EN)
        assert response.status_code == 404 and thread.messages.count() == 1

    # Someone else's thread is just not found (nothing about children recorded).
    stranger = youth_thread(family, family.cast.institution_user.__class__.objects.create_user(email="x@example.org"))
    assert client.get(f"/my/messages/{stranger.public_id}/", **EN).status_code == 404
    assert not AuditEvent.objects.filter(action="message_thread.proxy_refused", object_id=str(stranger.pk)).exists()


def test_parents_threads_written_for_a_child_drop_out_from_sixteen(client, family):
    from oegd.messaging import services as messaging_services

    thread = messaging_services.start_thread(
        actor=family.parent,
        office=family.cast.office_a,
        subject="Früher",
        body="Geschrieben, als Ole klein war.",
        citizen=family.parent,
        language="en",
    )
    Thread.objects.filter(pk=thread.pk).update(on_behalf_of=family.ole)
    client.force_login(family.parent)
    assert client.get(f"/my/messages/{thread.public_id}/", **EN).status_code == 404


def test_writing_for_a_sixteen_year_old_is_refused(family):
    from oegd.messaging import services as messaging_services
    from oegd.messaging.services import MessageInvalid

    with pytest.raises(MessageInvalid):
        messaging_services.start_thread(
            actor=family.parent,
            office=family.cast.office_a,
            subject="Für Ole",
            body="Text",
            citizen=family.parent,
            on_behalf_of=family.ole,
        )
    assert not Thread.objects.exists()


def test_acting_for_a_sixteen_year_old_is_refused(client, family):
    client.force_login(family.parent)
    response = client.post(f"/my/family/{family.ole.pk}/act/", **EN)
    assert response.status_code == 302 and response["Location"] == "/my/family/"
    assert proxy.SESSION_ACTING_FOR not in client.session
    page = client.get("/my/family/", **EN).content.decode()
    assert "You can no longer act for this person." in page and "No longer accessible" in page


def test_nobody_acts_for_someone_elses_child(client, family):
    from oegd.core.tests.factories import UserFactory

    client.force_login(UserFactory(email="other@example.org"))
    assert client.post(f"/my/family/{family.lena.pk}/act/", **EN).status_code == 404


def test_youth_keeps_a_conversation_private(client, family):
    client.force_login(family.mia.account)
    page = client.get("/my/messages/new/musterstadt/", **EN).content.decode()
    assert 'name="confidential"' in page
    client.post(
        "/my/messages/new/musterstadt/",
        {"topic": family.topic.pk, "subject": "Privat", "body": "Nur für euch.", "confidential": "on"},
        **EN,
    )
    assert Thread.objects.get().confidential is True


def test_adding_a_child_needs_the_declaration_and_a_sensible_birth_date(client, family):
    client.force_login(family.parent)
    before = Dependant.objects.count()
    data = {"given_name": "Paul", "family_name": "Citizen", "birth_date": "2020-03-01"}
    response = client.post("/my/family/", data, **EN)
    assert (
        response.status_code == 400 and "Please confirm that you are the legal guardian." in response.content.decode()
    )
    response = client.post("/my/family/", {**data, "birth_date": "2999-01-01", "declared_guardian": "on"}, **EN)
    assert response.status_code == 400 and "cannot be in the future" in response.content.decode()
    response = client.post("/my/family/", {**data, "birth_date": "2000-01-01", "declared_guardian": "on"}, **EN)
    assert response.status_code == 400 and "You cannot act for a person of this age here." in response.content.decode()
    assert Dependant.objects.count() == before

    response = client.post("/my/family/", {**data, "declared_guardian": "on"}, **EN)
    assert response.status_code == 302
    paul = Dependant.objects.get(given_name="Paul")
    assert paul.guardian == family.parent
    assert AuditEvent.objects.filter(action="dependant.add", object_id=str(paul.pk), actor=family.parent).exists()


def test_add_dependant_service_refuses_without_declaration(family):
    with pytest.raises(services.DependantInvalid):
        services.add_dependant(
            guardian=family.parent,
            given_name="X",
            family_name="Y",
            birth_date=date(2020, 1, 1),
            declared_guardian=False,
        )
