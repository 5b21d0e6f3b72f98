"""Submissions end to end below the browser: drafts, routing, cases, receipts, status, idempotency."""

import io
import json

import pytest
from django.core import mail
from pypdf import PdfReader

from oegd.cases.models import Case, Milestone
from oegd.cases.services import record_milestone
from oegd.core.models import AuditEvent, User
from oegd.forms import services
from oegd.forms.models import Attachment, Draft, Service, ServiceOffer, Submission
from oegd.forms.selectors import find_submission_for_status

pytestmark = pytest.mark.django_db


def _submit_anonymous_counselling(example):
    service = Service.objects.get(slug="counselling-request")
    draft = services.start_draft(service=service, user=None, language="en")
    services.save_draft_page(actor=None, draft=draft, items=example("counselling-request")["item"], page=0)
    return draft, services.submit_draft(actor=None, draft=draft)


def test_anonymous_request_opens_a_case_in_the_responsible_office(demo, example):
    draft, result = _submit_anonymous_counselling(example)
    submission = result.submission
    # 12345 is shared; the place "Vorwerk" belongs to the district office.
    assert submission.office.slug == "beispielkreis"
    assert submission.case.office == submission.office
    assert submission.case.case_type == "counselling-request"
    assert [m.code for m in submission.case.milestones.all()] == [Milestone.Code.RECEIVED]
    assert result.created and result.secret
    assert find_submission_for_status(reference=submission.reference.lower(), secret=result.secret) == submission
    assert find_submission_for_status(reference=submission.reference, secret="WRONG-SECR-ET00") is None
    draft.refresh_from_db()
    assert draft.submitted_at is not None and draft.answers == "[]"
    assert AuditEvent.objects.filter(action="form.submit", object_id=str(submission.pk)).exists()


def test_answers_are_encrypted_at_rest(demo, example):
    from django.db import connection

    _draft, result = _submit_anonymous_counselling(example)
    with connection.cursor() as cursor:
        cursor.execute("SELECT response FROM forms_submission WHERE id = %s", [result.submission.pk])
        raw = cursor.fetchone()[0]
    assert raw.startswith("enc1:")
    assert "contact.postal_code" not in raw
    assert json.loads(result.submission.response)["item"]


def test_a_second_submit_returns_the_first_submission(demo, example):
    draft, first = _submit_anonymous_counselling(example)
    again = services.submit_draft(actor=None, draft=draft)
    assert again.submission == first.submission and not again.created and again.secret is None
    assert Submission.objects.count() == 1 and Case.objects.count() == 1


def test_invalid_answers_store_nothing(demo, example):
    service = Service.objects.get(slug="counselling-request")
    draft = services.start_draft(service=service, user=None, language="en")
    items = example("counselling-request")["item"]
    _set_answer(items, "topic.question", "")
    services.save_draft_page(actor=None, draft=draft, items=items, page=0)
    with pytest.raises(services.ResponseInvalid) as refused:
        services.submit_draft(actor=None, draft=draft)
    assert [(issue.link_id, issue.code) for issue in refused.value.issues] == [("topic.question", "required")]
    assert Submission.objects.count() == 0 and Case.objects.count() == 0


@pytest.mark.parametrize(
    ("postal_code", "place", "message"),
    [
        ("99999", "Irgendwo", "We do not know the postal code 99999."),
        ("1234", "Musterstadt", "A German postal code has five digits"),
        ("12345", "Nirgendwo", "Several health offices serve this postal code."),
    ],
)
def test_routing_failures_name_the_answer(demo, example, postal_code, place, message):
    response = example("counselling-request")
    _set_answer(response["item"], "contact.postal_code", postal_code)
    _set_answer(response["item"], "contact.place", place)
    service = Service.objects.get(slug="counselling-request")
    with pytest.raises((services.RoutingFailed, services.ResponseInvalid)) as refused:
        services.submit_response(
            actor=User.objects.get(email="buerger@example.org"),
            service=service,
            response=response,
            idempotency_key="k1",
            channel=Submission.Channel.API,
        )
    if isinstance(refused.value, services.RoutingFailed):
        assert message in refused.value.message
        assert refused.value.link_id in ("contact.postal_code", "contact.place")
    else:  # the form's own regex catches a four-digit code first
        assert [issue.link_id for issue in refused.value.issues] == ["contact.postal_code"]
    assert Submission.objects.count() == 0


def test_service_switched_off_in_the_responsible_office_is_refused(demo, example):
    service = Service.objects.get(slug="counselling-request")
    ServiceOffer.objects.filter(service=service, office__slug="beispielkreis").update(is_active=False)
    with pytest.raises(services.RoutingFailed, match="does not offer this service online"):
        services.submit_response(
            actor=None, service=service, response=example("counselling-request"), idempotency_key="k", channel="api"
        )


def test_citizen_gets_confirmation_email_in_own_language_without_answers(
    demo, example, django_capture_on_commit_callbacks
):
    citizen = User.objects.get(email="buerger@example.org")
    service = Service.objects.get(slug="ifsg43-instruction")
    draft = services.start_draft(service=service, user=citizen, language="de")
    services.save_draft_page(actor=citizen, draft=draft, items=example("ifsg43-instruction")["item"], page=0)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.submit_draft(actor=citizen, draft=draft)
    assert [message.to for message in mail.outbox] == [["buerger@example.org"]]
    body = mail.outbox[0].body
    assert result.submission.reference in body
    assert result.secret not in body  # e-mail is not confidential: no secret, no answers
    assert "Küche" not in body and "kitchen" not in body
    assert result.submission.case.subject == citizen


def test_prefill_uses_the_citizen_profile(demo):
    citizen = User.objects.get(email="buerger@example.org")
    service = Service.objects.get(slug="ifsg43-instruction")
    draft = services.start_draft(service=service, user=citizen, language="de")
    answers = json.dumps(services.draft_items(draft))
    assert "12345" in answers and "Mia Muster" in answers and "buerger@example.org" in answers


def test_receipt_pdf_reads_back_and_status_follows_the_case(demo, example, client):
    _draft, result = _submit_anonymous_counselling(example)
    submission = result.submission
    response = client.get(f"/status/check/?reference={submission.reference}&secret={result.secret}")
    assert response.status_code == 302 and response["Location"] == f"/status/{submission.reference}/"
    page = client.get(response["Location"], headers={"accept-language": "en"}).content.decode()
    assert submission.reference in page and "Request received" in page  # the case type's own label

    pdf = client.get(f"/status/{submission.reference}/receipt.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert submission.reference in text and result.secret in text

    clerk = User.objects.get(email="admin@beispielkreis.example")
    record_milestone(actor=clerk, case=submission.case, code=Milestone.Code.IN_REVIEW)  # not one citizens see
    record_milestone(actor=clerk, case=submission.case, code=Milestone.Code.DECISION_MADE)
    record_milestone(actor=clerk, case=submission.case, code=Milestone.Code.CLOSED)
    page = client.get(f"/status/{submission.reference}/", headers={"accept-language": "en"}).content.decode()
    # the counselling case type's own labels, and only the milestones it shows citizens
    assert "Your answer is ready" in page and "Completed" in page and "In progress" not in page


def test_status_needs_the_right_secret(demo, example, client):
    _draft, result = _submit_anonymous_counselling(example)
    reference = result.submission.reference
    assert client.get(f"/status/{reference}/").status_code == 404
    assert client.get(f"/status/{reference}/receipt.pdf").status_code == 404
    wrong = client.get(f"/status/check/?reference={reference}&secret=AAAA-AAAA-AAAA")
    assert wrong.status_code == 404
    assert client.get(f"/status/{reference}/").status_code == 404


def test_expired_drafts_are_deleted_with_their_files(demo, example):
    import time_machine

    service = Service.objects.get(slug="counselling-request")
    draft = services.start_draft(service=service, user=None, language="en")
    with time_machine.travel(draft.expires_at, tick=False):
        assert services.delete_expired_drafts() == 0
    with time_machine.travel(draft.expires_at.timestamp() + 1, tick=False):
        assert services.delete_expired_drafts() == 1
    assert not Draft.objects.exists() and not Attachment.objects.exists()


def _set_answer(items, link_id, value):
    for item in items:
        if item["linkId"] == link_id:
            if value:
                item["answer"] = [{"valueString": value}]
            else:
                item.pop("answer", None)
            return True
        if _set_answer(item.get("item", []), link_id, value):
            return True
        for answer in item.get("answer", []):
            if _set_answer(answer.get("item", []), link_id, value):
                return True
    return False
