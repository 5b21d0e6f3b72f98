"""The process library: publishing versions (upload, pasted XML), refusals naming the problem,
office variants, case types, the diagram partial and who may do what."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from oegd.cases import case_types, processes
from oegd.cases.engine import InvalidProcess
from oegd.cases.models import Case, CaseType, ProcessDefinition, ProcessInstance, Task
from oegd.cases.services import complete_task, open_case, publish_process_definition
from oegd.core.models import AuditEvent, Role
from oegd.core.tests.factories import login_staff, staff

pytestmark = pytest.mark.django_db

KEY = "instruction-43"
BPMN_DIR = Path(__file__).parent / "bpmn"
FOUR_EYES = (BPMN_DIR / "four_eyes_instruction.bpmn").read_text(encoding="utf-8")
FOUR_EYES_V2 = FOUR_EYES.replace('name="Unterlagen prüfen"', 'name="Unterlagen sichten"')

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs" targetNamespace="https://t.example">'
    '<bpmn:process id="p" isExecutable="true">'
    '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
)
TAIL = (
    '<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
    '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="step"/>'
    '<bpmn:sequenceFlow id="f2" sourceRef="step" targetRef="end"/>'
    "</bpmn:process></bpmn:definitions>"
)
SCRIPT_TASK = (
    HEAD
    + '<bpmn:scriptTask id="step" name="Rechnen"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>'
    "<bpmn:script>import os</bpmn:script></bpmn:scriptTask>" + TAIL
)
UNKNOWN_ACTION = (
    HEAD + '<bpmn:serviceTask id="step" name="Starten"><bpmn:extensionElements>'
    '<spiffworkflow:serviceTaskOperator id="launch_rockets"><spiffworkflow:parameters/>'
    "</spiffworkflow:serviceTaskOperator></bpmn:extensionElements>"
    "<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>" + TAIL
)
BAD_CONDITION = (
    HEAD + '<bpmn:exclusiveGateway id="step" name="Weiche" default="f2"><bpmn:incoming>f1</bpmn:incoming>'
    "<bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:exclusiveGateway>"
    '<bpmn:sequenceFlow id="f3" name="escape" sourceRef="step" targetRef="end">'
    "<bpmn:conditionExpression>().__class__.__bases__</bpmn:conditionExpression></bpmn:sequenceFlow>"
    + TAIL.replace(
        "<bpmn:incoming>f2</bpmn:incoming>", "<bpmn:incoming>f2</bpmn:incoming><bpmn:incoming>f3</bpmn:incoming>"
    )
)
INVALID_UPLOADS = {
    "not-xml": "this is not a diagram",
    "script-task": SCRIPT_TASK,
    "unknown-action": UNKNOWN_ACTION,
    "bad-condition": BAD_CONDITION,
}


def _milestones() -> list[dict]:
    return [{"code": "in_review", "labels": {"de": "In Bearbeitung", "en": "In progress", "ar": "قيد المعالجة"}}]


@pytest.fixture
def state_admin(cast):
    return staff(cast.office_a, Role.STATE_ADMIN, email="sven@land.example", full_name="Sven State")


def client_for(user, office) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    login_staff(client, user, office)
    return client


def publish_library(actor, xml: str = FOUR_EYES, key: str = KEY) -> ProcessDefinition:
    return publish_process_definition(actor=actor, key=key, name="Belehrung § 43", bpmn_xml=xml)


def instruction_case_type(actor) -> CaseType:
    return case_types.save_case_type(
        actor=actor, slug="instruction", name="Belehrung", process_key=KEY, milestones=_milestones()
    )


def upload(xml: str, name: str = "process.bpmn") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, xml.encode(), content_type="application/xml")


# --- publishing versions -----------------------------------------------------------------------


def test_upload_makes_version_one_edit_makes_two_and_running_cases_keep_theirs(cast, state_admin):
    client = client_for(state_admin, cast.office_a)
    response = client.post(
        reverse("processes:library_new"),
        {"key": KEY, "name": "Belehrung § 43", "comment": "first", "bpmn_file": upload(FOUR_EYES)},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    v1 = ProcessDefinition.objects.get(key=KEY, office=None)
    assert (v1.version, v1.created_by, v1.comment, v1.bpmn_xml) == (1, state_admin, "first", FOUR_EYES)
    instruction_case_type(state_admin)
    running = open_case(actor=cast.clerk_a, office=cast.office_a, case_type="instruction", title="A", reference="P-1")
    assert running.process.definition == v1

    # The modeler (or a person without JavaScript) sends the XML in the text area.
    page = client.get(reverse("processes:library_edit", args=[KEY]))
    assert page.status_code == 200
    assert escape("Unterlagen prüfen") in page.content.decode()  # the current XML to edit
    response = client.post(
        reverse("processes:library_edit", args=[KEY]),
        {"name": "Belehrung § 43", "comment": "renamed a step", "bpmn_xml": FOUR_EYES_V2},
    )
    assert response.status_code == 302
    v2 = ProcessDefinition.objects.get(key=KEY, office=None, version=2)
    assert v2.bpmn_xml == FOUR_EYES_V2 and v2.comment == "renamed a step"

    later = open_case(actor=cast.clerk_a, office=cast.office_a, case_type="instruction", title="B", reference="P-2")
    assert later.process.definition == v2
    running.process.refresh_from_db()
    assert running.process.definition == v1
    assert Task.objects.get(case=running).name == "Unterlagen prüfen"
    assert Task.objects.get(case=later).name == "Unterlagen sichten"
    assert AuditEvent.objects.filter(action="process.publish").count() == 2

    detail = client.get(reverse("processes:library", args=[KEY])).content.decode()
    assert "renamed a step" in detail and "Sven State" in detail
    listing = client.get(reverse("processes:list")).content.decode()
    assert "v2: 1, v1: 1" in listing  # running cases per version


@pytest.mark.parametrize("problem", sorted(INVALID_UPLOADS))
def test_an_invalid_diagram_is_refused_with_the_engines_message_and_nothing_saved(cast, state_admin, problem):
    publish_library(state_admin)
    xml = INVALID_UPLOADS[problem]
    with pytest.raises(InvalidProcess) as refused:
        processes.compile_definition(xml)
    client = client_for(state_admin, cast.office_a)
    response = client.post(
        reverse("processes:library_edit", args=[KEY]), {"name": "Belehrung", "bpmn_file": upload(xml)}
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert escape(refused.value.message) in content
    assert ProcessDefinition.objects.filter(key=KEY).count() == 1
    # The message names the problem.
    expected = {"not-xml": "XML", "script-task": "script", "unknown-action": "launch_rockets", "bad-condition": "f3"}
    assert expected[problem].lower() in refused.value.message.lower()


def test_a_new_process_with_a_taken_key_or_without_a_diagram_is_refused(cast, state_admin):
    publish_library(state_admin)
    client = client_for(state_admin, cast.office_a)
    taken = client.post(reverse("processes:library_new"), {"key": KEY, "name": "Again", "bpmn_xml": FOUR_EYES})
    assert taken.status_code == 400
    assert "publish a new version" in taken.content.decode()
    empty = client.post(reverse("processes:library_new"), {"key": "empty", "name": "Empty", "bpmn_xml": "  "})
    assert empty.status_code == 400
    assert "Please upload a BPMN file or enter the diagram." in empty.content.decode()
    assert ProcessDefinition.objects.count() == 1


def test_the_new_process_page_offers_a_starter_diagram_that_compiles(cast, state_admin):
    client = client_for(state_admin, cast.office_a)
    page = client.get(reverse("processes:library_new"))
    starter = page.context["form"].initial["bpmn_xml"]
    processes.compile_definition(starter)
    response = client.post(reverse("processes:library_new"), {"key": "hello", "name": "Hello", "bpmn_xml": starter})
    assert response.status_code == 302
    assert ProcessDefinition.objects.get(key="hello").version == 1


def test_a_process_with_decision_tables_needs_its_dmn_file(cast, state_admin):
    bpmn = (BPMN_DIR / "risk_assessment.bpmn").read_text(encoding="utf-8")
    dmn = (BPMN_DIR / "risk_level.dmn").read_text(encoding="utf-8")
    client = client_for(state_admin, cast.office_a)
    without = client.post(reverse("processes:library_new"), {"key": "risk", "name": "Risk", "bpmn_file": upload(bpmn)})
    assert without.status_code == 400
    assert escape('calls the decision "risk_level", which is not in the DMN files') in without.content.decode()
    assert not ProcessDefinition.objects.exists()

    response = client.post(
        reverse("processes:library_new"),
        {"key": "risk", "name": "Risk", "bpmn_file": upload(bpmn), "dmn_file": upload(dmn, "risk.dmn")},
    )
    assert response.status_code == 302
    assert ProcessDefinition.objects.get(key="risk").dmn_xml == dmn
    download = client.get(reverse("processes:library_download", args=["risk", 1, "dmn"]))
    assert download.content.decode() == dmn
    # The next version keeps the decision tables unless they are replaced.
    edit = client.get(reverse("processes:library_edit", args=["risk"]))
    assert edit.context["form"].initial["dmn_xml"] == dmn


def test_a_version_downloads_as_bpmn(cast, state_admin):
    definition = publish_library(state_admin)
    response = client_for(cast.clerk_a, cast.office_a).get(
        reverse("processes:library_download", args=[KEY, definition.version, "bpmn"])
    )
    assert response.status_code == 200
    assert response.content.decode() == FOUR_EYES
    assert response["Content-Disposition"] == f'attachment; filename="{KEY}-v1.bpmn"'
    missing = client_for(cast.clerk_a, cast.office_a).get(reverse("processes:library_download", args=[KEY, 1, "dmn"]))
    assert missing.status_code == 404


# --- office variants ---------------------------------------------------------------------------


def test_an_office_variant_runs_the_offices_cases_and_others_keep_the_library(cast, state_admin):
    library = publish_library(state_admin)
    instruction_case_type(state_admin)
    admin = client_for(cast.admin_a, cast.office_a)
    response = admin.post(reverse("processes:variant_create", args=[KEY]))
    assert response.status_code == 302
    variant = ProcessDefinition.objects.get(key=KEY, office=cast.office_a)
    assert variant.version == 1 and variant.bpmn_xml == library.bpmn_xml
    assert "version 1" in variant.comment

    edited = admin.post(
        reverse("processes:variant_edit", args=[KEY]),
        {"name": "Belehrung (Musterstadt)", "bpmn_xml": FOUR_EYES_V2, "comment": "our way"},
    )
    assert edited.status_code == 302
    ours = open_case(actor=cast.clerk_a, office=cast.office_a, case_type="instruction", title="A", reference="V-1")
    theirs = open_case(actor=cast.clerk_b, office=cast.office_b, case_type="instruction", title="B", reference="V-2")
    assert ours.process.definition.office == cast.office_a and ours.process.definition.version == 2
    assert theirs.process.definition == library
    assert ProcessDefinition.objects.filter(office=None).count() == 1  # the library is untouched

    page = admin.get(reverse("processes:variant", args=[KEY])).content.decode()
    assert "our way" in page


def test_permission_matrix(cast, state_admin):
    publish_library(state_admin)
    publish_process_definition(actor=cast.admin_a, key=KEY, name="Ours", bpmn_xml=FOUR_EYES, office=cast.office_a)
    before = ProcessDefinition.objects.count()
    clerk = client_for(cast.clerk_a, cast.office_a)
    admin_a = client_for(cast.admin_a, cast.office_a)
    admin_b = client_for(cast.admin_b, cast.office_b)
    dpo = client_for(cast.dpo_a, cast.office_a)
    version = {"name": "X", "bpmn_xml": FOUR_EYES_V2}

    # A clerk looks, but cannot publish anywhere.
    assert clerk.get(reverse("processes:list")).status_code == 200
    assert clerk.get(reverse("processes:library", args=[KEY])).status_code == 200
    assert clerk.get(reverse("processes:variant", args=[KEY])).status_code == 200
    assert clerk.post(reverse("processes:library_edit", args=[KEY]), version).status_code == 404
    assert clerk.post(reverse("processes:variant_edit", args=[KEY]), version).status_code == 404
    assert clerk.post(reverse("processes:library_new"), {"key": "k", **version}).status_code == 404
    assert clerk.post(reverse("processes:variant_create", args=[KEY])).status_code == 404
    # The office administrator keeps the office's variant, not the state library.
    assert admin_a.get(reverse("processes:library_edit", args=[KEY])).status_code == 404
    assert admin_a.post(reverse("processes:library_edit", args=[KEY]), version).status_code == 404
    assert admin_a.post(reverse("processes:library_new"), {"key": "k", **version}).status_code == 404
    assert admin_a.get(reverse("processes:case_types")).status_code == 404
    # Another office's variant does not exist for them.
    assert admin_b.get(reverse("processes:variant", args=[KEY])).status_code == 404
    assert admin_b.get(reverse("processes:variant_download", args=[KEY, 1, "bpmn"])).status_code == 404
    assert admin_b.post(reverse("processes:variant_edit", args=[KEY]), version).status_code == 404
    # Without case work or administration: no library at all.
    assert dpo.get(reverse("processes:list")).status_code == 404
    assert dpo.get(reverse("processes:library", args=[KEY])).status_code == 404
    assert ProcessDefinition.objects.count() == before
    assert ProcessDefinition.objects.filter(office=cast.office_b).count() == 0


def test_the_navigation_shows_processes_to_administrators_only(cast, state_admin):
    link = f'href="{reverse("processes:list")}"'
    home = reverse("core:staff_home")
    assert link in client_for(cast.admin_a, cast.office_a).get(home).content.decode()
    assert link in client_for(state_admin, cast.office_a).get(home).content.decode()
    assert link not in client_for(cast.clerk_a, cast.office_a).get(home).content.decode()


# --- case types --------------------------------------------------------------------------------


def _case_type_post(**overrides) -> dict:
    data = {
        "slug": "instruction",
        "name": "Belehrung nach § 43 IfSG",
        "process_key": KEY,
        "checklist": "Ausweis geprüft\n\nBelehrung erteilt\n",
        "filing_code": "53.10.01",
        "retention_days": "3650",
        "retention_action": "anonymise",
        "milestones-TOTAL_FORMS": "2",
        "milestones-INITIAL_FORMS": "0",
        "milestones-MIN_NUM_FORMS": "0",
        "milestones-MAX_NUM_FORMS": "30",
        "milestones-0-code": "in_review",
        "milestones-0-label_de": "In Bearbeitung",
        "milestones-0-label_en": "In progress",
        "milestones-0-label_ar": "قيد المعالجة",
        "milestones-0-label_uk": "В обробці",
    }
    data.update(overrides)
    return data


def test_state_admin_creates_and_edits_a_case_type_as_versions(cast, state_admin):
    publish_library(state_admin)
    client = client_for(state_admin, cast.office_a)
    page = client.get(reverse("processes:case_type_new")).content.decode()
    assert 'lang="ar" dir="rtl"' in page and 'lang="tr" dir="ltr"' in page

    response = client.post(reverse("processes:case_type_new"), _case_type_post())
    assert response.status_code == 302
    v1 = CaseType.objects.get(slug="instruction")
    assert v1.version == 1 and v1.is_current and v1.process_key == KEY
    assert v1.milestones == [
        {
            "code": "in_review",
            "labels": {"de": "In Bearbeitung", "en": "In progress", "ar": "قيد المعالجة", "uk": "В обробці"},
        }
    ]
    assert v1.checklist == ["Ausweis geprüft", "Belehrung erteilt"]
    assert (v1.filing_code, v1.retention_days, v1.retention_action) == ("53.10.01", 3650, "anonymise")
    running = open_case(actor=cast.clerk_a, office=cast.office_a, case_type="instruction", title="A", reference="T-1")

    edit = client.get(reverse("processes:case_type", args=["instruction"]))
    assert "قيد المعالجة" in edit.content.decode()
    response = client.post(
        reverse("processes:case_type", args=["instruction"]),
        _case_type_post(name="Belehrung § 43", slug="ignored", **{"milestones-0-label_en": "Being processed"}),
    )
    assert response.status_code == 302
    v2 = CaseType.objects.get(slug="instruction", version=2)
    v1.refresh_from_db()
    assert v2.is_current and not v1.is_current and v2.name == "Belehrung § 43"
    assert v2.milestone_label("in_review", "en") == "Being processed"
    assert not CaseType.objects.filter(slug="ignored").exists()
    running.refresh_from_db()
    assert running.type_version == v1
    later = open_case(actor=cast.clerk_a, office=cast.office_a, case_type="instruction", title="B", reference="T-2")
    assert later.type_version == v2
    assert AuditEvent.objects.filter(action="case_type.save").count() == 2
    listing = client.get(reverse("processes:case_types")).content.decode()
    assert "Belehrung § 43" in listing and "3650 days" in listing


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"process_key": "no-such-process"}, "The state library has no published process with this key."),
        ({"milestones-0-label_en": ""}, "needs a label in German and in English"),
        (
            {
                "milestones-0-code": "",
                "milestones-0-label_de": "",
                "milestones-0-label_en": "",
                "milestones-0-label_ar": "",
                "milestones-0-label_uk": "",
            },
            "Declare at least one milestone",
        ),
        ({"retention_days": "-1"}, "The retention period cannot be negative."),
        ({"milestones-0-code": "In Review!"}, "Lower-case letters, digits and underscores"),
    ],
)
def test_bad_case_type_input_is_refused_and_nothing_saved(cast, state_admin, overrides, message):
    publish_library(state_admin)
    client = client_for(state_admin, cast.office_a)
    response = client.post(reverse("processes:case_type_new"), _case_type_post(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CaseType.objects.exists()
    assert not AuditEvent.objects.filter(action="case_type.save").exists()


def test_the_case_type_service_refuses_an_unknown_process_and_bad_milestones(cast, state_admin):
    publish_process_definition(actor=cast.admin_a, key="ours", name="Ours", bpmn_xml=FOUR_EYES, office=cast.office_a)
    with pytest.raises(case_types.CaseTypeInvalid) as refused:
        case_types.save_case_type(actor=state_admin, slug="t", name="T", process_key="ours", milestones=_milestones())
    assert refused.value.field == "process_key"  # an office variant alone is no library process
    with pytest.raises(case_types.CaseTypeInvalid):
        case_types.save_case_type(
            actor=state_admin, slug="t", name="T", milestones=[{"code": "x", "labels": {"de": "X", "xx": "?"}}]
        )
    with pytest.raises(case_types.CaseTypeInvalid):
        case_types.save_case_type(actor=state_admin, slug="t", name="T", milestones=_milestones() * 2)
    assert not CaseType.objects.exists()


# --- the diagram on the case -------------------------------------------------------------------


@translation.override("en")
def test_the_case_diagram_partial_shows_the_position_as_text_and_as_markers(cast, state_admin):
    publish_library(state_admin)
    instruction_case_type(state_admin)
    case = open_case(actor=cast.clerk_a, office=cast.office_a, case_type="instruction", title="A", reference="D-1")
    html = render_to_string("cases/partials/diagram.html", {"case": case, "process": case.process})
    assert re.search(r"Current step:</strong>\s*Unterlagen prüfen", html)
    assert '"active": ["check_documents"]' in html and '"done": ["start_received"]' in html
    assert 'data-oegd-diagram="case-diagram-data"' in html

    task = Task.objects.get(case=case)
    complete_task(actor=cast.clerk_a, task=task, variables={"documents_complete": True})
    case = Case.objects.get(pk=case.pk)
    html = render_to_string("cases/partials/diagram.html", {"case": case})  # the process found from the case
    assert re.search(r"Current step:</strong>\s*Bescheinigung ärztlich freigeben</p>", html)  # not its deadline
    passed = re.search(r'<ol class="kern-list oegd-process__passed"[^>]*>(.*?)</ol>', html, re.S).group(1)
    assert re.findall(r"<li>(.*?)</li>", passed) == [
        "Antrag eingegangen",
        "Unterlagen prüfen",
        "Unterlagen vollständig?",
    ]
    assert "approval_deadline" in html  # its boundary timer is marked as active too

    without = open_case(actor=cast.clerk_a, office=cast.office_a, case_type="none", title="N", reference="D-2")
    assert "does not run through a process" in render_to_string("cases/partials/diagram.html", {"case": without})
    assert ProcessInstance.objects.count() == 1
