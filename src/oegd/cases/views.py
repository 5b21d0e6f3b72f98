"""Staff pages of case management: worklists, a task with its form, the case list and the case file.

Every write is a POST through one service; a ``DomainError`` shows its message on the page it
came from (HTTP 400, 409 for a task someone else completed first) and changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from oegd.cases import selectors, services
from oegd.cases.conditions import MissingVariable
from oegd.cases.forms import (
    UNASSIGNED,
    CaseUpdateForm,
    HoldForm,
    WorklistFilterForm,
    end_of_day,
    process_variables,
    read_task_answers,
    start_of_day,
    task_page,
)
from oegd.cases.models import Case, Milestone, Task
from oegd.core.access import has_permission, staff_required
from oegd.core.services import DomainError
from oegd.forms import rendering
from oegd.forms import selectors as form_selectors
from oegd.forms.summary import answer_summary

PAGE_SIZE = 50
COUNT_CAP = 100
CASE_COUNT_CAP = 1000


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return max(1, min(int(raw), 10_000)) if raw.isascii() and raw.isdigit() else 1


def _window(queryset, page: int) -> tuple[list[Any], bool]:
    """One page of rows, and whether another follows (no COUNT over the whole list)."""
    start = (page - 1) * PAGE_SIZE
    rows = list(queryset[start : start + PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


# --- worklists -----------------------------------------------------------------------------------


@staff_required("cases.view")
def worklist(request: HttpRequest) -> HttpResponse:
    return _worklist_page(request)


def _worklist_page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    office = request.office
    form = WorklistFilterForm(request.GET, office=office)
    form.is_valid()  # invalid values are left out of cleaned_data, i.e. not applied
    view = form.cleaned_data.get("view") or "mine"
    sort = form.cleaned_data.get("sort") or "due"
    tasks = selectors.worklist(user=request.user, office=office, view=view, filters=form.filters(), sort=sort)
    page = _page_number(request)
    rows, has_next = _window(tasks, page)
    counts = selectors.worklist_counts(user=request.user, office=office, cap=COUNT_CAP)
    tabs = [
        (name, label, counts[name])
        for name, label in (
            ("mine", _("My tasks")),
            ("team", _("My team")),
            ("overdue", _("Overdue")),
            ("waiting", _("On hold")),
            ("all", _("All open tasks")),
        )
    ]
    return render(
        request,
        "cases/worklist.html",
        {
            "form": form if form.errors else None,
            "filter_form": form,
            "error": error,
            "view": view,
            "sort": sort,
            "tabs": tabs,
            "tasks": rows,
            "page": page,
            "has_next": has_next,
            "now": timezone.now(),
            "query": _query_without(request, "page"),
            "tab_query": _query_without(request, "page", "view"),
            "case_types": selectors.case_types_for_filter(),
            "teams": selectors.teams_of_office(office),
            "staff": selectors.staff_of_office(office),
            "priorities": Case.Priority.choices,
            "sorts": [
                ("due", _("Due date")),
                ("-priority", _("Priority")),
                ("created", _("Newest last")),
                ("case", _("Case reference")),
            ],
            "unassigned": UNASSIGNED,
            "can_edit": has_permission(request.user, office, "cases.edit"),
        },
        status=status,
    )


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target.startswith("/staff/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@staff_required("cases.edit")
@require_POST
def assign_tasks(request: HttpRequest) -> HttpResponse:
    """Bulk assignment from a worklist (to a person, to oneself, or back to the team)."""
    office = request.office
    ids = [int(value) for value in request.POST.getlist("task") if value.isascii() and value.isdigit()]
    action = request.POST.get("action", "")
    if not ids:
        return _worklist_page(request, error=_("Please select at least one task."), status=400)
    if action == "me":
        assignee = request.user
    elif action == "team":
        assignee = None
    else:
        chosen = request.POST.get("assignee", "")
        assignee = (
            selectors.staff_of_office(office).filter(pk=int(chosen)).first()
            if chosen.isascii() and chosen.isdigit()
            else None
        )
        if assignee is None:
            return _worklist_page(request, error=_("Please choose the person to assign the tasks to."), status=400)
    try:
        tasks = selectors.tasks_of_office(office=office, ids=ids)
        count = services.assign_tasks(actor=request.user, office=office, tasks=tasks, assignee=assignee)
    except DomainError as exc:
        return _worklist_page(request, error=exc.message, status=400)
    if assignee is None:
        text = ngettext("%(count)d task handed back to the team.", "%(count)d tasks handed back to the team.", count)
    else:
        text = ngettext("%(count)d task assigned.", "%(count)d tasks assigned.", count)
    messages.success(request, text % {"count": count})
    query = request.GET.urlencode()
    return redirect(_safe_next(request, reverse("cases:worklist") + (f"?{query}" if query else "")))


# --- one task ------------------------------------------------------------------------------------


@staff_required("cases.view")
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    task = selectors.get_task_for_user(user=request.user, office=request.office, task_id=task_id)
    return _task_page(request, task)


def _task_page(
    request: HttpRequest,
    task: Task,
    *,
    items: list[dict] | None = None,
    issues: list | None = None,
    comment: str = "",
    error: str = "",
    hold_form: HoldForm | None = None,
    status: int = 200,
) -> HttpResponse:
    language = request.LANGUAGE_CODE
    definition = selectors.task_questionnaire(task)
    is_live = task.status in selectors.LIVE
    issues = issues or []
    fields = ""
    answers: list = []
    stored = _stored_answers(task)
    if definition is not None and is_live:
        fields = rendering.render_page(
            definition=definition, page=task_page(definition), items=items or [], issues=issues, language=language
        )
    elif definition is not None and isinstance(stored, list):
        answers = answer_summary(definition, stored, language)
    first_half = selectors.four_eyes_first_half(task)
    can_edit = has_permission(request.user, request.office, "cases.edit")
    case = task.case
    return render(
        request,
        "cases/task.html",
        {
            "task": task,
            "case": case,
            "subjects": selectors.subjects_of(case),
            "definition": definition,
            "form_title": definition.title_in(language) if definition else "",
            "form_missing": bool(task.form) and definition is None,
            "fields": fields,
            "errors": rendering.error_summary(definition, issues, language) if definition else [],
            "error": error,
            "form": hold_form if hold_form is not None and hold_form.errors else None,
            "hold_form": hold_form or HoldForm(),
            "comment": comment,
            "answers": answers,
            "stored_comment": _stored_comment(stored),
            "is_live": is_live,
            "first_half": first_half,
            "four_eyes_blocked": first_half is not None and first_half.completed_by_id == request.user.pk,
            "can_edit": can_edit,
            "can_take": is_live and can_edit and task.assignee_id != request.user.pk,
            "today": timezone.localdate(),
        },
        status=status,
    )


def _stored_answers(task: Task) -> Any:
    if not task.answers:
        return None
    try:
        return json.loads(task.answers)
    except ValueError:
        return None


def _stored_comment(stored: Any) -> str:
    if isinstance(stored, list) and stored and stored[0].get("linkId") == "comment":
        answers = stored[0].get("answer") or [{}]
        return str(answers[0].get("valueString", ""))
    return ""


def _already_done(task: Task) -> str:
    who = task.completed_by.full_name if task.completed_by else _("the process")
    return _("This task was already completed by %(who)s. Nothing was changed.") % {"who": who}


@staff_required("cases.edit")
@require_POST
def task_complete(request: HttpRequest, task_id: int) -> HttpResponse:
    """Complete a task with its form's answers (or a comment); the process runs on."""
    task = selectors.get_task_for_user(user=request.user, office=request.office, task_id=task_id)
    if task.status not in selectors.LIVE:
        return _task_page(request, task, error=_already_done(task), status=409)
    definition = selectors.task_questionnaire(task)
    comment = ""
    items: list[dict] | None = None
    if definition is not None:
        items, issues = read_task_answers(definition, request.POST)
        if request.POST.get("add") or request.POST.get("remove"):
            return _task_page(request, task, items=items)  # "add another" / "remove": the same form again
        if issues:
            return _task_page(request, task, items=items, issues=issues, status=400)
        variables = process_variables(definition, items)
        answers_json = json.dumps(items, default=str)
    else:
        comment = request.POST.get("comment", "").strip()[:5000]
        variables = {}
        answers_json = json.dumps([{"linkId": "comment", "answer": [{"valueString": comment}]}]) if comment else ""
    try:
        services.complete_task(actor=request.user, task=task, variables=variables, answers_json=answers_json)
    except (services.TaskAlreadyDone, services.FourEyesViolation) as exc:
        task.refresh_from_db()
        return _task_page(request, task, items=items, comment=comment, error=exc.message, status=409)
    except MissingVariable as exc:
        return _task_page(request, task, items=items, comment=comment, error=exc.message, status=422)
    except DomainError as exc:
        return _task_page(request, task, items=items, comment=comment, error=exc.message, status=400)
    messages.success(request, _("The task “%(task)s” is completed.") % {"task": task.name})
    return redirect("cases:detail", reference=task.case.reference)


@staff_required("cases.edit")
@require_POST
def task_hold(request: HttpRequest, task_id: int) -> HttpResponse:
    """Put a task on hold until a date (Wiedervorlage)."""
    task = selectors.get_task_for_user(user=request.user, office=request.office, task_id=task_id)
    form = HoldForm(request.POST)
    if not form.is_valid():
        return _task_page(request, task, hold_form=form, status=400)
    try:
        services.put_task_on_hold(actor=request.user, task=task, until=start_of_day(form.cleaned_data["until"]))
    except DomainError as exc:
        return _task_page(request, task, hold_form=form, error=exc.message, status=400)
    messages.success(request, _("The task is on hold until %(date)s.") % {"date": form.cleaned_data["until"]})
    return redirect("cases:task", task_id=task.pk)


# --- cases ---------------------------------------------------------------------------------------


@staff_required("cases.view")
def case_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", Case.Status.OPEN)
    if status not in Case.Status.values:
        status = ""
    query = request.GET.get("q", "").strip()[:100]
    case_type = request.GET.get("case_type", "").strip()[:100]
    cases = selectors.search_cases(office=request.office, query=query, status=status, case_type=case_type)
    page = _page_number(request)
    rows, has_next = _window(cases.select_related("type_version", "team", "assignee"), page)
    count, more = selectors.capped_count(cases, CASE_COUNT_CAP) if page == 1 else (0, False)
    return render(
        request,
        "cases/list.html",
        {
            "cases": rows,
            "page": page,
            "has_next": has_next,
            "count": count,
            "more": more,
            "cap": CASE_COUNT_CAP,
            "status": status,
            "statuses": Case.Status.choices,
            "q": query,
            "case_type": case_type,
            "case_types": selectors.case_types_for_filter(),
            "query": _query_without(request, "page"),
        },
    )


@staff_required("cases.view")
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.get_case_for_user(user=request.user, office=request.office, reference=reference)
    return _case_page(request, case)


def _case_page(
    request: HttpRequest, case: Case, *, error: str = "", form: Any = None, status: int = 200
) -> HttpResponse:
    office = request.office
    submission = getattr(case, "submission", None)
    rows = []
    attachments = []
    if submission is not None:
        form_selectors.get_submission_for_staff(user=request.user, office=office, reference=case.reference)
        definition = form_selectors.definition_of(submission.form_version)
        rows = answer_summary(definition, form_selectors.response_items(submission), request.LANGUAGE_CODE)
        attachments = list(submission.attachments.order_by("uploaded_at"))
    declared = case.type_version.visible_milestone_codes if case.type_version else []
    codes = [choice for choice in Milestone.Code.choices if choice[0] != Milestone.Code.RECEIVED]
    codes += [(code, Milestone(case=case, code=code).label()) for code in declared if code not in Milestone.Code.values]
    can_edit = has_permission(request.user, office, "cases.edit")
    update_form = form if isinstance(form, CaseUpdateForm) else CaseUpdateForm(office=office)
    return render(
        request,
        "cases/detail.html",
        {
            "case": case,
            "is_open": case.status == Case.Status.OPEN,
            "submission": submission,
            "rows": rows,
            "attachments": attachments,
            "timeline": selectors.milestones_of(case),
            "codes": codes,
            "subjects": selectors.subjects_of(case),
            "process": selectors.process_of(case),
            "open_tasks": selectors.open_tasks_of(case),
            "entries": selectors.progress_entries(case),
            "notes": selectors.notes_of(case),
            "checklist": selectors.checklist_of(case),
            "tags": list(case.tags.all()),
            "related": selectors.related_cases_of(case),
            "update_form": update_form,
            "form": form,
            "error": error,
            "teams": selectors.teams_of_office(office),
            "staff": selectors.staff_of_office(office),
            "priorities": Case.Priority.choices,
            "can_edit": can_edit,
            "can_hold": has_permission(request.user, office, "office.manage"),
            "today": timezone.localdate(),
        },
        status=status,
    )


def _case_write(request: HttpRequest, reference: str, write, success: str, anchor: str = "") -> HttpResponse:
    """Run one service call on the case; its DomainError is shown on the case page (400)."""
    case = selectors.get_case_for_user(user=request.user, office=request.office, reference=reference)
    try:
        write(case)
    except DomainError as exc:
        case.refresh_from_db()
        return _case_page(request, case, error=exc.message, status=400)
    messages.success(request, success)
    return redirect(reverse("cases:detail", kwargs={"reference": case.reference}) + (f"#{anchor}" if anchor else ""))


@staff_required("cases.edit")
@require_POST
def add_milestone(request: HttpRequest, reference: str) -> HttpResponse:
    return _case_write(
        request,
        reference,
        lambda case: services.record_milestone(
            actor=request.user,
            case=case,
            code=request.POST.get("code", ""),
            citizen_visible=request.POST.get("internal") != "on",
        ),
        _("The milestone is recorded."),
        "milestones-heading",
    )


@staff_required("cases.edit")
@require_POST
def update_case(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.get_case_for_user(user=request.user, office=request.office, reference=reference)
    form = CaseUpdateForm(request.POST, office=request.office)
    if not form.is_valid():
        return _case_page(request, case, form=form, status=400)
    data = form.cleaned_data
    try:
        services.update_case(
            actor=request.user,
            case=case,
            priority=data["priority"] if isinstance(data["priority"], int) else None,
            team=data["team"],
            assignee=data["assignee"],
            due_at=end_of_day(data["due_date"]) if data["due_date"] else None,
            clear_due=data["clear_due"],
        )
    except DomainError as exc:
        case.refresh_from_db()
        return _case_page(request, case, form=form, error=exc.message, status=400)
    messages.success(request, _("The case is updated."))
    return redirect("cases:detail", reference=case.reference)


@staff_required("cases.edit")
@require_POST
def add_note(request: HttpRequest, reference: str) -> HttpResponse:
    return _case_write(
        request,
        reference,
        lambda case: services.add_note(actor=request.user, case=case, text=request.POST.get("text", "")),
        _("The note is saved."),
        "notes-heading",
    )


@staff_required("cases.edit")
@require_POST
def add_entry(request: HttpRequest, reference: str) -> HttpResponse:
    return _case_write(
        request,
        reference,
        lambda case: services.add_progress_entry(actor=request.user, case=case, text=request.POST.get("text", "")),
        _("The entry is added."),
        "entries-heading",
    )


@staff_required("cases.edit")
@require_POST
def add_checklist_item(request: HttpRequest, reference: str) -> HttpResponse:
    return _case_write(
        request,
        reference,
        lambda case: services.add_checklist_item(actor=request.user, case=case, label=request.POST.get("label", "")),
        _("The point is added to the checklist."),
        "checklist-heading",
    )


@staff_required("cases.edit")
@require_POST
def tick_checklist_item(request: HttpRequest, reference: str, item_id: int) -> HttpResponse:
    def tick(case: Case) -> None:
        item = selectors.get_checklist_item(case=case, item_id=item_id)
        services.tick_checklist_item(actor=request.user, item=item, done=request.POST.get("done") == "1")

    return _case_write(request, reference, tick, _("The checklist is updated."), "checklist-heading")


@staff_required("cases.edit")
@require_POST
def set_tags(request: HttpRequest, reference: str) -> HttpResponse:
    names = request.POST.get("tags", "").split(",")
    return _case_write(
        request,
        reference,
        lambda case: services.set_tags(actor=request.user, case=case, names=names),
        _("The tags are saved."),
        "tags-heading",
    )


@staff_required("cases.edit")
@require_POST
def relate_case(request: HttpRequest, reference: str) -> HttpResponse:
    def relate(case: Case) -> None:
        other = selectors.find_case_by_reference(office=request.office, reference=request.POST.get("reference", ""))
        if other is None:
            raise DomainError(_("No case with this reference."))
        services.relate_cases(actor=request.user, case=case, other=other)

    return _case_write(request, reference, relate, _("The cases are linked."), "related-heading")


@staff_required("office.manage")
@require_POST
def legal_hold(request: HttpRequest, reference: str) -> HttpResponse:
    hold = request.POST.get("hold") == "1"
    return _case_write(
        request,
        reference,
        lambda case: services.set_legal_hold(
            actor=request.user, case=case, hold=hold, reason=request.POST.get("reason", "")
        ),
        _("The legal hold is set.") if hold else _("The legal hold is released."),
        "hold-heading",
    )
