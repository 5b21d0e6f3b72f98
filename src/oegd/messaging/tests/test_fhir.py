"""FHIR Communication: search and read scoped to the client's office and institution, new
messages and threads by POST, idempotent deliveries, refusals that change nothing."""

from __future__ import annotations

import base64
import json

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.communication import Communication

from oegd.core import services as core_services
from oegd.directory.models import Institution
from oegd.interop.communications import THREAD_SYSTEM
from oegd.messaging import services
from oegd.messaging.models import Message, MessageAttachment, Thread
from oegd.messaging.tests.factories import PDF, anonymous_thread, citizen_thread, incoming

pytestmark = pytest.mark.django_db


@pytest.fixture
def school(site):
    return Institution.objects.create(
        office=site.cast.office_a, kind="school", name="Schule am Park", email="schule@example.org"
    )


@pytest.fixture
def tokens(site, school):
    def make(name, office, scopes, institution=None):
        _client, token = core_services.create_api_client(
            actor=None, office=office, name=name, scopes=scopes, institution=institution
        )
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    return {
        "office": make("Fachverfahren", site.cast.office_a, ["messaging"]),
        "school": make("Schulverwaltung", site.cast.office_a, ["messaging"], school),
        "other": make("Fremdamt", site.cast.office_b, ["messaging"]),
        "forms_only": make("Formulare", site.cast.office_a, ["forms"]),
    }


def _post(client, resource, headers, **extra):
    return client.post(
        "/fhir/Communication",
        data=json.dumps(resource),
        content_type="application/fhir+json",
        HTTP_ACCEPT_LANGUAGE="en",
        **headers,
        **extra,
    )


def _message(thread_id=None, text="Bitte um Rückruf.", **extra):
    resource = {"resourceType": "Communication", "status": "completed", "payload": [{"contentString": text}]}
    if thread_id:
        resource["partOf"] = [{"identifier": {"system": THREAD_SYSTEM, "value": str(thread_id)}}]
    resource.update(extra)
    return resource


def test_anonymous_and_wrong_scope_are_refused(client, tokens):
    assert client.get("/fhir/Communication").status_code == 401
    assert client.get("/fhir/Communication", **tokens["forms_only"]).status_code == 403
    assert client.get("/fhir/Communication", **tokens["forms_only"]).json()["resourceType"] == "OperationOutcome"


def test_capability_statement_lists_communication(client):
    statement = client.get("/fhir/metadata").json()
    resources = {entry["type"]: entry for entry in statement["rest"][0]["resource"]}
    assert {"create", "read", "search-type"} <= {i["code"] for i in resources["Communication"]["interaction"]}
    assert "part-of" in {p["name"] for p in resources["Communication"]["searchParam"]}


def test_search_is_scoped_to_office_and_institution(client, site, tokens, school):
    thread = citizen_thread(site)
    services.post_message(actor=site.cast.clerk_a, thread=thread, author_kind="staff", body="Antwort")
    services.post_message(actor=site.cast.clerk_a, thread=thread, author_kind="staff", body="NOTIZ", internal=True)
    school_thread = services.start_thread(
        actor=site.cast.institution_user, office=site.cast.office_a, institution=school, subject="Masern", body="Fall"
    )
    anonymous_thread(site)

    office = client.get("/fhir/Communication", **tokens["office"]).json()
    Bundle.model_validate(office)
    assert office["total"] == 4  # 2 + 1 + 1; no internal note
    assert "NOTIZ" not in json.dumps(office)
    by_thread = client.get(f"/fhir/Communication?part-of={thread.public_id}", **tokens["office"]).json()
    assert by_thread["total"] == 2
    assert [e["resource"]["payload"][0]["contentString"] for e in by_thread["entry"]] == [
        "Ich habe eine Frage zur Masernimpfung meines Sohnes.",
        "Antwort",
    ]
    first = by_thread["entry"][0]["resource"]
    Communication.model_validate(first)
    assert first["partOf"][0]["identifier"]["value"] == str(thread.public_id)
    assert first["category"][0]["coding"][0]["code"] == "impfen"

    school_view = client.get("/fhir/Communication", **tokens["school"]).json()
    assert school_view["total"] == 1
    assert school_view["entry"][0]["resource"]["partOf"][0]["identifier"]["value"] == str(school_thread.public_id)
    assert client.get("/fhir/Communication", **tokens["other"]).json()["total"] == 0

    message_id = first["id"]
    by_identifier = client.get(f"/fhir/Communication?identifier={message_id}", **tokens["office"]).json()
    assert by_identifier["total"] == 1
    assert client.get("/fhir/Communication?status=in-progress", **tokens["office"]).json()["total"] == 0
    assert client.get("/fhir/Communication?_lastUpdated=ge2000-01-01", **tokens["office"]).json()["total"] == 4
    assert client.get("/fhir/Communication?_lastUpdated=lt2000-01-01", **tokens["office"]).json()["total"] == 0
    bad = client.get("/fhir/Communication?_lastUpdated=yesterday", **tokens["office"])
    assert bad.status_code == 400 and bad.json()["resourceType"] == "OperationOutcome"


def test_read_gives_files_inline_and_404_for_others(client, site, tokens):
    thread = citizen_thread(site, files=[incoming()])
    message = thread.messages.get()
    read = client.get(f"/fhir/Communication/{message.public_id}", **tokens["office"])
    assert read.status_code == 200
    resource = read.json()
    Communication.model_validate(resource)
    attachment = resource["payload"][1]["contentAttachment"]
    assert base64.b64decode(attachment["data"]) == PDF and attachment["title"] == "befund.pdf"
    assert client.get(f"/fhir/Communication/{message.public_id}", **tokens["other"]).status_code == 404
    assert client.get(f"/fhir/Communication/{message.public_id}", **tokens["school"]).status_code == 404
    assert client.get("/fhir/Communication/not-a-uuid", **tokens["office"]).status_code == 404


def test_office_system_answers_in_a_thread(client, site, tokens, django_capture_on_commit_callbacks):
    from django.core import mail

    thread = citizen_thread(site)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        created = _post(client, _message(thread.public_id, "Ihr Befund ist da."), tokens["office"])
    assert created.status_code == 201, created.content
    message = thread.messages.order_by("id").last()
    assert created["Location"].endswith(f"/fhir/Communication/{message.public_id}")
    assert message.author_kind == Message.Author.SYSTEM and message.body == "Ihr Befund ist da."
    assert [m.to for m in mail.outbox] == [[site.cast.citizen.email]]
    assert "Befund" not in mail.outbox[0].body


def test_the_same_delivery_twice_leaves_one_message(client, site, tokens):
    thread = citizen_thread(site)
    headers = {**tokens["office"], "HTTP_IDEMPOTENCY_KEY": "delivery-1"}
    first = _post(client, _message(thread.public_id), headers)
    second = _post(client, _message(thread.public_id), headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    by_identifier = _message(thread.public_id, identifier=[{"system": "urn:test", "value": "m-7"}])
    assert _post(client, by_identifier, tokens["office"]).status_code == 201
    assert _post(client, by_identifier, tokens["office"]).status_code == 200
    assert thread.messages.count() == 3


def test_an_institution_starts_a_thread_with_a_file(client, site, tokens, school):
    resource = _message(
        text="In Klasse 3b gibt es zwei Masernfälle.",
        topic={"text": "Masern in der Schule"},
        category=[{"coding": [{"code": "impfen"}]}],
    )
    resource["payload"].append(
        {
            "contentAttachment": {
                "contentType": "application/pdf",
                "title": "liste.pdf",
                "data": base64.b64encode(PDF).decode(),
            }
        }
    )
    created = _post(client, resource, tokens["school"])
    assert created.status_code == 201, created.content
    thread = Thread.objects.get()
    assert thread.institution == school and thread.subject == "Masern in der Schule" and thread.team == site.infection
    assert MessageAttachment.objects.get().filename == "liste.pdf"
    assert created.json()["sender"]["display"] == "Schule am Park"


def test_refusals_change_nothing(client, site, tokens, school):
    thread = citizen_thread(site)
    closed = citizen_thread(site, subject="Alt")
    services.close_thread(actor=site.cast.clerk_a, thread=closed)
    before = Message.objects.count()

    not_fhir = _post(
        client, {"resourceType": "Communication", "status": "completed", "sent": "yesterday"}, tokens["office"]
    )
    assert not_fhir.status_code == 400 and not_fhir.json()["resourceType"] == "OperationOutcome"
    assert _post(client, {"resourceType": "Patient"}, tokens["office"]).status_code == 400
    to_closed = _post(client, _message(closed.public_id), tokens["office"])
    assert to_closed.status_code == 422 and "closed" in to_closed.json()["issue"][0]["diagnostics"]
    foreign = _post(client, _message(thread.public_id), tokens["other"])
    assert foreign.status_code == 422 and foreign.json()["issue"][0]["code"] == "not-found"
    not_school = _post(client, _message(thread.public_id), tokens["school"])  # a citizen's thread
    assert not_school.status_code == 422
    no_thread = _post(client, _message(topic={"text": "Neu"}), tokens["office"])
    assert no_thread.status_code == 422
    empty = _post(
        client,
        {"resourceType": "Communication", "status": "completed", **_message(thread.public_id)} | {"payload": []},
        tokens["office"],
    )
    assert empty.status_code == 422
    fake = _message(thread.public_id)
    fake["payload"].append(
        {"contentAttachment": {"contentType": "application/pdf", "data": base64.b64encode(b"MZ...").decode()}}
    )
    refused_file = _post(client, fake, tokens["office"])
    assert refused_file.status_code == 422 and "does not match" in refused_file.json()["issue"][0]["diagnostics"]
    unknown_topic = _message(topic={"text": "x"}, category=[{"coding": [{"code": "nope"}]}])
    assert _post(client, unknown_topic, tokens["school"]).status_code == 422
    assert Message.objects.count() == before and not MessageAttachment.objects.exists()
    assert Thread.objects.count() == 2


def test_oversized_attachment_over_fhir_is_refused(client, site, tokens, settings):
    settings.FORMS_MAX_ATTACHMENT_BYTES = 1024
    thread = citizen_thread(site)
    resource = _message(thread.public_id)
    resource["payload"].append(
        {"contentAttachment": {"contentType": "application/pdf", "data": base64.b64encode(PDF + b"0" * 4096).decode()}}
    )
    response = _post(client, resource, tokens["office"])
    assert response.status_code == 422 and "larger than" in response.json()["issue"][0]["diagnostics"]
    assert thread.messages.count() == 1
