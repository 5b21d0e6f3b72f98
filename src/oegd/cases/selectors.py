"""Reads of case files and worklists, always scoped to the acting staff member's office.

Worklists and the case search are built for offices with hundreds of thousands of cases: the
first page is a plain indexed query (``Task.Meta.indexes``: office, status, assignee/team, due)
with a LIMIT, never a COUNT over everything; counts per tab are capped (``capped_count``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from oegd.cases.models import (
    Case,
    CaseEntry,
    CaseSubject,
    CaseType,
    ChecklistItem,
    Milestone,
    Note,
    ProcessInstance,
    Task,
)
from oegd.core import audit
from oegd.core.models import Department, Office, User

if TYPE_CHECKING:
    from oegd.forms.questionnaire import QuestionnaireDefinition

# What a typed (part of a) reference looks like: "K7QM", "k7qm-4x", "K7QM-4X2D-R".
_REFERENCE_LIKE = re.compile(r"[0-9A-Z]{2,4}(-[0-9A-Z]{0,4}(-[0-9A-Z]?)?)?")
WORKLIST_VIEWS = ("mine", "team", "overdue", "waiting", "all")
WORKLIST_SORTS = ("due", "-priority", "created", "case")
LIVE = (Task.Status.OPEN, Task.Status.WAITING)


# --- cases ---------------------------------------------------------------------------------------


def cases_of_office(*, office: Office, status: str = "") -> QuerySet[Case]:
    """Cases of one office (the staff member's active office), newest first."""
    cases = Case.objects.filter(office=office).order_by("-opened_at")
    return cases.filter(status=status) if status else cases


def get_case_for_user(*, user: User, office: Office, reference: str) -> Case:
    """A case of the active office; 404 for every other office's case. The read is audited."""
    case = get_object_or_404(
        Case.objects.select_related("office", "subject", "type_version", "team", "assignee"),
        office=office,
        reference=reference,
    )
    audit.record(user, "case.read", case, office=office, subject=case.subject)
    return case


def find_case_by_reference(*, office: Office, reference: str) -> Case | None:
    """The office's case with this reference (typed by a person: spaces and case do not matter)."""
    reference = "".join(reference.split()).upper()
    if not reference:
        return None
    return Case.objects.filter(office=office, reference=reference).first()


def search_cases(*, office: Office, query: str, status: str = "", case_type: str = "") -> QuerySet[Case]:
    """Cases of the office whose reference starts with ``query`` (case-insensitive), whose title
    holds every word of it, or whose person's family or given name starts with each word; newest
    first. Without a query: all cases with the filters.

    Each way of matching is its own indexable subquery, joined with UNION: the reference prefix
    uses the unique index on ``reference`` (upper-cased input), the title ``UPPER(title) LIKE``
    (a trigram index on ``UPPER(title)`` serves it on PostgreSQL), names go through ``Person``.
    A query that can only be a reference ("K7QM", "k7qm-4x") searches references alone.
    """
    cases = Case.objects.filter(office=office)
    if status:
        cases = cases.filter(status=status)
    if case_type:
        cases = cases.filter(case_type=case_type)
    words = query.split()[:5]
    if not words:
        return cases.order_by("-opened_at")
    compact = "".join(words).upper()
    by_reference = Case.objects.filter(office=office, reference__startswith=compact).values("pk")
    if _REFERENCE_LIKE.fullmatch(compact) and any(char.isdigit() for char in compact):
        return cases.filter(pk__in=by_reference).order_by("-opened_at")  # names and titles hold no such token
    by_title = Case.objects.filter(office=office)
    for word in words:
        by_title = by_title.filter(title__icontains=word)
    by_person = CaseSubject.objects.filter(person__office=office)
    for word in words:
        by_person = by_person.filter(Q(person__family_name__istartswith=word) | Q(person__given_name__istartswith=word))
    matching = by_reference.union(by_title.values("pk"), by_person.values("case_id"))
    return cases.filter(pk__in=matching).order_by("-opened_at")


def capped_count(queryset: QuerySet[Any], cap: int) -> tuple[int, bool]:
    """How many rows, counting at most ``cap`` + 1 (``(cap, True)`` means "more than cap")."""
    found = queryset.order_by()[: cap + 1].count()
    return min(found, cap), found > cap


def case_types_for_filter() -> list[tuple[str, str]]:
    """(slug, name) of the current case types, for filter drop-downs."""
    return list(CaseType.objects.filter(is_current=True).order_by("name").values_list("slug", "name"))


def teams_of_office(office: Office) -> QuerySet[Department]:
    return Department.objects.filter(office=office).order_by("name")


def staff_of_office(office: Office) -> QuerySet[User]:
    """Staff members working for the office (for assignee drop-downs)."""
    return (
        User.objects.filter(kind=User.Kind.STAFF, is_active=True, memberships__office=office)
        .distinct()
        .order_by("full_name", "email")
    )


# --- worklists -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorklistFilters:
    """What a worklist is narrowed to; empty values filter nothing."""

    case_type: str = ""
    team_id: int | None = None
    priority: int | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    due_before: datetime | None = None
    query: str = ""


def teams_of(user: User, office: Office) -> list[int]:
    """Ids of the teams (departments) the user belongs to in the office."""
    memberships = user.memberships.filter(office=office, department__isnull=False)
    return list(memberships.values_list("department_id", flat=True).distinct())


def worklist(
    *, user: User, office: Office, view: str, filters: WorklistFilters | None = None, sort: str = "due"
) -> QuerySet[Task]:
    """The tasks of one worklist tab (Arbeitsliste):

    - ``mine``: open tasks assigned to the user;
    - ``team``: open tasks of the user's teams, and open tasks of the office nobody and no team has;
    - ``overdue``: open tasks past their due time;
    - ``waiting``: tasks on hold (Wiedervorlage);
    - ``all``: every open task of the office.

    Sorted by ``due`` (soonest first, none last), ``-priority``, ``created`` or ``case`` (reference).
    The related case, its type, the team and the assignee come prefetched (four more queries per
    page, however many rows).
    """
    tasks = Task.objects.filter(office=office)
    if view == "mine":
        tasks = tasks.filter(status=Task.Status.OPEN, assignee=user)
    elif view == "team":
        teams = teams_of(user, office)
        unowned = Q(team__isnull=True, assignee__isnull=True)
        tasks = tasks.filter(status=Task.Status.OPEN).filter(Q(team_id__in=teams) | unowned if teams else unowned)
    elif view == "overdue":
        tasks = tasks.filter(status=Task.Status.OPEN, due_at__lt=timezone.now())
    elif view == "waiting":
        tasks = tasks.filter(status=Task.Status.WAITING)
    else:
        tasks = tasks.filter(status=Task.Status.OPEN)
    tasks = _filtered(tasks, filters or WorklistFilters())
    ordering = {
        "-priority": ("-priority", "due_at", "id"),
        "created": ("created_at", "id"),
        "case": ("case__reference", "id"),
    }.get(sort, ("due_at", "id"))
    # Prefetched, not joined: the database sorts and limits task rows alone, then fetches the
    # 50 cases, teams and people of the page (a join would run for every candidate row first).
    return tasks.prefetch_related("case__type_version", "team", "assignee").order_by(*ordering)


def _filtered(tasks: QuerySet[Task], filters: WorklistFilters) -> QuerySet[Task]:
    if filters.case_type:
        tasks = tasks.filter(case__case_type=filters.case_type)
    if filters.team_id is not None:
        tasks = tasks.filter(team_id=filters.team_id)
    if filters.priority is not None:
        tasks = tasks.filter(priority=filters.priority)
    if filters.assignee_id is not None:
        tasks = tasks.filter(assignee_id=filters.assignee_id)
    if filters.unassigned:
        tasks = tasks.filter(assignee__isnull=True)
    if filters.due_before is not None:
        tasks = tasks.filter(due_at__lt=filters.due_before)
    query = filters.query.strip()
    if query:
        tasks = tasks.filter(
            Q(case__reference__startswith="".join(query.split()).upper()) | Q(case__title__icontains=query)
        )
    return tasks


def worklist_counts(*, user: User, office: Office, cap: int = 100) -> dict[str, tuple[int, bool]]:
    """Capped counts of every tab (``(n, more)``), for the tab labels ("100+")."""
    return {view: capped_count(worklist(user=user, office=office, view=view), cap) for view in WORKLIST_VIEWS}


def get_task_for_user(*, user: User, office: Office, task_id: int) -> Task:
    """A task of the active office; 404 for every other office's task. The read is audited."""
    task = get_object_or_404(
        Task.objects.select_related(
            "case", "case__office", "case__subject", "case__type_version", "team", "assignee", "completed_by"
        ),
        office=office,
        pk=task_id,
    )
    audit.record(user, "case.task.read", task.case, office=office, subject=task.case.subject, purpose=task.name)
    return task


def task_questionnaire(task: Task) -> QuestionnaireDefinition | None:
    """The active version of the task's form (``Task.form`` is a form slug), parsed; None when the
    task has no form or its form has no published version."""
    from oegd.forms import selectors as form_selectors
    from oegd.forms.models import FormDefinition

    if not task.form:
        return None
    form = FormDefinition.objects.filter(slug=task.form).first()
    version = form_selectors.active_version(form) if form else None
    return form_selectors.definition_of(version) if version else None


def tasks_of_office(*, office: Office, ids: list[int]) -> QuerySet[Task]:
    """The office's tasks among ``ids`` (others' ids are silently left out)."""
    return Task.objects.filter(office=office, pk__in=ids)


def four_eyes_first_half(task: Task) -> Task | None:
    """The completed task whose completer may not complete ``task`` (Vier-Augen-Prinzip)."""
    if not task.four_eyes_of:
        return None
    return (
        Task.objects.filter(case_id=task.case_id, element_id=task.four_eyes_of, status=Task.Status.DONE)
        .select_related("completed_by")
        .order_by("-completed_at")
        .first()
    )


# --- the case file -------------------------------------------------------------------------------


def subjects_of(case: Case) -> list[CaseSubject]:
    return list(case.subjects.select_related("person", "institution").order_by("id"))


def open_tasks_of(case: Case) -> list[Task]:
    return list(case.tasks.filter(status__in=LIVE).select_related("team", "assignee").order_by("created_at", "id"))


def process_of(case: Case) -> ProcessInstance | None:
    return ProcessInstance.objects.filter(case=case).select_related("definition").first()


def notes_of(case: Case) -> list[Note]:
    return list(case.notes.select_related("author"))


def checklist_of(case: Case) -> list[ChecklistItem]:
    return list(case.checklist.select_related("done_by"))


def get_checklist_item(*, case: Case, item_id: int) -> ChecklistItem:
    return get_object_or_404(ChecklistItem.objects.select_related("case"), case=case, pk=item_id)


def milestones_of(case: Case) -> list[Milestone]:
    return list(case.milestones.select_related("case__type_version").order_by("at", "id"))


def related_cases_of(case: Case) -> list[Case]:
    return list(case.related.filter(office_id=case.office_id).order_by("reference"))


@dataclass(frozen=True)
class ProgressEntry:
    """A progress entry as staff read it."""

    at: datetime
    kind: str
    kind_label: str
    actor: str
    text: str


def progress_entries(case: Case, *, limit: int = 500) -> list[ProgressEntry]:
    """The case's progress entries (Verlauf), oldest first, system codes put into words."""
    entries = list(case.entries.order_by("-at", "-id")[:limit])
    entries.reverse()
    task_names = dict(case.tasks.values_list("element_id", "name"))
    return [
        ProgressEntry(
            at=entry.at,
            kind=entry.kind,
            kind_label=entry.get_kind_display(),
            actor=entry.actor_label,
            text=_entry_text(entry, task_names, case),
        )
        for entry in entries
    ]


def _entry_text(entry: CaseEntry, task_names: dict[str, str], case: Case) -> str:
    code, _sep, detail = entry.code.partition(":")
    task = task_names.get(detail, detail)
    match code:
        case "case.opened":
            return _("Case opened")
        case "case.closed":
            return _("Case closed")
        case "process.started":
            return _("Process started: %(name)s") % {"name": entry.text}
        case "process.completed":
            return _("Process completed")
        case "task.created":
            return _("Task created: %(task)s") % {"task": task}
        case "task.completed":
            return _("Task completed: %(task)s") % {"task": task}
        case "task.withdrawn":
            return _("Task withdrawn by the process: %(task)s") % {"task": task}
        case "task.waiting":
            return _("Task put on hold: %(task)s") % {"task": task}
        case "task.assigned" if entry.text:
            return _("Task %(task)s assigned to %(name)s") % {"task": task, "name": entry.text}
        case "task.assigned":
            return _("Task %(task)s handed back to the team") % {"task": task}
        case "milestone":
            return _("Milestone: %(label)s") % {"label": Milestone(case=case, code=detail).label()}
        case "note.added":
            return _("Note added")
        case "checklist":
            return _("Checklist: %(point)s") % {"point": entry.text}
        case "case.related":
            return _("Linked with case %(reference)s") % {"reference": entry.text}
        case "legal_hold" if entry.text:
            return _("Legal hold: %(reason)s") % {"reason": entry.text}
        case "legal_hold":
            return _("Legal hold released")
        case "case.updated":
            return _("Case details changed: %(fields)s") % {"fields": _changed_fields(entry.text)}
        case "document.created":
            return _("Document filed: %(title)s") % {"title": entry.text}
    return entry.text or entry.code


def _changed_fields(text: str) -> str:
    labels = {
        "priority": _("priority"),
        "team": _("team"),
        "assignee": _("assignee"),
        "due_at": _("deadline"),
    }
    return ", ".join(labels.get(part.strip(), part.strip()) for part in text.split(",") if part.strip())


def citizen_timeline(case: Case) -> list[Milestone]:
    """The milestones the citizen sees, oldest first: those marked visible and, when the case type
    declares its citizen milestones, only those."""
    milestones = case.milestones.filter(citizen_visible=True).select_related("case__type_version").order_by("at", "id")
    declared = case.type_version.visible_milestone_codes if case.type_version else []
    return [milestone for milestone in milestones if not declared or milestone.code in declared]
