"""The demo processes of Musterland: the diagrams compile and can be drawn, their task forms, letters
and milestones exist, and every process runs through the services to its end, timers included."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from fhir.resources.R4B.questionnaire import Questionnaire
from lxml import etree
from pypdf import PdfReader

from oegd.appointments.models import Invitation
from oegd.cases import engine, services
from oegd.cases.actions import known_actions
from oegd.cases.documents import document_bytes, template_problems
from oegd.cases.models import Case, CaseType, Document, DocumentTemplate, ProcessDefinition, ProcessInstance, Task
from oegd.cases.selectors import citizen_timeline
from oegd.core.audit import SystemActor
from oegd.core.models import Department, Membership, Office, User
from oegd.demo.case_types import (
    CASE_TYPES,
    DEPARTMENTS,
    LANGUAGES,
    LETTERS,
    PROCESSES,
    STAFF_DEPARTMENTS,
    TASK_FORMS,
)
from oegd.demo.data import OFFICES
from oegd.forms.models import FormDefinition
from oegd.forms.questionnaire import load_questionnaire
from oegd.forms.validation import validate_response

DEMO = Path(__file__).resolve().parent.parent
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
FLOW_NODES = ("startEvent", "endEvent", "userTask", "serviceTask", "exclusiveGateway", "boundaryEvent",
              "intermediateCatchEvent")  # fmt: skip
DIAGRAMS = sorted(filename for filename, _name in PROCESSES.values())
INTAKE = SystemActor("forms")


def diagram(filename: str) -> etree._Element:
    return etree.fromstring((DEMO / "processes" / filename).read_bytes())


def compiled(filename: str) -> engine.CompiledProcess:
    return engine.compile_process((DEMO / "processes" / filename).read_text(), known_actions=known_actions())


def operator_params(tree: etree._Element, action: str) -> list[dict[str, str]]:
    found = []
    for operator in tree.iterfind(".//spiffworkflow:serviceTaskOperator", NS):
        if operator.get("id") == action:
            found.append({p.get("id"): p.get("value") for p in operator.iterfind(".//spiffworkflow:parameter", NS)})
    return found


def raw_form(slug: str) -> dict:
    return json.loads((DEMO / "questionnaires" / f"{slug}.json").read_text(encoding="utf-8"))


def raw_items(items: list[dict]) -> dict[str, dict]:
    found = {}
    for entry in items:
        found[entry["linkId"]] = entry
        found.update(raw_items(entry.get("item") or []))
    return found


# --- the diagrams and what they refer to ----------------------------------------------------------


@pytest.mark.parametrize("filename", DIAGRAMS)
def test_diagram_compiles_with_named_user_tasks_in_known_lanes_and_forms(filename):
    process = compiled(filename)
    assert process.info.user_tasks
    teams = set(DEPARTMENTS) | {name for office in OFFICES for name in office["departments"]}
    for task in process.info.user_tasks:
        assert task.name and task.lane in teams, task
        assert task.form == "" or task.form in TASK_FORMS, task
        if task.four_eyes_of:
            assert process.info.user_task(task.four_eyes_of) is not None
    assert process.info.actions <= known_actions()


@pytest.mark.parametrize("filename", DIAGRAMS)
def test_diagram_can_be_drawn_every_element_has_its_place(filename):
    """bpmn-js needs a shape for each element and an edge with waypoints for each flow; the
    hand-made layout keeps shapes apart and inside their lane."""
    tree = diagram(filename)
    shapes = {
        shape.get("bpmnElement"): shape.find("dc:Bounds", NS) for shape in tree.iterfind(".//bpmndi:BPMNShape", NS)
    }
    edges = {edge.get("bpmnElement"): edge for edge in tree.iterfind(".//bpmndi:BPMNEdge", NS)}

    def box(element_id: str) -> tuple[float, float, float, float]:
        bounds = shapes[element_id]
        x, y = float(bounds.get("x")), float(bounds.get("y"))
        return x, y, x + float(bounds.get("width")), y + float(bounds.get("height"))

    nodes = [node for tag in FLOW_NODES for node in tree.iterfind(f".//bpmn:{tag}", NS)]
    assert {node.get("id") for node in nodes} <= set(shapes)
    participant = tree.find(".//bpmn:participant", NS)
    assert participant.get("id") in shapes
    lanes = tree.findall(".//bpmn:lane", NS)
    for lane in lanes:
        lx1, ly1, lx2, ly2 = box(lane.get("id"))
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            x1, y1, x2, y2 = box(ref.text)
            assert lx1 <= x1 and x2 <= lx2 and ly1 <= y1 and y2 <= ly2, (lane.get("name"), ref.text)
    assert {ref.text for lane in lanes for ref in lane.iterfind("bpmn:flowNodeRef", NS)} == {
        node.get("id") for node in nodes
    }
    placed = [(node.get("id"), box(node.get("id"))) for node in nodes if node.tag != f"{{{NS['bpmn']}}}boundaryEvent"]
    for index, (first, (ax1, ay1, ax2, ay2)) in enumerate(placed):
        for second, (bx1, by1, bx2, by2) in placed[index + 1 :]:
            assert ax2 <= bx1 or bx2 <= ax1 or ay2 <= by1 or by2 <= ay1, f"{first} overlaps {second}"
    for flow in tree.iterfind(".//bpmn:sequenceFlow", NS):
        points = [(float(p.get("x")), float(p.get("y"))) for p in edges[flow.get("id")].iterfind("di:waypoint", NS)]
        assert len(points) >= 2
        for (x, y), end in ((points[0], flow.get("sourceRef")), (points[-1], flow.get("targetRef"))):
            x1, y1, x2, y2 = box(end)
            assert x1 <= x <= x2 and y1 <= y <= y2, (flow.get("id"), end)
        for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
            assert x1 == x2 or y1 == y2, f"{flow.get('id')} is not drawn with right angles"


def test_each_case_type_names_a_demo_process_and_declares_the_milestones_its_process_sets():
    assert {spec["process_key"] for spec in CASE_TYPES} == set(PROCESSES)
    for spec in CASE_TYPES:
        declared = [milestone["code"] for milestone in spec["milestones"]]
        assert declared[0] == "received" and declared[-1] == "closed"
        for milestone in spec["milestones"]:
            assert set(milestone["labels"]) == set(LANGUAGES), (spec["slug"], milestone["code"])
            assert all(label.strip() for label in milestone["labels"].values())
        tree = diagram(PROCESSES[spec["process_key"]][0])
        codes = {json.loads(params["code"].replace("'", '"')) for params in operator_params(tree, "set_milestone")}
        assert codes <= set(declared), spec["slug"]
        assert spec["checklist"] and spec["filing_code"]
        assert spec["retention_days"] and spec["retention_action"] in CaseType.RetentionAction.values


def test_every_task_form_is_fhir_and_gives_python_variable_names():
    used = {task.form for filename in DIAGRAMS for task in compiled(filename).info.user_tasks if task.form}
    assert used == set(TASK_FORMS)
    for slug in TASK_FORMS:
        raw = raw_form(slug)
        assert Questionnaire.model_validate(raw).status == "active"
        definition = load_questionnaire(raw)
        assert definition.url.endswith(f"/Questionnaire/{slug}")
        questions = [item for item in definition.walk() if item.is_question]
        assert questions and all(item.link_id.isidentifier() for item in questions), slug


def test_every_letter_the_processes_write_has_a_valid_template():
    keys = set()
    for filename in DIAGRAMS:
        for params in operator_params(diagram(filename), "generate_letter"):
            keys.add(json.loads(params["template"].replace("'", '"')))
    assert keys == set(LETTERS)
    for filename, _name in LETTERS.values():
        assert template_problems((DEMO / "letters" / filename).read_text(encoding="utf-8")) == []


def test_invitations_name_the_demo_appointment_types():
    from oegd.demo.appointments import TYPES

    slugs = {spec["slug"] for spec in TYPES}
    (ifsg43,) = operator_params(diagram("ifsg43-instruction.bpmn"), "invite_to_appointment")
    assert ifsg43["type"] == "'belehrung-43'" and "belehrung-43" in slugs
    triage = raw_items(raw_form("task-triage")["item"])["appointment_type"]
    assert {option["valueCoding"]["code"] for option in triage["answerOption"]} <= slugs


# --- loaded into the database --------------------------------------------------------------------


@pytest.fixture
def demo(db, settings, tmp_path, django_capture_on_commit_callbacks):
    from oegd.demo.data import load_demo

    settings.MEDIA_ROOT = tmp_path
    settings.SITE_URL = "https://portal.example"
    load_demo()
    mail.outbox.clear()

    def user(email: str) -> User:
        return User.objects.get(email=email)

    def open_case(case_type: str, subject: User | None = None, reference: str = "DEMO-0001-A") -> Case:
        with django_capture_on_commit_callbacks(execute=True):
            return services.open_case(
                actor=INTAKE,
                office=office,
                case_type=case_type,
                title=f"Demo {case_type}",
                reference=reference,
                subject=subject,
            )

    def complete(case: Case, element_id: str, actor: User, **values: Any) -> Task:
        task = case.tasks.get(element_id=element_id, status=Task.Status.OPEN)
        variables, answers_json = filled(task.form, values)
        with django_capture_on_commit_callbacks(execute=True):
            return services.complete_task(actor=actor, task=task, variables=variables, answers_json=answers_json)

    def fire_timers(at) -> int:
        with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
            return services.fire_due_timers()

    office = Office.objects.get(slug="musterstadt")
    return SimpleNamespace(
        office=office,
        clerk=user("sachbearbeitung@musterstadt.example"),
        physician=user("aerztin@musterstadt.example"),
        head=user("admin@musterstadt.example"),
        specialist=user("fachkraft@musterstadt.example"),
        colleague=user("admin@beispielkreis.example"),
        citizen=user("buerger@example.org"),
        open_case=open_case,
        complete=complete,
        fire_timers=fire_timers,
    )


def filled(form: str, values: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The process variables and the QuestionnaireResponse items a person filling ``form`` would
    send, checked against the form (so the diagrams' variable names match their forms)."""
    if not form:
        return values, json.dumps(values)
    raw = raw_form(form)
    by_link_id = raw_items(raw["item"])
    answered = []
    for link_id, value in values.items():
        item = by_link_id[link_id]
        if item["type"] == "boolean":
            answer = {"valueBoolean": value}
        elif item["type"] == "date":
            answer = {"valueDate": value}
        elif item["type"] == "choice":
            answer = next(option for option in item["answerOption"] if option["valueCoding"]["code"] == value)
            answer = {"valueCoding": {key: answer["valueCoding"][key] for key in ("system", "code", "display")}}
        else:
            answer = {"valueString": value}
        answered.append({"linkId": link_id, "answer": [answer]})
    items = [{"linkId": raw["item"][0]["linkId"], "item": answered}]
    response = {"resourceType": "QuestionnaireResponse", "status": "completed", "item": items}
    assert [(issue.link_id, issue.code) for issue in validate_response(load_questionnaire(raw), response)] == []
    return values, json.dumps(items)


def open_tasks(case: Case) -> list[str]:
    return sorted(case.tasks.filter(status=Task.Status.OPEN).values_list("element_id", flat=True))


def pdf_text(document: Document) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(document_bytes(document))).pages)


def test_demo_loader_publishes_processes_forms_letters_case_types_and_teams(demo):
    from oegd.demo.data import load_demo

    load_demo()  # twice: nothing new
    assert ProcessDefinition.objects.filter(office__isnull=True).count() == len(PROCESSES)
    assert set(ProcessDefinition.objects.values_list("key", "version")) == {(key, 1) for key in PROCESSES}
    assert DocumentTemplate.objects.filter(office__isnull=True, language="de").count() == len(LETTERS)
    assert CaseType.objects.filter(is_current=True).count() == len(CASE_TYPES)
    for slug in TASK_FORMS:
        assert FormDefinition.objects.get(slug=slug).versions.get().status == "active"
    for office in Office.objects.all():
        assert set(DEPARTMENTS) <= set(office.departments.values_list("name", flat=True))
    for (email, office_slug), team in STAFF_DEPARTMENTS.items():
        memberships = Membership.objects.filter(user__email=email, office__slug=office_slug)
        assert {membership.department.name for membership in memberships} == {team}


def test_ifsg43_instruction_runs_to_the_certificate_with_four_eyes(demo):
    case = demo.open_case("ifsg43-instruction", subject=demo.citizen)
    assert open_tasks(case) == ["unterlagen_pruefen"]
    first = case.tasks.get()
    assert first.team == Department.objects.get(office=demo.office, name="Sachbearbeitung")
    assert first.form == "task-check-documents"
    assert first.due_at == case.process.next_timer_at  # the 14-day deadline

    # Incomplete: the citizen is asked for more, then the resubmission is checked.
    demo.complete(case, "unterlagen_pruefen", demo.clerk, documents_complete=False, remark="Ausweiskopie fehlt")
    assert open_tasks(case) == ["nachreichung_pruefen"]
    assert [m.to for m in mail.outbox] == [[demo.citizen.email]]
    demo.complete(case, "nachreichung_pruefen", demo.clerk, documents_complete=True)
    assert open_tasks(case) == ["belehrung_durchfuehren"]
    invitation = Invitation.objects.get(case=case)
    assert invitation.appointment_type.slug == "belehrung-43" and invitation.email == demo.citizen.email
    assert len(mail.outbox) == 2
    assert case.tasks.get(element_id="belehrung_durchfuehren").team.name == "Ärztlicher Dienst"

    # The person did not come: a new invitation, then the instruction.
    demo.complete(case, "belehrung_durchfuehren", demo.physician, held=False, remark="nicht erschienen")
    assert Invitation.objects.filter(case=case).count() == 2
    demo.complete(
        case,
        "belehrung_durchfuehren",
        demo.physician,
        held=True,
        instruction_date="2026-03-02",
        birth_date="1998-05-14",
    )
    assert open_tasks(case) == ["bescheinigung_freigeben"]
    letter = Document.objects.get(case=case, kind=Document.Kind.LETTER)
    text = pdf_text(letter)
    assert case.reference in text and "Mia Muster" in text
    assert "14. Mai 1998" in text and "2. März 2026" in text and "§ 43 Abs. 1 Nr. 1" in text

    # Four eyes: the physician who instructed may not approve; nothing changes.
    approval = case.tasks.get(element_id="bescheinigung_freigeben")
    with pytest.raises(services.FourEyesViolation):
        demo.complete(case, "bescheinigung_freigeben", demo.physician, approved=True)
    approval.refresh_from_db()
    assert approval.status == Task.Status.OPEN and approval.completed_by is None

    # Sent back once, so the instruction is recorded again and the letter comes in version 2.
    demo.complete(case, "bescheinigung_freigeben", demo.head, approved=False, remark="Datum prüfen")
    assert open_tasks(case) == ["belehrung_durchfuehren"]
    demo.complete(
        case,
        "belehrung_durchfuehren",
        demo.physician,
        held=True,
        instruction_date="2026-03-03",
        birth_date="1998-05-14",
    )
    latest = Document.objects.filter(case=case).order_by("-version").first()
    assert latest.version == 2 and latest.supersedes_id == letter.pk and "3. März 2026" in pdf_text(latest)
    outbox_before = len(mail.outbox)
    demo.complete(case, "bescheinigung_freigeben", demo.head, approved=True)

    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert case.retention_due_at == case.closed_at + timedelta(days=3653)
    assert case.process.status == ProcessInstance.Status.COMPLETED and case.process.state is None
    assert open_tasks(case) == []
    assert len(mail.outbox) == outbox_before + 1  # "news about your request"
    assert [(m.code, m.label("en")) for m in citizen_timeline(case)] == [
        ("received", "Application received"),
        ("information_requested", "We need more documents from you"),
        ("appointment_offered", "Appointment for the instruction offered"),
        ("appointment_offered", "Appointment for the instruction offered"),
        ("decision_made", "Certificate issued"),
        ("closed", "Completed"),
    ]


def test_ifsg43_deadline_escalates_after_14_days_without_withdrawing_the_check(demo):
    case = demo.open_case("ifsg43-instruction", subject=demo.citizen)
    deadline = case.process.next_timer_at
    assert deadline - case.opened_at >= timedelta(days=14)
    assert demo.fire_timers(deadline - timedelta(minutes=1)) == 0
    assert open_tasks(case) == ["unterlagen_pruefen"]
    assert demo.fire_timers(deadline + timedelta(minutes=1)) == 1
    assert open_tasks(case) == ["frist_ueberschritten", "unterlagen_pruefen"]
    escalation = case.tasks.get(element_id="frist_ueberschritten")
    assert escalation.team.name == "Sachbearbeitung" and escalation.form == ""
    demo.complete(case, "frist_ueberschritten", demo.head, comment="Vorrangig bearbeiten")
    assert open_tasks(case) == ["unterlagen_pruefen"]
    demo.complete(case, "unterlagen_pruefen", demo.clerk, documents_complete=True)
    assert open_tasks(case) == ["belehrung_durchfuehren"]


def test_ifsg43_open_escalation_is_withdrawn_when_the_case_closes(demo):
    case = demo.open_case("ifsg43-instruction", subject=demo.citizen)
    demo.fire_timers(case.process.next_timer_at + timedelta(minutes=1))
    demo.complete(case, "unterlagen_pruefen", demo.clerk, documents_complete=True)
    demo.complete(
        case,
        "belehrung_durchfuehren",
        demo.physician,
        held=True,
        instruction_date="2026-03-02",
        birth_date="1990-01-01",
    )
    demo.complete(case, "bescheinigung_freigeben", demo.head, approved=True)
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED and case.process.status == ProcessInstance.Status.COMPLETED
    assert case.tasks.get(element_id="frist_ueberschritten").status == Task.Status.CANCELLED


def test_counselling_reply_in_writing(demo):
    case = demo.open_case("counselling-request", subject=demo.citizen)
    assert open_tasks(case) == ["anliegen_einschaetzen"]
    assert case.tasks.get().team.name == "Beratung"
    demo.complete(case, "anliegen_einschaetzen", demo.specialist, decision="reply", urgency="normal")
    demo.complete(case, "antwort_schreiben", demo.specialist, reply="Ein HIV-Test ist sechs Wochen danach sicher.")
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert case.retention_due_at == case.closed_at + timedelta(days=1096)
    letter = Document.objects.get(case=case)
    assert letter.template.key == "counselling-reply" and letter.citizen_visible
    assert "sechs Wochen danach sicher" in pdf_text(letter) and case.reference in pdf_text(letter)
    assert [m.code for m in citizen_timeline(case)] == ["received", "decision_made", "closed"]
    assert citizen_timeline(case)[1].label("uk") == "Відповідь готова"
    assert not Invitation.objects.filter(case=case).exists()


def test_counselling_appointment_with_an_account_invites_to_the_chosen_type(demo):
    case = demo.open_case("counselling-request", subject=demo.citizen)
    demo.complete(
        case,
        "anliegen_einschaetzen",
        demo.specialist,
        decision="appointment",
        appointment_type="sti-beratung",
        urgency="urgent",
    )
    assert Invitation.objects.get(case=case).appointment_type.slug == "sti-beratung"
    assert [m.to for m in mail.outbox] == [[demo.citizen.email]]
    assert open_tasks(case) == ["beratung_durchgefuehrt"]
    demo.complete(case, "beratung_durchgefuehrt", demo.specialist, comment="Beratung und Test durchgeführt")
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert [m.code for m in citizen_timeline(case)] == ["received", "appointment_offered", "closed"]


def test_anonymous_counselling_appointment_is_arranged_without_an_invitation(demo):
    case = demo.open_case("counselling-request", subject=None)
    demo.complete(
        case,
        "anliegen_einschaetzen",
        demo.specialist,
        decision="appointment",
        appointment_type="video-sprechstunde",
        urgency="normal",
    )
    assert not Invitation.objects.exists() and mail.outbox == []
    demo.complete(case, "beratung_durchgefuehrt", demo.specialist)
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED


def test_a_missing_triage_answer_is_refused_and_nothing_changes(demo):
    case = demo.open_case("counselling-request", subject=demo.citizen)
    task = case.tasks.get()
    with pytest.raises(engine.MissingVariable):
        services.complete_task(actor=demo.specialist, task=task, variables={"urgency": "normal"})
    task.refresh_from_db()
    assert task.status == Task.Status.OPEN and open_tasks(case) == ["anliegen_einschaetzen"]


def test_ifsg34_measures_letter_then_a_week_later_the_follow_up(demo):
    case = demo.open_case("ifsg34-notification")
    assessment = case.tasks.get()
    assert assessment.team.name == "Infektionsschutz"
    assert assessment.due_at == case.process.next_timer_at
    assert timedelta(days=2) <= assessment.due_at - case.opened_at < timedelta(days=2, minutes=1)
    demo.complete(case, "meldung_bewerten", demo.colleague, disease="Windpocken", measures_needed=True)
    before = timezone.now()
    demo.complete(case, "massnahmen_festlegen", demo.colleague, measures="Elternbrief an die Gruppe Bären")
    letter = Document.objects.get(case=case)
    assert "Elternbrief an die Gruppe Bären" in pdf_text(letter) and "Windpocken" in pdf_text(letter)
    assert open_tasks(case) == []  # waiting a week
    case.process.refresh_from_db()
    follow_up = case.process.next_timer_at
    assert before + timedelta(days=7) <= follow_up <= timezone.now() + timedelta(days=7)
    assert demo.fire_timers(follow_up - timedelta(hours=1)) == 0
    assert open_tasks(case) == []
    assert demo.fire_timers(follow_up + timedelta(minutes=1)) == 1
    assert open_tasks(case) == ["nachkontrolle"]
    with time_machine.travel(follow_up + timedelta(hours=2), tick=False):
        demo.complete(case, "nachkontrolle", demo.colleague, comment="Keine neuen Fälle")
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert case.retention_due_at == case.closed_at + timedelta(days=1826)
    assert [m.code for m in citizen_timeline(case)] == ["received", "decision_made", "closed"]


def test_ifsg34_without_measures_closes_and_a_late_assessment_escalates(demo):
    case = demo.open_case("ifsg34-notification")
    deadline = case.tasks.get().due_at
    assert demo.fire_timers(deadline + timedelta(minutes=1)) == 1
    assert open_tasks(case) == ["frist_ueberschritten", "meldung_bewerten"]
    demo.complete(case, "meldung_bewerten", demo.colleague, disease="Kopflausbefall", measures_needed=False)
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert not Document.objects.filter(case=case).exists()
    assert case.tasks.get(element_id="frist_ueberschritten").status == Task.Status.CANCELLED
