"""Staff pages of case files: the office's worklist of cases and one case with its submission."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from oegd.cases import selectors, services
from oegd.cases.models import Case, Milestone
from oegd.core.access import staff_required
from oegd.core.services import DomainError
from oegd.forms import selectors as form_selectors
from oegd.forms.summary import answer_summary


@staff_required("cases.view")
def case_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", Case.Status.OPEN)
    if status not in Case.Status.values:
        status = ""
    cases = selectors.cases_of_office(office=request.office, status=status).select_related("submission__service")
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    return render(request, "cases/list.html", {"page": page, "status": status, "statuses": Case.Status.choices})


@staff_required("cases.view")
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.get_case_for_user(user=request.user, office=request.office, reference=reference)
    submission = getattr(case, "submission", None)
    rows = []
    attachments = []
    if submission is not None:
        form_selectors.get_submission_for_staff(user=request.user, office=request.office, reference=reference)
        definition = form_selectors.definition_of(submission.form_version)
        rows = answer_summary(definition, form_selectors.response_items(submission), request.LANGUAGE_CODE)
        attachments = list(submission.attachments.order_by("uploaded_at"))
    return render(
        request,
        "cases/detail.html",
        {
            "case": case,
            "submission": submission,
            "rows": rows,
            "attachments": attachments,
            "timeline": case.milestones.order_by("at", "id"),
            "codes": [choice for choice in Milestone.Code.choices if choice[0] != Milestone.Code.RECEIVED],
        },
    )


@staff_required("cases.edit")
@require_POST
def add_milestone(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.get_case_for_user(user=request.user, office=request.office, reference=reference)
    try:
        services.record_milestone(
            actor=request.user,
            case=case,
            code=request.POST.get("code", ""),
            citizen_visible=request.POST.get("internal") != "on",
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("cases:detail", reference=case.reference)
    messages.success(request, _("The milestone is recorded."))
    return redirect("cases:detail", reference=case.reference)
