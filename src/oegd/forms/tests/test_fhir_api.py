"""Forms over FHIR and REST: Questionnaire search/read, QuestionnaireResponse create, idempotency, 422s."""

import base64

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire

from oegd.cases.models import Case
from oegd.core.models import ApiClient, Office
from oegd.core.services import create_api_client
from oegd.forms.models import Attachment, FormVersion, Submission

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
FHIR = "application/fhir+json"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_questionnaire_search_and_read(demo, client):
    response = client.get("/fhir/Questionnaire", {"status": "active"})
    assert response.status_code == 200 and response["Content-Type"] == FHIR
    bundle = Bundle.model_validate(response.json())
    # the six online services' forms and the task forms of the demo processes
    assert bundle.type == "searchset" and bundle.total == FormVersion.objects.filter(status="active").count() == 13
    for entry in bundle.entry:
        Questionnaire.model_validate(entry.resource.model_dump())

    url = "https://oegd.example/fhir/Questionnaire/ifsg34-notification"
    found = client.get("/fhir/Questionnaire", {"url": url}).json()
    assert [entry["resource"]["id"] for entry in found["entry"]] == ["ifsg34-notification-v1"]
    assert client.get("/fhir/Questionnaire", {"url": url + "|1"}).json()["total"] == 1
    assert client.get("/fhir/Questionnaire", {"url": url + "|2"}).json()["total"] == 0
    assert client.get("/fhir/Questionnaire", {"title": "Beratung"}).json()["total"] == 1
    assert client.get("/fhir/Questionnaire", {"status": "draft"}).json()["total"] == 0

    read = client.get("/fhir/Questionnaire/ifsg34-notification-v1")
    assert read.status_code == 200
    assert read.json()["url"] == url and read.json()["version"] == "1"
    missing = client.get("/fhir/Questionnaire/nothing-v9")
    assert missing.status_code == 404 and missing.json()["resourceType"] == "OperationOutcome"


def test_school_submits_ifsg34_notification_over_fhir(demo, client, example):
    body = example("ifsg34-notification")
    _attach(body["item"])
    headers = {**bearer(demo.school), "Idempotency-Key": "school-2026-11-24-1"}
    created = client.post("/fhir/QuestionnaireResponse", body, content_type=FHIR, headers=headers)
    assert created.status_code == 201, created.content
    reference = created.json()["id"]
    assert created["Location"].endswith(f"/fhir/QuestionnaireResponse/{reference}")
    submission = Submission.objects.get(reference=reference)
    assert submission.institution.name == "Grundschule am Park"
    assert submission.office.slug == "musterstadt" and submission.channel == "fhir"
    stored = created.json()
    assert "data" not in str(stored)  # the file is stored apart; the response keeps a reference
    assert Attachment.objects.filter(submission=submission).count() == len(_attachment_items(body["item"]))

    replay = client.post("/fhir/QuestionnaireResponse", body, content_type=FHIR, headers=headers)
    assert replay.status_code == 200 and replay.json()["id"] == reference
    assert Submission.objects.count() == 1 and Case.objects.count() == 1
    # the school is on the case file as the institution that notified
    assert [(s.role, s.institution.name) for s in Case.objects.get().subjects.all()] == [
        ("institution", "Grundschule am Park")
    ]

    read = client.get(f"/fhir/QuestionnaireResponse/{reference}", headers=bearer(demo.school))
    assert read.status_code == 200 and read.json()["id"] == reference
    assert client.get(f"/fhir/QuestionnaireResponse/{reference}", headers=bearer(demo.office)).status_code == 404


def test_invalid_response_gets_operation_outcome_naming_each_linkid(demo, client, example):
    body = example("ifsg34-notification")
    body["item"].append({"linkId": "no.such.item", "answer": [{"valueString": "x"}]})
    _drop_first_required(body["item"])
    response = client.post("/fhir/QuestionnaireResponse", body, content_type=FHIR, headers=bearer(demo.school))
    assert response.status_code == 422
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    expressions = [issue["expression"][0] for issue in outcome["issue"]]
    assert "QuestionnaireResponse.item.where(linkId='no.such.item')" in expressions
    assert any(issue["code"] == "required" for issue in outcome["issue"])
    assert Submission.objects.count() == 0 and Case.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "status"),
    [(b"not json", 400), (b'{"resourceType": "Patient"}', 400), (b'{"resourceType": "QuestionnaireResponse"}', 422)],
)
def test_malformed_bodies_are_refused(demo, client, payload, status):
    response = client.post("/fhir/QuestionnaireResponse", payload, content_type=FHIR, headers=bearer(demo.school))
    assert response.status_code == status
    assert response.json()["resourceType"] == "OperationOutcome"
    assert Submission.objects.count() == 0


def test_disguised_attachment_is_refused(demo, client, example):
    body = example("ifsg34-notification")
    _attach(body["item"], data=b"<html><script>alert(1)</script></html>")
    if not _attachment_items(body["item"]):
        pytest.skip("the demo form has no attachment item")
    response = client.post("/fhir/QuestionnaireResponse", body, content_type=FHIR, headers=bearer(demo.school))
    assert response.status_code == 422
    assert Submission.objects.count() == 0 and Attachment.objects.count() == 0


def test_token_rules(demo, client, example):
    body = example("ifsg34-notification")
    assert client.post("/fhir/QuestionnaireResponse", body, content_type=FHIR).status_code == 401
    office = Office.objects.get(slug="musterstadt")
    _client, token = create_api_client(actor=None, office=office, name="read only", scopes=[ApiClient.Scope.READ])
    refused = client.post("/fhir/QuestionnaireResponse", body, content_type=FHIR, headers=bearer(token))
    assert refused.status_code == 403
    # A pool may not send a school's notification.
    pool = office.institutions.get(kind="pool")
    _client, pool_token = create_api_client(actor=None, office=office, name="pool", scopes=["forms"], institution=pool)
    wrong = client.post("/fhir/QuestionnaireResponse", body, content_type=FHIR, headers=bearer(pool_token))
    assert wrong.status_code == 422
    assert Submission.objects.count() == 0


def test_rest_submission_and_status(demo, client, example):
    body = {"response": example("ifsg34-notification")}
    _attach(body["response"]["item"])
    url = "/api/v1/forms/services/ifsg34-notification/submissions"
    headers = {**bearer(demo.school), "Idempotency-Key": "rest-1"}
    created = client.post(url, body, content_type="application/json", headers=headers)
    assert created.status_code == 201, created.content
    reference = created.json()["reference"]
    assert created.json()["timeline"][0]["code"] == "received"
    again = client.post(url, body, content_type="application/json", headers=headers)
    assert again.status_code == 200 and again.json()["reference"] == reference
    status = client.get(f"/api/v1/forms/submissions/{reference}", headers=bearer(demo.school))
    assert status.status_code == 200 and status.json()["status"] == "open"

    bad = {"response": {**example("ifsg34-notification"), "item": []}}
    refused = client.post(url, bad, content_type="application/json", headers=bearer(demo.school))
    assert refused.status_code == 422 and refused["Content-Type"] == "application/problem+json"
    assert {error["code"] for error in refused.json()["errors"]} == {"required"}
    assert Submission.objects.count() == 1

    services = client.get("/api/v1/forms/services").json()
    assert {service["slug"] for service in services} >= {"ifsg34-notification", "counselling-request"}


def _attachment_items(items):
    found = []
    for item in items:
        if "attachment" in item.get("linkId", "") or any("valueAttachment" in a for a in item.get("answer", [])):
            found.append(item)
        found.extend(_attachment_items(item.get("item", [])))
    return found


def _attach(items, data=PDF):
    """Give every attachment answer of an example inline content."""
    for item in items:
        for answer in item.get("answer", []):
            if "valueAttachment" in answer:
                answer["valueAttachment"] = {
                    "contentType": "application/pdf",
                    "title": "brief.pdf",
                    "data": base64.b64encode(data).decode(),
                }
        _attach(item.get("item", []), data)


def _drop_first_required(items):
    for item in items:
        if item.get("item"):
            item["item"] = item["item"][1:]
            return
