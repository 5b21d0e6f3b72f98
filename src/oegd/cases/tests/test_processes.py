"""Cases running through their processes: tasks in worklists, four eyes, timers with frozen time,
versions, and refusals that leave nothing half-done."""

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from oegd.cases import actions, engine, services
from oegd.cases.models import Case, CaseType, ProcessInstance, Task
from oegd.core.models import AuditEvent, Department, Membership

pytestmark = pytest.mark.django_db

DIAGRAM = (Path(__file__).parent / "bpmn" / "four_eyes_instruction.bpmn").read_text()


@pytest.fixture
def letters(monkeypatch):
    """generate_letter records its calls instead of rendering a PDF (documents have their own tests)."""
    calls = []

    def fake(context, params):
        calls.append((context.case.reference, dict(params)))
        return {"last_letter": "fake"}

    monkeypatch.setitem(actions.ACTIONS, "generate_letter", fake)
    return calls


@pytest.fixture
def instruction(cast, letters):
    clerks = Department.objects.create(office=cast.office_a, name="Sachbearbeitung")
    physicians = Department.objects.create(office=cast.office_a, name="Ärztlicher Dienst")
    Membership.objects.filter(user=cast.clerk_a).update(department=clerks)
    Membership.objects.filter(user=cast.physician_a).update(department=physicians)
    definition = services.publish_process_definition(
        actor=cast.admin_a, key="instruction", name="Belehrung", bpmn_xml=DIAGRAM
    )
    CaseType.objects.create(slug="ifsg43", name="Belehrung §43", process_key="instruction", retention_days=3650)
    return definition


def open_instruction(cast, reference="ABCD-EFGH-J"):
    return services.open_case(
        actor=cast.citizen,
        office=cast.office_a,
        case_type="ifsg43",
        title="Belehrung",
        reference=reference,
        subject=cast.citizen,
    )


def open_tasks(case):
    return list(case.tasks.filter(status=Task.Status.OPEN).values_list("element_id", flat=True))


def test_a_case_runs_through_its_process_to_closure(cast, instruction, letters):
    case = open_instruction(cast)
    task = case.tasks.get()
    assert (task.element_id, task.lane, task.team.name, task.form) == (
        "check_documents",
        "Sachbearbeitung",
        "Sachbearbeitung",
        "instruction-document-check",
    )

    services.complete_task(actor=cast.clerk_a, task=task, variables={"documents_complete": False})
    assert open_tasks(case) == ["request_documents"]
    services.complete_task(actor=cast.clerk_a, task=case.tasks.get(element_id="request_documents"), variables={})
    again = case.tasks.get(element_id="check_documents", status=Task.Status.OPEN)
    services.complete_task(actor=cast.clerk_a, task=again, variables={"documents_complete": True})
    approval = case.tasks.get(element_id="approve_certificate")
    assert approval.team.name == "Ärztlicher Dienst" and approval.four_eyes_of == "check_documents"

    services.complete_task(actor=cast.physician_a, task=approval, variables={"approved": True})

    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED and case.retention_due_at is not None
    assert letters == [(case.reference, {"template": "instruction-certificate", "send_to_citizen": True})]
    assert [m.code for m in case.milestones.all()] == [
        "received",
        "in_review",
        "information_requested",
        "in_review",
        "decision_made",
        "closed",
    ]
    instance = ProcessInstance.objects.get(case=case)
    assert instance.status == ProcessInstance.Status.COMPLETED and instance.state is None
    assert "end_certificate_sent" in instance.completed_elements
    # controlling: every task has its timestamps and who did it
    done = case.tasks.filter(status=Task.Status.DONE)
    assert done.count() == 4 and all(t.completed_at >= t.created_at and t.completed_by for t in done)
    assert AuditEvent.objects.filter(action="case.task.complete", object_id=str(case.pk)).count() == 4


def test_four_eyes_refuses_the_person_who_did_the_first_half(cast, instruction):
    case = open_instruction(cast)
    # the physician checks the documents, so someone else must approve
    services.complete_task(actor=cast.physician_a, task=case.tasks.get(), variables={"documents_complete": True})
    approval = case.tasks.get(element_id="approve_certificate")
    state_before = ProcessInstance.objects.get(case=case).state

    with pytest.raises(services.FourEyesViolation):
        services.complete_task(actor=cast.physician_a, task=approval, variables={})

    approval.refresh_from_db()
    assert approval.status == Task.Status.OPEN and approval.completed_by is None
    assert ProcessInstance.objects.get(case=case).state == state_before
    services.complete_task(actor=cast.admin_a, task=approval, variables={})
    assert Case.objects.get(pk=case.pk).status == Case.Status.CLOSED


def test_a_missing_variable_at_a_gateway_changes_nothing(cast, instruction):
    case = open_instruction(cast)
    task = case.tasks.get()
    state_before = ProcessInstance.objects.get(case=case).state
    entries_before = case.entries.count()

    with pytest.raises(engine.MissingVariable):
        services.complete_task(actor=cast.clerk_a, task=task, variables={"something_else": True})

    task.refresh_from_db()
    assert task.status == Task.Status.OPEN and task.completed_at is None
    assert ProcessInstance.objects.get(case=case).state == state_before
    assert case.entries.count() == entries_before
    assert [m.code for m in case.milestones.all()] == ["received"]


def test_a_task_completed_twice_is_refused_the_second_time(cast, instruction):
    case = open_instruction(cast)
    task = case.tasks.get()
    services.complete_task(actor=cast.clerk_a, task=task, variables={"documents_complete": True})
    with pytest.raises(services.TaskAlreadyDone, match="already completed"):
        services.complete_task(actor=cast.admin_a, task=task, variables={"documents_complete": False})
    assert open_tasks(case) == ["approve_certificate"]


def test_the_approval_deadline_escalates_after_14_days_and_not_before(cast, instruction):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        case = open_instruction(cast)
        services.complete_task(actor=cast.clerk_a, task=case.tasks.get(), variables={"documents_complete": True})
    approval = case.tasks.get(element_id="approve_certificate")
    assert approval.due_at == start + timedelta(days=14)
    assert ProcessInstance.objects.get(case=case).next_timer_at == approval.due_at

    with time_machine.travel(start + timedelta(days=13, hours=23), tick=False):
        assert services.fire_due_timers() == 0
    assert open_tasks(case) == ["approve_certificate"]

    with time_machine.travel(start + timedelta(days=14, minutes=1), tick=False):
        assert services.fire_due_timers() == 1
        assert services.fire_due_timers() == 0  # idempotent: nothing is due twice
    approval.refresh_from_db()
    assert approval.status == Task.Status.CANCELLED
    assert open_tasks(case) == ["escalate_approval"]
    assert case.entries.filter(code="task.withdrawn:approve_certificate").exists()
    assert AuditEvent.objects.filter(action="case.process.timer", object_id=str(case.pk)).count() == 1


def test_new_versions_apply_to_new_cases_running_cases_keep_theirs(cast, instruction):
    running = open_instruction(cast, reference="AAAA-AAAA-A")
    renamed = DIAGRAM.replace('name="Unterlagen prüfen"', 'name="Unterlagen sichten"')
    v2 = services.publish_process_definition(actor=cast.admin_a, key="instruction", name="Belehrung", bpmn_xml=renamed)
    newer = open_instruction(cast, reference="BBBB-BBBB-B")

    assert (instruction.version, v2.version) == (1, 2)
    assert running.process.definition == instruction and newer.process.definition == v2
    assert running.tasks.get().name == "Unterlagen prüfen" and newer.tasks.get().name == "Unterlagen sichten"
    services.complete_task(actor=cast.clerk_a, task=running.tasks.get(), variables={"documents_complete": True})
    assert open_tasks(running) == ["approve_certificate"]


def test_an_office_variant_applies_to_its_office_only(cast, instruction):
    variant = DIAGRAM.replace('name="Unterlagen prüfen"', 'name="Unterlagen prüfen (Musterstadt)"')
    services.publish_process_definition(
        actor=cast.admin_a, key="instruction", name="Belehrung", bpmn_xml=variant, office=cast.office_a
    )
    ours = open_instruction(cast, reference="CCCC-CCCC-C")
    theirs = services.open_case(
        actor=cast.citizen, office=cast.office_b, case_type="ifsg43", title="B", reference="DDDD-DDDD-D"
    )
    assert ours.tasks.get().name == "Unterlagen prüfen (Musterstadt)"
    assert theirs.tasks.get().name == "Unterlagen prüfen"
    assert theirs.tasks.get().team is None  # no such team in the other office: the whole office sees it


def test_a_bad_diagram_is_refused_and_nothing_is_published(cast):
    scripted = DIAGRAM.replace('<bpmn:userTask id="request_documents"', '<bpmn:scriptTask id="request_documents"')
    scripted = scripted.replace(
        '</bpmn:userTask>\n    <bpmn:userTask id="approve', '</bpmn:scriptTask>\n    <bpmn:userTask id="approve'
    )
    with pytest.raises(engine.InvalidProcess, match="(?i)script"):
        services.publish_process_definition(actor=cast.admin_a, key="x", name="X", bpmn_xml=scripted)
    with pytest.raises(engine.InvalidProcess):
        services.publish_process_definition(actor=cast.admin_a, key="x", name="X", bpmn_xml="<not-bpmn")
    from oegd.cases.models import ProcessDefinition

    assert not ProcessDefinition.objects.filter(key="x").exists()


def test_a_past_deadline_is_refused(cast, instruction):
    case = open_instruction(cast)
    with pytest.raises(services.DomainError):
        services.update_case(actor=cast.clerk_a, case=case, due_at=timezone.now() - timedelta(hours=1))
    case.refresh_from_db()
    assert case.due_at is None


def test_closing_a_case_by_hand_stops_its_process_and_timers(cast, instruction):
    case = open_instruction(cast)
    services.complete_task(actor=cast.clerk_a, task=case.tasks.get(), variables={"documents_complete": True})
    assert ProcessInstance.objects.get(case=case).next_timer_at is not None

    services.close_case(actor=cast.admin_a, case=case)

    instance = ProcessInstance.objects.get(case=case)
    assert instance.status == ProcessInstance.Status.CANCELLED and instance.state is None
    assert instance.next_timer_at is None
    assert open_tasks(case) == []
    with time_machine.travel(timezone.now() + timedelta(days=30), tick=False):
        assert services.fire_due_timers() == 0


def test_the_periodic_job_fires_due_timers(cast, instruction):
    from oegd.cases.tasks import fire_process_timers

    case = open_instruction(cast)
    services.complete_task(actor=cast.clerk_a, task=case.tasks.get(), variables={"documents_complete": True})
    with time_machine.travel(timezone.now() + timedelta(days=15), tick=False):
        result = fire_process_timers.enqueue()
    assert result.return_value == 1
    assert open_tasks(case) == ["escalate_approval"]


def test_cycle_times_per_step_are_shown_on_the_process_page(cast, instruction, client):
    from oegd.cases.controlling import step_cycle_times
    from oegd.core.tests.factories import login_staff

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        case = open_instruction(cast)
    with time_machine.travel(start + timedelta(hours=3), tick=False):
        services.complete_task(actor=cast.clerk_a, task=case.tasks.get(), variables={"documents_complete": True})

    figures = step_cycle_times(office=cast.office_a, process_key="instruction")
    assert [(f.element_id, f.completed, f.average) for f in figures] == [("check_documents", 1, timedelta(hours=3))]
    login_staff(client, cast.admin_a, cast.office_a)
    page = client.get("/staff/processes/library/instruction/", headers={"accept-language": "en"}).content.decode()
    assert "Cycle times per step" in page and "Unterlagen prüfen" in page and "3 h 0 min" in page


def test_one_broken_process_does_not_stop_the_other_timers(cast, instruction):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        broken = open_instruction(cast, reference="EEEE-EEEE-E")
        fine = open_instruction(cast, reference="FFFF-FFFF-F")
        for case in (broken, fine):
            services.complete_task(actor=cast.clerk_a, task=case.tasks.get(), variables={"documents_complete": True})
    ProcessInstance.objects.filter(case=broken).update(state={"not": "a workflow"})

    with time_machine.travel(start + timedelta(days=15), tick=False):
        assert services.fire_due_timers() == 1

    assert open_tasks(fine) == ["escalate_approval"]
    assert open_tasks(broken) == ["approve_certificate"]  # unchanged, retried on the next run
    assert ProcessInstance.objects.get(case=broken).next_timer_at is not None
