"""Writes of case files and their processes. Each one runs in one transaction and is audited.

A case's process advances in three ways: when it starts (`open_case`), when staff complete a
user task (`complete_task`) and when a timer is due (`fire_due_timers`). Each time the stored
workflow state is locked, advanced by the engine, and the worklist rows (`Task`) are brought in
line with the tasks the engine has ready; a failure anywhere rolls all of it back.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from oegd.cases import engine, processes
from oegd.cases.actions import ActionContext, perform
from oegd.cases.models import (
    Case,
    CaseEntry,
    CaseSubject,
    CaseType,
    ChecklistItem,
    Milestone,
    Note,
    Person,
    ProcessDefinition,
    ProcessInstance,
    Tag,
    Task,
)
from oegd.core import audit
from oegd.core.audit import SystemActor
from oegd.core.models import Department, Office, User
from oegd.core.services import DomainError
from oegd.directory.models import Institution

logger = logging.getLogger(__name__)
TIMER_ACTOR = SystemActor("process-timer")


class CaseClosed(DomainError):
    """A closed case takes no further milestones, tasks or changes."""


class TaskAlreadyDone(DomainError):
    """Somebody else completed (or the process withdrew) the task first."""


class FourEyesViolation(DomainError):
    """The same person may not complete both halves of a four-eyes approval (Vier-Augen-Prinzip)."""


def _actor_label(actor: Any) -> str:
    if isinstance(actor, User):
        return actor.full_name or actor.email
    if isinstance(actor, SystemActor):
        return _("System")
    return str(actor)


def add_entry(*, case: Case, actor: Any, kind: str, code: str = "", text: str = "") -> CaseEntry:
    """A progress entry (Verlaufseintrag); the caller's transaction and audit cover it."""
    return CaseEntry.objects.create(
        case=case,
        kind=kind,
        code=code,
        actor=actor if isinstance(actor, User) else None,
        actor_label=_actor_label(actor),
        text=text,
    )


def person_for_account(*, office: Office, user: User) -> Person:
    """The office's person record of an account holder, created on first contact (Personenstamm)."""
    person = Person.objects.filter(office=office, user=user).first()
    if person is None:
        given, _space, family = (user.full_name or user.email).strip().rpartition(" ")
        profile = getattr(user, "citizen_profile", None)
        person = Person.objects.create(
            office=office,
            user=user,
            given_name=given[:100],
            family_name=(family or user.email)[:100],
            email=user.email,
            postal_code=getattr(profile, "postal_code", "") or "",
            place=getattr(profile, "place", "") or "",
        )
    return person


def open_case(
    *,
    actor: Any,
    office: Office,
    case_type: str,
    title: str,
    reference: str,
    subject: User | None = None,
    institution: Institution | None = None,
) -> Case:
    """Open a case (Vorgang anlegen) with its first milestone, "received", its checklist, and start
    the process its case type names (the office's variant if it has one)."""
    type_version = CaseType.objects.filter(slug=case_type, is_current=True).first()
    with transaction.atomic():
        case = Case.objects.create(
            office=office,
            case_type=case_type,
            type_version=type_version,
            title=title[:300],
            reference=reference,
            subject=subject,
        )
        Milestone.objects.create(case=case, code=Milestone.Code.RECEIVED, at=case.opened_at)
        add_entry(case=case, actor=actor, kind=CaseEntry.Kind.INBOX, code="case.opened")
        if subject is not None and subject.kind == User.Kind.CITIZEN:
            CaseSubject.objects.create(
                case=case, role=CaseSubject.Role.APPLICANT, person=person_for_account(office=office, user=subject)
            )
        if institution is not None:  # e.g. the school that sent a §34 notification
            CaseSubject.objects.create(case=case, role=CaseSubject.Role.INSTITUTION, institution=institution)
        if type_version is not None:
            ChecklistItem.objects.bulk_create(
                ChecklistItem(case=case, label=str(label)[:200], position=index)
                for index, label in enumerate(type_version.checklist)
            )
        audit.record(actor, "case.open", case, office=office, subject=subject)
        if type_version is not None and type_version.process_key:
            definition = processes.definition_for(key=type_version.process_key, office=office)
            if definition is not None:
                _start_process(actor=actor, case=case, definition=definition)
    return case


def _process_data(case: Case) -> dict[str, Any]:
    return {"case_reference": case.reference, "case_type": case.case_type, "has_citizen_account": bool(case.subject_id)}


def _runner(case: Case, actor: Any) -> engine.ActionRunner:
    context = ActionContext(case=case, actor=actor)

    def run(name: str, params: dict[str, Any], data: dict[str, Any]) -> Mapping[str, Any] | None:
        return perform(context, name, params)

    return run


def _start_process(*, actor: Any, case: Case, definition: ProcessDefinition) -> ProcessInstance:
    step = engine.start(processes.compiled(definition), data=_process_data(case), perform=_runner(case, actor))
    instance = ProcessInstance(case=case, definition=definition)
    add_entry(case=case, actor=actor, kind=CaseEntry.Kind.SYSTEM, code="process.started", text=definition.name)
    _apply_step(instance, step, actor=actor)
    return instance


def _teams_by_lane(office: Office) -> dict[str, Department]:
    return {department.name: department for department in Department.objects.filter(office=office)}


def _apply_step(instance: ProcessInstance, step: engine.Step, *, actor: Any) -> None:
    """Store the engine's step and bring the case's worklist rows in line with its ready tasks."""
    case = instance.case
    now = timezone.now()
    ready = {task.task_id: task for task in step.ready_tasks}
    live = {task.engine_task_id: task for task in case.tasks.filter(status__in=[Task.Status.OPEN, Task.Status.WAITING])}
    for engine_task_id, task in live.items():
        if engine_task_id not in ready:  # withdrawn by the process, e.g. an escalation timer interrupted it
            task.status = Task.Status.CANCELLED
            task.completed_at = now
            task.save(update_fields=["status", "completed_at"])
            add_entry(case=case, actor=actor, kind=CaseEntry.Kind.SYSTEM, code=f"task.withdrawn:{task.element_id}")
    new = [ready_task for task_id, ready_task in ready.items() if task_id not in live]
    if new:
        teams = _teams_by_lane(case.office)
        Task.objects.bulk_create(
            Task(
                office_id=case.office_id,
                case=case,
                engine_task_id=ready_task.task_id,
                element_id=ready_task.element_id,
                name=ready_task.name[:200],
                lane=ready_task.lane[:100],
                form=ready_task.form[:100],
                four_eyes_of=ready_task.four_eyes_of[:100],
                team=teams.get(ready_task.lane),
                priority=case.priority,
                due_at=ready_task.due_at or case.due_at,
                created_at=now,
            )
            for ready_task in new
        )
        for ready_task in new:
            add_entry(case=case, actor=actor, kind=CaseEntry.Kind.SYSTEM, code=f"task.created:{ready_task.element_id}")
    instance.active_elements = list(step.active_element_ids)
    instance.completed_elements = list(step.completed_element_ids)
    instance.next_timer_at = step.next_timer_at
    if step.completed:
        instance.status = ProcessInstance.Status.COMPLETED
        instance.state = None  # kept for open cases only
        instance.ended_at = now
        add_entry(case=case, actor=actor, kind=CaseEntry.Kind.SYSTEM, code="process.completed")
        case.refresh_from_db(fields=["status"])
        if case.status == Case.Status.OPEN:  # the end of the process is the end of the case
            record_milestone(actor=actor, case=case, code=Milestone.Code.CLOSED)
    else:
        case.refresh_from_db(fields=["status"])
        if case.status == Case.Status.CLOSED:  # closed by an action or by staff: the process stops here
            _stop_process(instance, now)
            _withdraw_open_tasks(case, now)
        else:
            instance.state = step.state
    instance.save()


def _stop_process(instance: ProcessInstance, now: datetime) -> None:
    instance.status = ProcessInstance.Status.CANCELLED
    instance.state = None
    instance.next_timer_at = None
    instance.ended_at = now


def _withdraw_open_tasks(case: Case, now: datetime) -> None:
    Task.objects.filter(case=case, status__in=[Task.Status.OPEN, Task.Status.WAITING]).update(
        status=Task.Status.CANCELLED, completed_at=now
    )


def _task_variables(answers: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answers.items() if isinstance(key, str) and key.isidentifier()}


def complete_task(*, actor: User, task: Task, variables: Mapping[str, Any], answers_json: str = "") -> Task:
    """Complete a user task with its form's answers; the process runs on to its next wait.

    Two people completing the same task: the row lock lets one win, the other gets
    ``TaskAlreadyDone``. A four-eyes task refuses the person who did the first half.
    """
    with transaction.atomic():
        task = Task.objects.select_for_update().select_related("case", "case__office").get(pk=task.pk)
        if task.status not in (Task.Status.OPEN, Task.Status.WAITING):
            who = task.completed_by.full_name if task.completed_by else _("the process")
            raise TaskAlreadyDone(_("This task was already completed by %(who)s. Nothing was changed.") % {"who": who})
        case = task.case
        if case.status == Case.Status.CLOSED:
            raise CaseClosed(_("This case is closed."))
        if task.four_eyes_of:
            first = (
                Task.objects.filter(case=case, element_id=task.four_eyes_of, status=Task.Status.DONE)
                .order_by("-completed_at")
                .first()
            )
            if first is not None and first.completed_by_id == actor.pk:
                raise FourEyesViolation(
                    _("Four-eyes principle: %(task)s must be completed by someone other than who did %(first)s.")
                    % {"task": task.name, "first": first.name}
                )
        instance = ProcessInstance.objects.select_for_update().get(case=case)
        process = processes.compiled(instance.definition)
        spec = process.info.user_task(task.element_id)
        if spec is not None and spec.milestone:
            # the task's milestone comes before whatever the process does next
            record_milestone(actor=actor, case=case, code=spec.milestone)
        # Done before the engine runs on, so the actions it reaches (a letter quoting this task's
        # answers) see it; any failure below rolls this back too.
        task.status = Task.Status.DONE
        task.completed_at = timezone.now()
        task.completed_by = actor
        task.answers = answers_json or json.dumps(_task_variables(variables), default=str)
        task.save(update_fields=["status", "completed_at", "completed_by", "answers"])
        add_entry(case=case, actor=actor, kind=CaseEntry.Kind.SYSTEM, code=f"task.completed:{task.element_id}")
        try:
            step = engine.complete_task(
                process,
                state=instance.state or {},
                task_id=task.engine_task_id,
                data=_task_variables(variables),
                perform=_runner(case, actor),
            )
        except engine.TaskNotReady as exc:
            raise TaskAlreadyDone(_("This task is no longer open. Nothing was changed.")) from exc
        _apply_step(instance, step, actor=actor)
        audit.record(actor, "case.task.complete", case, office=case.office, subject=case.subject, purpose=task.name)
    return task


def fire_due_timers(*, now: datetime | None = None, limit: int = 500) -> int:
    """Fire the process timers that are due (deadlines, reminders, escalations); returns how many
    processes moved. Each process advances in its own transaction; one failing is logged and
    retried on the next run, the others go on."""
    now = now or timezone.now()
    due = list(
        ProcessInstance.objects.filter(status=ProcessInstance.Status.RUNNING, next_timer_at__lte=now)
        .order_by("next_timer_at")
        .values_list("pk", flat=True)[:limit]
    )
    moved = 0
    for pk in due:
        try:
            with transaction.atomic():
                instance = (
                    ProcessInstance.objects.select_for_update(skip_locked=True)
                    .select_related("case", "case__office", "definition")
                    .filter(pk=pk, status=ProcessInstance.Status.RUNNING, next_timer_at__lte=now)
                    .first()
                )
                if instance is None:
                    continue
                step = engine.fire_due_timers(
                    processes.compiled(instance.definition),
                    state=instance.state or {},
                    perform=_runner(instance.case, TIMER_ACTOR),
                    now=now,
                )
                _apply_step(instance, step, actor=TIMER_ACTOR)
                audit.record(TIMER_ACTOR, "case.process.timer", instance.case, office=instance.case.office)
                moved += 1
        except Exception:  # noqa: BLE001 - one broken process must not stop the others' timers
            logger.exception("process timer of instance %s failed", pk)
    return moved


def record_milestone(*, actor: Any, case: Case, code: str, citizen_visible: bool = True) -> Milestone:
    """Add a step to the case's timeline; "closed" also closes the case (Abschluss)."""
    declared = case.type_version.visible_milestone_codes if case.type_version else []
    if code not in Milestone.Code.values and code not in declared:
        raise DomainError(_("Unknown milestone."))
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).select_related("type_version").get(pk=case.pk)
        if case.status == Case.Status.CLOSED:
            raise CaseClosed(_("This case is closed."))
        milestone = Milestone.objects.create(case=case, code=code, citizen_visible=citizen_visible)
        add_entry(case=case, actor=actor, kind=CaseEntry.Kind.SYSTEM, code=f"milestone:{code}")
        if code == Milestone.Code.CLOSED:
            _close(case, actor)
        audit.record(actor, f"case.milestone.{code}", case, office=case.office, subject=case.subject)
    return milestone


def _close(case: Case, actor: Any) -> None:
    case.status = Case.Status.CLOSED
    case.closed_at = timezone.now()
    days = case.type_version.retention_days if case.type_version else None
    case.retention_due_at = case.closed_at + timedelta(days=days) if days is not None else None
    case.save(update_fields=["status", "closed_at", "retention_due_at", "updated_at"])
    _withdraw_open_tasks(case, case.closed_at)
    # A process still running stops with its case (no timers fire for a closed case); a process
    # that is ending right now saves its own end afterwards.
    instance = ProcessInstance.objects.filter(case=case, status=ProcessInstance.Status.RUNNING).first()
    if instance is not None:
        _stop_process(instance, case.closed_at)
        instance.save(update_fields=["status", "state", "next_timer_at", "ended_at"])
    add_entry(case=case, actor=actor, kind=CaseEntry.Kind.SYSTEM, code="case.closed")


def close_case(*, actor: Any, case: Case) -> Case:
    """Close a case with the citizen's "completed" milestone; open tasks are withdrawn."""
    record_milestone(actor=actor, case=case, code=Milestone.Code.CLOSED)
    case.refresh_from_db()
    return case


def _open_case_locked(case: Case) -> Case:
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status == Case.Status.CLOSED:
        raise CaseClosed(_("This case is closed."))
    return case


def assign_tasks(*, actor: User, office: Office, tasks: Iterable[Task], assignee: User | None) -> int:
    """Assign tasks (bulk) to a staff member of the office, or back to the team (``None``)."""
    if assignee is not None and not assignee.memberships.filter(office=office).exists():
        raise DomainError(_("This person does not work for this office."))
    ids = [task.pk for task in tasks]
    with transaction.atomic():
        rows = list(
            Task.objects.select_for_update()
            .select_related("case")
            .filter(pk__in=ids, office=office, status__in=[Task.Status.OPEN, Task.Status.WAITING])
        )
        now = timezone.now()
        for task in rows:
            task.assignee = assignee
            task.assigned_at = now
        Task.objects.bulk_update(rows, ["assignee", "assigned_at"])
        for task in rows:
            add_entry(
                case=task.case,
                actor=actor,
                kind=CaseEntry.Kind.SYSTEM,
                code=f"task.assigned:{task.element_id}",
                text=assignee.full_name if assignee else "",
            )
            audit.record(actor, "case.task.assign", task.case, office=office, purpose=task.name)
    return len(rows)


def put_task_on_hold(*, actor: User, task: Task, until: datetime) -> Task:
    """Put a task aside until a date (Wiedervorlage); it shows in the "waiting" worklist till then."""
    if until <= timezone.now():
        raise DomainError(_("The date must be in the future."))
    with transaction.atomic():
        task = Task.objects.select_for_update().select_related("case").get(pk=task.pk)
        if task.status not in (Task.Status.OPEN, Task.Status.WAITING):
            raise TaskAlreadyDone(_("This task is no longer open. Nothing was changed."))
        task.status = Task.Status.WAITING
        task.waiting_until = until
        task.save(update_fields=["status", "waiting_until"])
        add_entry(case=task.case, actor=actor, kind=CaseEntry.Kind.SYSTEM, code=f"task.waiting:{task.element_id}")
        audit.record(actor, "case.task.hold", task.case, office=task.case.office, purpose=task.name)
    return task


def resume_waiting_tasks(*, now: datetime | None = None) -> int:
    """Tasks whose on-hold date has come back to the open worklists."""
    return Task.objects.filter(status=Task.Status.WAITING, waiting_until__lte=now or timezone.now()).update(
        status=Task.Status.OPEN, waiting_until=None
    )


def update_case(
    *,
    actor: User,
    case: Case,
    priority: int | None = None,
    team: Department | None = None,
    assignee: User | None = None,
    due_at: datetime | None = None,
    clear_due: bool = False,
) -> Case:
    """Change a case's priority, team, assignee or deadline; a deadline in the past is refused."""
    if due_at is not None and due_at <= timezone.now():
        raise DomainError(_("The deadline must be in the future."))
    if team is not None and team.office_id != case.office_id:
        raise DomainError(_("This team belongs to another office."))
    if assignee is not None and not assignee.memberships.filter(office_id=case.office_id).exists():
        raise DomainError(_("This person does not work for this office."))
    with transaction.atomic():
        case = _open_case_locked(case)
        changed = []
        for field, value in (("priority", priority), ("team", team), ("assignee", assignee), ("due_at", due_at)):
            if value is not None and getattr(case, field) != value:
                setattr(case, field, value)
                changed.append(field)
        if clear_due and case.due_at is not None:
            case.due_at = None
            changed.append("due_at")
        if changed:
            case.save(update_fields=[*changed, "updated_at"])
            if "priority" in changed:
                Task.objects.filter(case=case, status=Task.Status.OPEN).update(priority=case.priority)
            add_entry(case=case, actor=actor, kind=CaseEntry.Kind.MANUAL, code="case.updated", text=", ".join(changed))
            audit.record(
                actor, "case.update", case, office=case.office, subject=case.subject, purpose=",".join(changed)
            )
    return case


def add_note(*, actor: User, case: Case, text: str) -> Note:
    """A staff note (Aktenvermerk), encrypted at rest and never shown to the citizen."""
    text = text.strip()
    if not text:
        raise DomainError(_("Please write the note."))
    with transaction.atomic():
        note = Note.objects.create(case=case, author=actor, text=text[:10000])
        add_entry(case=case, actor=actor, kind=CaseEntry.Kind.MANUAL, code="note.added")
        audit.record(actor, "case.note.add", case, office=case.office, subject=case.subject)
    return note


def add_progress_entry(*, actor: User, case: Case, text: str) -> CaseEntry:
    """A manual progress entry, e.g. a phone call (Telefonvermerk)."""
    text = text.strip()
    if not text:
        raise DomainError(_("Please write the entry."))
    with transaction.atomic():
        entry = add_entry(case=case, actor=actor, kind=CaseEntry.Kind.MANUAL, code="entry.manual", text=text[:10000])
        audit.record(actor, "case.entry.add", case, office=case.office, subject=case.subject)
    return entry


def tick_checklist_item(*, actor: User, item: ChecklistItem, done: bool) -> ChecklistItem:
    """Tick (or untick) a point of the case's checklist."""
    with transaction.atomic():
        _open_case_locked(item.case)
        item.done_at = timezone.now() if done else None
        item.done_by = actor if done else None
        item.save(update_fields=["done_at", "done_by"])
        add_entry(case=item.case, actor=actor, kind=CaseEntry.Kind.MANUAL, code="checklist", text=item.label)
        audit.record(actor, "case.checklist", item.case, office=item.case.office)
    return item


def add_checklist_item(*, actor: User, case: Case, label: str) -> ChecklistItem:
    label = label.strip()
    if not label:
        raise DomainError(_("Please name the point."))
    with transaction.atomic():
        case = _open_case_locked(case)
        position = case.checklist.count()
        item = ChecklistItem.objects.create(case=case, label=label[:200], position=position)
        audit.record(actor, "case.checklist.add", case, office=case.office)
    return item


def set_tags(*, actor: User, case: Case, names: Iterable[str]) -> list[Tag]:
    """Replace the case's tags by ``names`` (new tags are created for the office)."""
    cleaned = sorted({name.strip()[:50] for name in names if name.strip()})
    with transaction.atomic():
        tags = [Tag.objects.get_or_create(office=case.office, name=name)[0] for name in cleaned]
        case.tags.set(tags)
        audit.record(actor, "case.tags", case, office=case.office, purpose=",".join(cleaned)[:300])
    return tags


def relate_cases(*, actor: User, case: Case, other: Case) -> None:
    """Link two cases of the same office (e.g. siblings, an outbreak, a follow-up)."""
    if other.pk == case.pk:
        raise DomainError(_("A case cannot be related to itself."))
    if other.office_id != case.office_id:
        raise DomainError(_("No case with this reference."))
    with transaction.atomic():
        case.related.add(other)
        add_entry(case=case, actor=actor, kind=CaseEntry.Kind.MANUAL, code="case.related", text=other.reference)
        add_entry(case=other, actor=actor, kind=CaseEntry.Kind.MANUAL, code="case.related", text=case.reference)
        audit.record(actor, "case.relate", case, office=case.office, purpose=other.reference)


def set_legal_hold(*, actor: User, case: Case, hold: bool, reason: str = "") -> Case:
    """Keep a case beyond its retention period (e.g. a court case) or release it again."""
    if hold and not reason.strip():
        raise DomainError(_("Please give the reason for the legal hold."))
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        case.legal_hold = hold
        case.save(update_fields=["legal_hold", "updated_at"])
        add_entry(case=case, actor=actor, kind=CaseEntry.Kind.MANUAL, code="legal_hold", text=reason.strip()[:500])
        audit.record(actor, "case.legal_hold.set" if hold else "case.legal_hold.release", case, office=case.office)
    return case


def publish_process_definition(
    *,
    actor: User,
    key: str,
    name: str,
    bpmn_xml: str,
    dmn_xml: str = "",
    office: Office | None = None,
    comment: str = "",
) -> ProcessDefinition:
    """Check and publish a new version of a process, in the state library (``office`` None) or as
    an office variant. A diagram that does not compile is refused with the problem named; new
    cases start on the new version, running cases keep theirs."""
    processes.compile_definition(bpmn_xml, dmn_xml)  # raises engine.InvalidProcess
    with transaction.atomic():
        latest = (
            ProcessDefinition.objects.select_for_update().filter(key=key, office=office).order_by("-version").first()
        )
        definition = ProcessDefinition.objects.create(
            key=key,
            office=office,
            version=(latest.version + 1) if latest else 1,
            name=name[:200],
            bpmn_xml=bpmn_xml,
            dmn_xml=dmn_xml,
            created_by=actor,
            comment=comment[:300],
        )
        audit.record(actor, "process.publish", definition, office=office, purpose=f"{key} v{definition.version}")
    return definition
