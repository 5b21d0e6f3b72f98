"""REST API of the form server: the catalogue, submissions and their status (/api/v1/forms/)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Body, Header, Router, Schema, Status

from oegd.api import PUBLIC, Problem, any_auth, require_scope
from oegd.cases.selectors import citizen_timeline
from oegd.core.problems import problem_response
from oegd.forms import selectors, services
from oegd.forms.models import Submission

router = Router(tags=["forms"])


class ServiceOut(Schema):
    slug: str
    kind: str
    title: str
    summary: str
    questionnaire: str
    anonymous: bool
    citizens: bool
    institution_kinds: list[str]
    leika_code: str
    kle_code: str


class SubmissionIn(Schema):
    response: dict[str, Any]


class MilestoneOut(Schema):
    code: str
    label: str
    at: datetime


class SubmissionOut(Schema):
    reference: str
    service: str
    office: str
    submitted_at: datetime
    status: str
    timeline: list[MilestoneOut]

    @classmethod
    def of(cls, submission: Submission) -> SubmissionOut:
        return cls(
            reference=submission.reference,
            service=submission.service.slug,
            office=submission.office.slug,
            submitted_at=submission.submitted_at,
            status=submission.case.status,
            timeline=[MilestoneOut(code=m.code, label=m.label(), at=m.at) for m in citizen_timeline(submission.case)],
        )


@router.get("/services", response=list[ServiceOut], openapi_extra=PUBLIC, summary="Online services on offer")
def list_services(request: HttpRequest) -> list[ServiceOut]:
    return [
        ServiceOut(
            slug=service.slug,
            kind=service.kind,
            title=service.title,
            summary=service.summary,
            questionnaire=service.form.url,
            anonymous=service.allow_anonymous,
            citizens=service.allow_citizens,
            institution_kinds=service.institution_kinds,
            leika_code=service.leika_code,
            kle_code=service.kle_code,
        )
        for service in selectors.offered_services()
    ]


@router.post(
    "/services/{slug}/submissions",
    response={200: SubmissionOut, 201: SubmissionOut, 404: Problem, 422: Problem},
    auth=any_auth,
    summary="Submit a QuestionnaireResponse",
    description="Idempotent with the Idempotency-Key header: a retry returns the first submission (200).",
)
def submit(
    request: HttpRequest,
    slug: str,
    payload: SubmissionIn = Body(...),  # noqa: B008 - ninja's way of declaring the body
    idempotency_key: str = Header("", alias="Idempotency-Key"),  # noqa: B008
) -> Any:
    require_scope(request, "forms")
    client = getattr(request, "api_client", None)
    service = get_object_or_404(selectors.offered_services(), slug=slug)
    if client is not None:
        allowed = selectors.client_may_submit(client=client, service=service)
        institution = client.institution
        actor: Any = client
    else:
        allowed = selectors.may_use(user=request.user, service=service)
        institution = selectors.institutions_for_service(user=request.user, service=service).first()
        actor = request.user
    if not allowed:
        raise Http404
    try:
        result = services.submit_response(
            actor=actor,
            service=service,
            response=payload.response,
            idempotency_key=idempotency_key or services.new_status_secret(),
            channel=Submission.Channel.API,
            institution=institution,
            language=getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE),
        )
    except services.ResponseInvalid as exc:
        return _problem(exc.issues)
    except services.RoutingFailed as exc:
        return problem_response(422, exc.message, errors=[{"name": exc.link_id, "reason": exc.message}])
    except services.ServiceUnavailable as exc:
        return problem_response(422, exc.message)
    return Status(201 if result.created else 200, SubmissionOut.of(result.submission))


@router.get(
    "/submissions/{reference}",
    response={200: SubmissionOut, 404: Problem},
    auth=any_auth,
    summary="Status of a submission made by the caller",
)
def submission_status(request: HttpRequest, reference: str) -> Any:
    client = getattr(request, "api_client", None)
    if client is not None:
        submission = selectors.get_submission_for_client(client=client, reference=reference)
    else:
        submission = get_object_or_404(selectors.submissions_of(request.user), reference=reference)
    return SubmissionOut.of(submission)


def _problem(issues: list[Any]) -> HttpResponse:
    return problem_response(
        422,
        _("The answers do not fit the form."),
        _("Each error names the linkId of the answer at fault."),
        errors=[{"name": issue.link_id, "reason": issue.message, "code": issue.code} for issue in issues],
    )
