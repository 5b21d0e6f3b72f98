"""The FHIR R4 facade: capability statement, Questionnaires (forms) and QuestionnaireResponses."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from oegd.core.access import api_token_required, public
from oegd.core.problems import FHIR_CONTENT_TYPE, operation_outcome
from oegd.forms import selectors as form_selectors
from oegd.forms import services as form_services
from oegd.interop.capability import ResourceCapability, capability_statement, register_resource

MAX_BODY_BYTES = 20 * 1024 * 1024  # inline attachments make responses large
ISSUE_SYSTEM = "https://oegd.example/fhir/CodeSystem/form-issue"

register_resource(
    ResourceCapability(
        "Questionnaire",
        interactions=["read", "search-type"],
        search_params=[("url", "uri"), ("status", "token"), ("title", "string")],
    )
)
register_resource(ResourceCapability("QuestionnaireResponse", interactions=["create", "read"]))


def fhir_json(body: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=FHIR_CONTENT_TYPE)


@public
@require_GET
def metadata(request: HttpRequest) -> HttpResponse:
    """``GET /fhir/metadata``: what this FHIR server offers (public, as FHIR requires)."""
    return HttpResponse(capability_statement().model_dump_json(), content_type=FHIR_CONTENT_TYPE)


@public
@require_GET
def questionnaire_search(request: HttpRequest) -> HttpResponse:
    """``GET /fhir/Questionnaire?url=&status=&title=``: published forms as a searchset Bundle."""
    versions = form_selectors.published_versions(
        url=request.GET.get("url", ""), status=request.GET.get("status", ""), title=request.GET.get("title", "")
    )
    base = f"{settings.SITE_URL}/fhir/Questionnaire"
    entries = [
        {
            "fullUrl": f"{base}/{version.fhir_id}",
            "resource": form_selectors.questionnaire_resource(version),
            "search": {"mode": "match"},
        }
        for version in versions[:100]
    ]
    return fhir_json(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(entries),
            "link": [{"relation": "self", "url": request.build_absolute_uri()}],
            "entry": entries,
        }
    )


@public
@require_GET
def questionnaire_read(request: HttpRequest, fhir_id: str) -> HttpResponse:
    version = form_selectors.get_published_version(fhir_id)
    return fhir_json(form_selectors.questionnaire_resource(version))


@api_token_required("forms")
@require_http_methods(["POST"])
def questionnaire_response_create(request: HttpRequest) -> HttpResponse:
    """``POST /fhir/QuestionnaireResponse``: submit a form as a system (e.g. a school's software).

    201 with Location and the stored response; the same ``Idempotency-Key`` header (or the same
    ``identifier``) again gives 200 with the first one; 422 names each bad linkId.
    """
    if len(request.body) > MAX_BODY_BYTES:
        return operation_outcome(413, _("The request is too large."), code="too-costly")
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return operation_outcome(400, _("The body is not JSON."), code="structure")
    if not isinstance(body, dict) or body.get("resourceType") != "QuestionnaireResponse":
        return operation_outcome(400, _("Send a QuestionnaireResponse resource."), code="structure")
    canonical = body.get("questionnaire")
    if not isinstance(canonical, str) or not canonical:
        return operation_outcome(
            422, _("The response must name its questionnaire."), code="required", expression=["questionnaire"]
        )
    client = request.api_client  # type: ignore[attr-defined]
    service = form_selectors.service_for_submission(form_url=canonical, client=client)
    if service is None:
        message = _("No online service you may use has this questionnaire.")
        return operation_outcome(422, message, code="not-found", expression=["questionnaire"])
    identifier = body.get("identifier") if isinstance(body.get("identifier"), dict) else {}
    key = request.headers.get("Idempotency-Key") or "|".join(
        str(identifier.get(part, "")) for part in ("system", "value")
    ).strip("|")
    try:
        result = form_services.submit_response(
            actor=client,
            service=service,
            response=body,
            idempotency_key=key or _new_key(),
            channel="fhir",
            institution=client.institution,
            language=request.headers.get("Content-Language", "")[:10] or settings.LANGUAGE_CODE,
        )
    except form_services.ResponseInvalid as exc:
        return _invalid(exc.issues)
    except form_services.RoutingFailed as exc:
        return operation_outcome(422, exc.message, code="business-rule", expression=_expression(exc.link_id))
    except form_services.ServiceUnavailable as exc:
        return operation_outcome(422, exc.message, code="not-supported", expression=["questionnaire"])
    submission = result.submission
    response = fhir_json(_stored_response(submission), status=201 if result.created else 200)
    response["Location"] = f"{settings.SITE_URL}/fhir/QuestionnaireResponse/{submission.reference}"
    return response


@api_token_required("forms")
@require_GET
def questionnaire_response_read(request: HttpRequest, reference: str) -> HttpResponse:
    submission = form_selectors.get_submission_for_client(client=request.api_client, reference=reference)  # type: ignore[attr-defined]
    return fhir_json(_stored_response(submission))


def _stored_response(submission: Any) -> dict[str, Any]:
    stored = json.loads(submission.response)
    stored["id"] = submission.reference
    return stored


def _new_key() -> str:
    import uuid

    return uuid.uuid4().hex


def _expression(link_id: str) -> list[str]:
    return [f"QuestionnaireResponse.item.where(linkId='{link_id}')"] if link_id else []


def _invalid(issues: list[Any]) -> HttpResponse:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "required" if issue.code == "required" else "invalid",
                "details": {"coding": [{"system": ISSUE_SYSTEM, "code": issue.code}]},
                "diagnostics": issue.message,
                "expression": _expression(issue.link_id),
            }
            for issue in issues
        ],
    }
    return fhir_json(body, status=422)


@public
def unknown(request: HttpRequest, rest: str) -> HttpResponse:
    return operation_outcome(404, f"Unknown FHIR path: {rest}", code="not-found")
