"""The process engine layer: compiling uploaded diagrams safely and running them (no database needed)."""

import copy
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import translation

from oegd.cases import engine
from oegd.cases.conditions import ExpressionError, MissingVariable
from oegd.cases.engine import InvalidProcess, ProcessError, TaskNotReady

FIXTURES = Path(__file__).parent / "bpmn"
ACTIONS = {"generate_letter", "send_message", "record_milestone"}
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"\n'
    ' xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"\n'
    ' id="Definitions_test" targetNamespace="https://oegd.example/test">\n'
)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def diagram(*nodes: str, extra: str = "", process: str = 'id="p" name="Test" isExecutable="true"', outside="") -> str:
    """A process whose nodes are chained by sequence flows in the order given."""
    ids = [re.search(r'id="([^"]+)"', node).group(1) for node in nodes]
    flows = "".join(
        f'<bpmn:sequenceFlow id="flow_{a}_{b}" sourceRef="{a}" targetRef="{b}"/>'
        for a, b in zip(ids, ids[1:], strict=False)
    )
    return f"{HEADER}<bpmn:process {process}>{''.join(nodes)}{flows}{extra}</bpmn:process>{outside}</bpmn:definitions>"


START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'


def user_task(element_id: str, name: str = "Task", **properties: str) -> str:
    props = "".join(f'<spiffworkflow:property name="{k}" value="{v}"/>' for k, v in properties.items())
    extension = (
        f"<bpmn:extensionElements><spiffworkflow:properties>{props}</spiffworkflow:properties></bpmn:extensionElements>"
        if props
        else ""
    )
    return f'<bpmn:userTask id="{element_id}" name="{name}">{extension}</bpmn:userTask>'


def service_task(element_id: str, action: str, result_variable: str = "", **params: str) -> str:
    parameters = "".join(
        f'<spiffworkflow:parameter id="{k}" type="any" value="{v.replace(chr(34), "&quot;")}"/>'
        for k, v in params.items()
    )
    result = f' resultVariable="{result_variable}"' if result_variable else ""
    return (
        f'<bpmn:serviceTask id="{element_id}" name="Action {action}"><bpmn:extensionElements>'
        f'<spiffworkflow:serviceTaskOperator id="{action}"{result}><spiffworkflow:parameters>{parameters}'
        "</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements></bpmn:serviceTask>"
    )


def compile_(xml, dmn=(), actions=ACTIONS):
    return engine.compile_process(xml, dmn, known_actions=actions)


class Recorder:
    """An action runner that records its calls and answers with prepared variables."""

    def __init__(self, **answers):
        self.calls = []
        self.answers = answers

    def __call__(self, action, params, data):
        self.calls.append((action, params, data))
        return self.answers.get(action)


def ready(step):
    return [task.element_id for task in step.ready_tasks]


def complete(process, step, element_id, data=None, perform=None):
    task = next(task for task in step.ready_tasks if task.element_id == element_id)
    return engine.complete_task(
        process, state=step.state, task_id=task.task_id, data=data or {}, perform=perform or Recorder()
    )


# --- compiling ---------------------------------------------------------------------------------


def test_the_example_diagram_compiles_with_lanes_forms_and_four_eyes():
    process = compile_(fixture("four_eyes_instruction.bpmn"))
    info = process.info
    assert info.process_id == "four_eyes_instruction"
    assert info.name == "Belehrung nach § 43 IfSG (Vier-Augen-Prinzip)"
    assert info.actions == frozenset({"generate_letter"})
    approve = info.user_task("approve_certificate")
    assert approve == engine.UserTaskSpec(
        element_id="approve_certificate",
        name="Bescheinigung ärztlich freigeben",
        lane="Ärztlicher Dienst",
        form="instruction-approval",
        four_eyes_of="check_documents",
        milestone="decision_made",
    )
    check = info.user_task("check_documents")
    assert (check.lane, check.form, check.four_eyes_of) == ("Sachbearbeitung", "instruction-document-check", "")
    assert {t.element_id for t in info.user_tasks} == {
        "check_documents",
        "request_documents",
        "approve_certificate",
        "escalate_approval",
    }
    assert {"approval_deadline", "gateway_documents_complete", "flow_complete"} <= info.element_ids


def test_compiling_the_same_xml_as_text_or_bytes_gives_the_same_process():
    as_text = compile_(fixture("reply_decision.bpmn").decode())
    as_bytes = compile_(fixture("reply_decision.bpmn"))
    assert as_text.info == as_bytes.info


def refusal(xml, dmn=(), actions=ACTIONS) -> str:
    with pytest.raises(InvalidProcess) as refused:
        compile_(xml, dmn, actions)
    return refused.value.message


def test_xml_syntax_errors_name_the_line():
    message = refusal(HEADER + '<bpmn:process id="p">\n<bpmn:startEvent id="s">\n</bpmn:process></bpmn:definitions>')
    assert "not well-formed XML (line 7)" in message


def test_other_xml_is_not_bpmn():
    assert refusal("<html><body/></html>") == "This is not a BPMN 2.0 diagram."


@pytest.mark.parametrize(
    "body",
    ['<bpmn:process id="p"><bpmn:documentation>&x;</bpmn:documentation></bpmn:process>', '<bpmn:process id="&x;"/>'],
)
def test_a_doctype_is_refused_so_entities_cannot_read_files(body):
    xml = (
        '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        + HEADER.split("\n", 1)[1]
        + body
        + "</bpmn:definitions>"
    )
    message = refusal(xml)
    assert "DOCTYPE" in message or "external entity" in message
    assert "root:" not in message


def test_billion_laughs_are_not_expanded():
    entities = '<!ENTITY a "ha">' + "".join(
        f'<!ENTITY {c} "&{p};&{p};&{p};&{p};&{p};&{p};&{p};&{p};">' for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE d [{entities}]>'
        + HEADER.split("\n", 1)[1]
        + '<bpmn:process id="p"><bpmn:documentation>&i;</bpmn:documentation></bpmn:process></bpmn:definitions>'
    )
    message = refusal(xml)
    assert "DOCTYPE" in message or "amplification" in message
    assert "hahaha" not in message


def test_a_diagram_without_executable_process_is_refused():
    xml = diagram(START, user_task("a"), END, process='id="p" isExecutable="false"')
    assert "no executable process" in refusal(xml)


def test_xsd_violations_are_refused_with_the_line():
    xml = diagram(START, '<bpmn:userTask id="a" name="A" urgency="high"/>', END)
    message = refusal(xml)
    assert "not valid BPMN 2.0 (line 5)" in message
    assert "urgency" in message


def test_script_tasks_are_refused():
    xml = diagram(
        START, '<bpmn:scriptTask id="run_code" name="Run"><bpmn:script>import os</bpmn:script></bpmn:scriptTask>', END
    )
    message = refusal(xml)
    assert '"Run" (run_code)' in message and "script tasks are not supported" in message


@pytest.mark.parametrize("kind", ["preScript", "postScript"])
def test_pre_and_post_scripts_are_refused(kind):
    task = (
        '<bpmn:userTask id="sneaky" name="Sneaky"><bpmn:extensionElements>'
        f"<spiffworkflow:{kind}>import os</spiffworkflow:{kind}></bpmn:extensionElements></bpmn:userTask>"
    )
    message = refusal(diagram(START, task, END))
    assert '"Sneaky" (sneaky)' in message and "pre- and post-scripts are not allowed" in message


def test_unknown_service_actions_are_named():
    message = refusal(diagram(START, service_task("mail", "send_fax"), END))
    assert '"send_fax" is unknown' in message and "(mail)" in message
    assert "generate_letter" in message  # says what is known


def test_service_tasks_need_an_action_and_allowed_parameters():
    bare = '<bpmn:serviceTask id="bare" name="Bare"/>'
    assert "names no action" in refusal(diagram(START, bare, END))
    message = refusal(diagram(START, service_task("letter", "generate_letter", template="x.__class__"), END))
    assert 'parameter "template"' in message and "attribute access" in message


def test_a_bad_gateway_condition_names_the_flow():
    gateway = '<bpmn:exclusiveGateway id="gw" default="flow_no"/>'
    extra = (
        '<bpmn:sequenceFlow id="flow_yes" name="yes" sourceRef="gw" targetRef="end">'
        "<bpmn:conditionExpression>decision.__class__ == 1</bpmn:conditionExpression></bpmn:sequenceFlow>"
        '<bpmn:sequenceFlow id="flow_no" sourceRef="gw" targetRef="end"/>'
    )
    message = refusal(diagram(START, gateway, extra=extra + END))
    assert 'Condition of flow "yes" (flow_yes)' in message
    assert "attribute access" in message


def timer_diagram(definition: str) -> str:
    event = (
        '<bpmn:intermediateCatchEvent id="wait" name="Wait">'
        f"<bpmn:timerEventDefinition>{definition}</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )
    return diagram(START, event, END)


@pytest.mark.parametrize(
    "definition",
    [
        "<bpmn:timeDuration>days_left</bpmn:timeDuration>",
        "<bpmn:timeDuration>in two weeks</bpmn:timeDuration>",
        '<bpmn:timeDuration>"P14X"</bpmn:timeDuration>',
        "<bpmn:timeDuration>2026-12-01T08:00:00+01:00</bpmn:timeDuration>",
        "<bpmn:timeDate>P14D</bpmn:timeDate>",
        '<bpmn:timeDuration>"P" + str(days)</bpmn:timeDuration>',
        "<bpmn:timeDuration></bpmn:timeDuration>",
    ],
)
def test_timers_must_be_iso_constants_and_are_named(definition):
    message = refusal(timer_diagram(definition))
    assert message.startswith('Timer event "Wait" (wait):')
    assert "ISO-8601" in message


def test_timer_dates_need_a_time_zone_and_cycles_are_refused():
    assert "needs a time zone" in refusal(timer_diagram("<bpmn:timeDate>2026-12-01T08:00:00</bpmn:timeDate>"))
    assert "repeating timers" in refusal(timer_diagram("<bpmn:timeCycle>R3/PT1H</bpmn:timeCycle>"))
    assert "has no duration or date" in refusal(timer_diagram(""))


def test_user_tasks_need_a_name_and_valid_properties():
    nameless = '<bpmn:userTask id="nameless"/>'
    assert refusal(diagram(START, nameless, END)) == "User task nameless has no name."
    assert "not a form key" in refusal(diagram(START, user_task("a", form="bad key!"), END))
    message = refusal(diagram(START, user_task("a", fourEyesOf="ghost"), END))
    assert 'fourEyesOf names "ghost"' in message
    assert "not another user task" in refusal(diagram(START, user_task("a", fourEyesOf="a"), END))


def test_message_and_signal_events_are_refused():
    event = (
        '<bpmn:intermediateCatchEvent id="msg" name="Letter arrives">'
        "<bpmn:messageEventDefinition/></bpmn:intermediateCatchEvent>"
    )
    message = refusal(diagram(START, event, END))
    assert '"Letter arrives" (msg)' in message and "message events are not supported" in message


def test_several_executable_processes_need_a_main_one():
    second = '<bpmn:process id="other" isExecutable="true"><bpmn:startEvent id="s2"/></bpmn:process>'
    xml = diagram(START, user_task("a"), END, outside=second)
    assert "several executable processes (other, p)" in refusal(xml)

    main = (
        'id="p" isExecutable="true"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="main" value="true"/></spiffworkflow:properties></bpmn:extensionElements'
    )
    process = compile_(diagram(START, user_task("a"), END, process=main, outside=second))
    assert process.info.process_id == "p"


def test_flows_and_boundary_events_must_point_at_elements_of_the_process():
    stray = '<bpmn:sequenceFlow id="stray" name="Stray" sourceRef="start" targetRef="nowhere"/>'
    message = refusal(diagram(START, END, extra=stray))
    assert message == 'Sequence flow "Stray" (stray): targetRef "nowhere" is not an element of this process.'
    boundary = (
        '<bpmn:boundaryEvent id="late" name="Late" attachedToRef="ghost"><bpmn:timerEventDefinition>'
        "<bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    )
    assert 'attached to "ghost"' in refusal(diagram(START, user_task("a"), END, extra=boundary))


def test_spiffworkflow_parser_complaints_name_the_element():
    assert refusal(diagram(user_task("a", "A"), END)) == 'The diagram is not valid at "Test" (p): No start event found.'
    gateway = '<bpmn:exclusiveGateway id="gw" name="G"/>'
    extra = '<bpmn:sequenceFlow id="loose" sourceRef="gw" targetRef="start"/>'
    message = refusal(diagram(START, gateway, END, extra=extra))
    assert message.startswith("The diagram is not valid at flow_gw_end") or message.startswith(
        "The diagram is not valid at loose"
    )
    assert "without condition" in message


def test_properties_and_parameters_without_value_or_type_are_tolerated():
    bare_property = (
        '<bpmn:userTask id="a" name="A"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="form"/></spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>'
    )
    assert compile_(diagram(START, bare_property, END)).info.user_task("a").form == ""
    untyped = (
        '<bpmn:serviceTask id="s" name="S"><bpmn:extensionElements>'
        '<spiffworkflow:serviceTaskOperator id="send_message">'
        '<spiffworkflow:parameters><spiffworkflow:parameter id="channel" value="&quot;sms&quot;"/>'
        "</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements></bpmn:serviceTask>"
    )
    actions = Recorder()
    engine.start(compile_(diagram(START, untyped, END)), data={}, perform=actions)
    assert actions.calls == [("send_message", {"channel": "sms"}, {})]


def test_call_activities_must_call_a_process_of_the_file():
    call = '<bpmn:callActivity id="call" name="Sub" calledElement="elsewhere"/>'
    message = refusal(diagram(START, call, END))
    assert '"Sub" (call)' in message and '"elsewhere"' in message


def test_call_activities_run_the_called_process():
    call = '<bpmn:callActivity id="call" name="Sub" calledElement="sub"/>'
    sub = (
        '<bpmn:process id="sub" isExecutable="true"><bpmn:startEvent id="sub_start"/>'
        '<bpmn:userTask id="sub_task" name="Inside"/><bpmn:endEvent id="sub_end"/>'
        '<bpmn:sequenceFlow id="sf1" sourceRef="sub_start" targetRef="sub_task"/>'
        '<bpmn:sequenceFlow id="sf2" sourceRef="sub_task" targetRef="sub_end"/></bpmn:process>'
    )
    process = compile_(diagram(START, call, user_task("after", "After"), END, outside=sub))
    assert process.info.process_id == "p"
    step = engine.start(process, data={"x": 1}, perform=Recorder())
    assert ready(step) == ["sub_task"]
    assert "call" in step.active_element_ids
    restored = json.loads(json.dumps(step.state))
    step = complete(process, engine.step_of(process, state=restored), "sub_task", {"inside": True})
    assert ready(step) == ["after"]
    step = complete(process, step, "after")
    assert step.completed


def test_an_embedded_subprocess_with_a_non_interrupting_reminder():
    visit = (
        '<bpmn:subProcess id="home_visit" name="Hausbesuch"><bpmn:startEvent id="visit_start"/>'
        + user_task("visit", "Besuch durchführen")
        + '<bpmn:endEvent id="visit_end"/><bpmn:sequenceFlow id="v1" sourceRef="visit_start" targetRef="visit"/>'
        '<bpmn:sequenceFlow id="v2" sourceRef="visit" targetRef="visit_end"/></bpmn:subProcess>'
    )
    reminder = (
        '<bpmn:boundaryEvent id="remind" name="Erinnerung" attachedToRef="home_visit" cancelActivity="false">'
        "<bpmn:timerEventDefinition><bpmn:timeDuration>P3D</bpmn:timeDuration></bpmn:timerEventDefinition>"
        "</bpmn:boundaryEvent>"
        + user_task("phone", "Familie anrufen")
        + '<bpmn:endEvent id="reminder_end"/><bpmn:sequenceFlow id="r1" sourceRef="remind" targetRef="phone"/>'
        '<bpmn:sequenceFlow id="r2" sourceRef="phone" targetRef="reminder_end"/>'
    )
    process = compile_(diagram(START, visit, user_task("report", "Bericht"), END, extra=reminder))
    assert {t.element_id for t in process.info.user_tasks} == {"visit", "phone", "report"}
    with time_machine.travel(MONDAY, tick=False):
        step = engine.start(process, data={}, perform=Recorder())
    assert ready(step) == ["visit"]
    assert step.ready_tasks[0].due_at == MONDAY + timedelta(days=3)  # from the subprocess's timer
    assert set(step.active_element_ids) == {"home_visit", "visit", "remind"}

    with time_machine.travel(MONDAY + timedelta(days=3, minutes=1), tick=False):
        step = engine.fire_due_timers(process, state=step.state, perform=Recorder())
    assert sorted(ready(step)) == ["phone", "visit"]  # the visit stays open beside the reminder
    assert step.next_timer_at is None
    step = complete(process, step, "phone")
    step = complete(process, step, "visit", {"family_met": True})
    assert ready(step) == ["report"] and step.data == {"family_met": True}
    assert complete(process, step, "report").completed


@pytest.mark.parametrize(("defect", "next_task"), [(True, "order_measures"), (False, "report")])
def test_an_error_end_event_is_caught_by_the_boundary_event_of_its_subprocess(defect, next_task):
    inspection = (
        '<bpmn:subProcess id="inspection" name="Begehung"><bpmn:startEvent id="inspection_start"/>'
        + user_task("inspect", "Begehen")
        + '<bpmn:exclusiveGateway id="found" default="flow_ok"/><bpmn:endEvent id="inspection_end"/>'
        '<bpmn:endEvent id="defect_found" name="Mangel"><bpmn:errorEventDefinition errorRef="Error_defect"/>'
        "</bpmn:endEvent>"
        '<bpmn:sequenceFlow id="i1" sourceRef="inspection_start" targetRef="inspect"/>'
        '<bpmn:sequenceFlow id="i2" sourceRef="inspect" targetRef="found"/>'
        '<bpmn:sequenceFlow id="flow_ok" sourceRef="found" targetRef="inspection_end"/>'
        '<bpmn:sequenceFlow id="flow_defect" sourceRef="found" targetRef="defect_found">'
        "<bpmn:conditionExpression>defect</bpmn:conditionExpression></bpmn:sequenceFlow></bpmn:subProcess>"
    )
    handling = (
        '<bpmn:boundaryEvent id="on_defect" attachedToRef="inspection">'
        '<bpmn:errorEventDefinition errorRef="Error_defect"/></bpmn:boundaryEvent>'
        + user_task("order_measures", "Maßnahmen anordnen")
        + '<bpmn:endEvent id="stop"><bpmn:terminateEventDefinition/></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="d1" sourceRef="on_defect" targetRef="order_measures"/>'
        '<bpmn:sequenceFlow id="d2" sourceRef="order_measures" targetRef="stop"/>'
    )
    error = '<bpmn:error id="Error_defect" name="Mangel" errorCode="defect"/>'
    process = compile_(diagram(START, inspection, user_task("report", "Bericht"), END, extra=handling, outside=error))
    step = complete(process, engine.start(process, data={}, perform=Recorder()), "inspect", {"defect": defect})
    assert ready(step) == [next_task]
    assert complete(process, step, next_task).completed


def dmn(entry: str = '"kita"', *, output: str = '"high"', decision_id: str = "risk_level") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="defs" name="D" namespace="https://x">
  <decision id="{decision_id}" name="Risk">
    <decisionTable id="table">
      <input id="in_setting" label="Setting">
        <inputExpression id="ie" typeRef="string"><text>setting</text></inputExpression>
      </input>
      <output id="out_risk" name="risk" typeRef="string"/>
      <rule id="r1">
        <inputEntry id="r1i"><text>{entry}</text></inputEntry>
        <outputEntry id="r1o"><text>{output}</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>"""


def test_business_rule_tasks_need_a_known_decision():
    xml = fixture("risk_assessment.bpmn")
    message = refusal(xml)
    assert 'calls the decision "risk_level", which is not in the DMN files' in message
    assert "(assess_risk)" in message
    assert "not in the DMN files" in refusal(xml, [dmn(decision_id="other")])


def test_invalid_dmn_is_refused():
    xml = fixture("risk_assessment.bpmn")
    assert "not well-formed XML" in refusal(xml, ["<definitions"])
    assert "not a DMN decision table file" in refusal(xml, [fixture("reply_decision.bpmn")])
    message = refusal(xml, [dmn(entry="setting.__class__")])
    assert 'Decision "Risk" (risk_level), rule 1' in message and "attribute access" in message
    assert "attribute access" in refusal(xml, [dmn(output="risk.upper()")])
    assert "hit policy" in refusal(xml, [dmn().replace('id="table"', 'id="table" hitPolicy="RULE ORDER"')])
    no_ids = dmn().replace('<rule id="r1">', "<rule>")
    assert "needs an id" in refusal(xml, [no_ids])
    message = refusal(xml, [dmn().replace('id="in_setting"', 'id="in_setting" bogus="1"')])
    assert "DMN file is not valid" in message


# --- running -----------------------------------------------------------------------------------


def test_four_eyes_instruction_runs_from_check_to_certificate():
    process = compile_(fixture("four_eyes_instruction.bpmn"))
    letters = Recorder(generate_letter={"letter_document": "d-1"})
    with time_machine.travel(MONDAY, tick=False):
        step = engine.start(process, data={"case_reference": "GA-1"}, perform=letters)
    [check] = step.ready_tasks
    assert (check.element_id, check.lane, check.form, check.four_eyes_of, check.due_at) == (
        "check_documents",
        "Sachbearbeitung",
        "instruction-document-check",
        "",
        None,
    )
    assert check.milestone == "in_review"
    assert step.active_element_ids == ("check_documents",)
    assert step.completed_element_ids == ("start_received",)
    assert step.next_timer_at is None and not step.completed

    # incomplete documents: the default flow asks for more, then back to the check
    step = complete(process, step, "check_documents", {"documents_complete": False}, letters)
    assert ready(step) == ["request_documents"]
    step = complete(process, step, "request_documents", {}, letters)
    assert ready(step) == ["check_documents"]

    with time_machine.travel(MONDAY + timedelta(hours=1), tick=False):
        step = complete(process, step, "check_documents", {"documents_complete": True}, letters)
    [approve] = step.ready_tasks
    assert (approve.element_id, approve.lane, approve.four_eyes_of) == (
        "approve_certificate",
        "Ärztlicher Dienst",
        "check_documents",
    )
    deadline = MONDAY + timedelta(hours=1, days=14)
    assert approve.due_at == deadline
    assert step.next_timer_at == deadline
    assert set(step.active_element_ids) == {"approve_certificate", "approval_deadline"}
    assert letters.calls == []

    step = complete(process, step, "approve_certificate", {"approved": True}, letters)
    assert step.completed and step.ready_tasks == ()
    assert step.next_timer_at is None
    assert letters.calls == [
        (
            "generate_letter",
            {"template": "instruction-certificate", "send_to_citizen": True},
            {"case_reference": "GA-1", "documents_complete": True, "approved": True},
        )
    ]
    assert step.data == {
        "case_reference": "GA-1",
        "documents_complete": True,
        "approved": True,
        "letter_document": "d-1",
    }
    assert step.completed_element_ids[-3:] == ("approve_certificate", "generate_certificate", "end_certificate_sent")
    assert "escalate_approval" not in step.completed_element_ids


def test_the_interrupting_boundary_timer_escalates_only_when_due():
    process = compile_(fixture("four_eyes_instruction.bpmn"))
    with time_machine.travel(MONDAY, tick=False):
        step = engine.start(process, data={}, perform=Recorder())
        step = complete(process, step, "check_documents", {"documents_complete": True})
    deadline = MONDAY + timedelta(days=14)
    assert step.next_timer_at == deadline

    with time_machine.travel(deadline - timedelta(minutes=1), tick=False):
        early = engine.fire_due_timers(process, state=step.state, perform=Recorder())
    assert ready(early) == ["approve_certificate"]
    assert early.next_timer_at == deadline

    with time_machine.travel(deadline + timedelta(minutes=1), tick=False):
        late = engine.fire_due_timers(process, state=early.state, perform=Recorder())
    assert ready(late) == ["escalate_approval"]  # the approval task was interrupted
    assert late.next_timer_at is None
    assert "approval_deadline" in late.completed_element_ids
    escalation = late.ready_tasks[0]
    assert (escalation.lane, escalation.four_eyes_of, escalation.due_at) == (
        "Ärztlicher Dienst",
        "check_documents",
        None,
    )

    # the interrupted task cannot be completed any more
    old_task = step.ready_tasks[0].task_id
    with pytest.raises(TaskNotReady):
        engine.complete_task(process, state=late.state, task_id=old_task, data={}, perform=Recorder())

    letters = Recorder()
    done = complete(process, late, "escalate_approval", {"approved": True}, letters)
    assert done.completed and [call[0] for call in letters.calls] == ["generate_letter"]


def test_an_explicit_now_fires_timers_without_travelling():
    process = compile_(fixture("four_eyes_instruction.bpmn"))
    step = engine.start(process, data={}, perform=Recorder())
    step = complete(process, step, "check_documents", {"documents_complete": True})
    not_yet = engine.fire_due_timers(
        process, state=step.state, perform=Recorder(), now=step.next_timer_at - timedelta(seconds=1)
    )
    assert ready(not_yet) == ["approve_certificate"]
    fired = engine.fire_due_timers(process, state=step.state, perform=Recorder(), now=step.next_timer_at)
    assert ready(fired) == ["escalate_approval"]


def test_intermediate_timers_wait_for_a_duration_and_for_a_date():
    process = compile_(fixture("follow_up_timers.bpmn"))
    with time_machine.travel(MONDAY, tick=False):
        step = engine.start(process, data={}, perform=Recorder())
        step = complete(process, step, "send_request")
    assert step.ready_tasks == ()
    assert step.active_element_ids == ("wait_two_hours",)
    assert step.next_timer_at == MONDAY + timedelta(hours=2)

    with time_machine.travel(MONDAY + timedelta(hours=1, minutes=59), tick=False):
        waiting = engine.fire_due_timers(process, state=step.state, perform=Recorder())
    assert waiting.ready_tasks == () and waiting.next_timer_at == MONDAY + timedelta(hours=2)

    with time_machine.travel(MONDAY + timedelta(hours=2, seconds=1), tick=False):
        step = engine.fire_due_timers(process, state=waiting.state, perform=Recorder())
        assert ready(step) == ["check_reply"]
        step = complete(process, step, "check_reply")
    assert step.next_timer_at == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)

    with time_machine.travel(datetime(2026, 12, 1, 7, 0, 1, tzinfo=UTC), tick=False):
        step = engine.fire_due_timers(process, state=step.state, perform=Recorder())
    assert ready(step) == ["close_file"]
    assert step.next_timer_at is None


@pytest.mark.parametrize(
    ("decision", "expected"),
    [("reply", ["write_reply"]), ("forward", ["forward"]), ("something else", ["forward"])],
)
def test_exclusive_gateway_takes_the_matching_branch_or_the_default(decision, expected):
    process = compile_(fixture("reply_decision.bpmn"))
    step = engine.start(process, data={}, perform=Recorder())
    assert ready(step) == ["triage"] and step.ready_tasks[0].form == "triage"
    step = complete(process, step, "triage", {"decision": decision})
    assert ready(step) == expected
    assert "gateway_decision" in step.completed_element_ids
    assert step.data["decision"] == decision


def test_a_missing_variable_at_a_gateway_is_named_and_the_state_stays_as_it_was():
    process = compile_(fixture("reply_decision.bpmn"))
    step = engine.start(process, data={}, perform=Recorder())
    before = copy.deepcopy(step.state)
    with pytest.raises(MissingVariable) as missing:
        complete(process, step, "triage", {"comment": "no decision given"})
    assert missing.value.name == "decision"
    assert step.state == before
    # the task is still open and can be completed properly
    assert ready(complete(process, step, "triage", {"decision": "reply"})) == ["write_reply"]


def test_a_gateway_without_match_and_default_stops_with_a_clear_error():
    gateway = '<bpmn:exclusiveGateway id="gw" name="Which way"/>'
    extra = (
        '<bpmn:sequenceFlow id="flow_yes" sourceRef="gw" targetRef="end">'
        "<bpmn:conditionExpression>answer == 1</bpmn:conditionExpression></bpmn:sequenceFlow>" + END
    )
    process = compile_(diagram(START, user_task("ask", "Ask"), gateway, extra=extra))
    step = engine.start(process, data={}, perform=Recorder())
    with pytest.raises(ProcessError) as stuck:
        complete(process, step, "ask", {"answer": 2})
    assert "Which way" in stuck.value.message


def test_completing_a_task_twice_is_refused():
    process = compile_(fixture("reply_decision.bpmn"))
    step = engine.start(process, data={}, perform=Recorder())
    task_id = step.ready_tasks[0].task_id
    after = engine.complete_task(
        process, state=step.state, task_id=task_id, data={"decision": "reply"}, perform=Recorder()
    )
    with pytest.raises(TaskNotReady) as refused:
        engine.complete_task(
            process, state=after.state, task_id=task_id, data={"decision": "reply"}, perform=Recorder()
        )
    assert "not open any more" in refusal_text(refused)
    for bogus in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(TaskNotReady):
            engine.complete_task(process, state=after.state, task_id=bogus, data={}, perform=Recorder())


def refusal_text(excinfo) -> str:
    return excinfo.value.message


def test_only_user_tasks_can_be_completed():
    process = compile_(fixture("follow_up_timers.bpmn"))
    step = complete(process, engine.start(process, data={}, perform=Recorder()), "send_request")
    workflow = engine._restore(process, step.state, None)
    timer_id = str(engine._timer_tasks(workflow)[0].id)
    with pytest.raises(TaskNotReady):
        engine.complete_task(process, state=step.state, task_id=timer_id, data={}, perform=Recorder())


def test_service_tasks_call_the_action_with_evaluated_parameters_and_merge_the_answer():
    nodes = [
        START,
        user_task("prepare", "Prepare"),
        service_task("letter", "generate_letter", template='"reminder"', copies="copies + 1", to='person["email"]'),
        service_task("notify", "send_message", result_variable="notification", channel='"sms"'),
        user_task("review", "Review"),
        END,
    ]
    process = compile_(diagram(*nodes))
    actions = Recorder(generate_letter={"letter_id": 42}, send_message={"sent": True, "id": "m-1"})
    step = engine.start(process, data={"copies": 1, "person": {"email": "a@example.org"}}, perform=actions)
    assert actions.calls == []
    step = complete(process, step, "prepare", {"ready": True}, actions)
    assert ready(step) == ["review"]
    assert actions.calls[0] == (
        "generate_letter",
        {"template": "reminder", "copies": 2, "to": "a@example.org"},
        {"copies": 1, "person": {"email": "a@example.org"}, "ready": True},
    )
    assert actions.calls[1][0:2] == ("send_message", {"channel": "sms"})
    assert actions.calls[1][2]["letter_id"] == 42  # the second action sees what the first answered
    assert step.data["letter_id"] == 42
    assert step.data["notification"] == {"sent": True, "id": "m-1"}
    assert "sent" not in step.data


def test_an_action_that_fails_propagates_and_leaves_the_state_alone():
    process = compile_(diagram(START, user_task("prepare", "Prepare"), service_task("letter", "generate_letter"), END))
    step = engine.start(process, data={}, perform=Recorder())
    before = copy.deepcopy(step.state)

    def broken(action, params, data):
        raise RuntimeError("printer on fire")

    with pytest.raises(RuntimeError, match="printer on fire"):
        complete(process, step, "prepare", {}, broken)
    assert step.state == before


def test_a_parameter_needing_missing_data_raises_missing_variable():
    process = compile_(diagram(START, service_task("letter", "generate_letter", to='person["email"]'), END))
    with pytest.raises(MissingVariable) as missing:
        engine.start(process, data={"person": {}}, perform=Recorder())
    assert missing.value.name == "person['email']"


@pytest.mark.parametrize(
    ("data", "risk", "expected"),
    [
        ({"age": 3, "setting": "kita"}, "high", ["immediate_measures"]),
        ({"age": 3, "setting": "home"}, "low", ["standard_procedure"]),
        ({"age": 12, "setting": "school"}, "medium", ["standard_procedure"]),
    ],
)
def test_a_dmn_decision_sets_the_variable_the_gateway_uses(data, risk, expected):
    process = compile_(fixture("risk_assessment.bpmn"), [fixture("risk_level.dmn")])
    step = engine.start(process, data=data, perform=Recorder())
    assert step.data["risk"] == risk
    assert ready(step) == expected
    assert "assess_risk" in step.completed_element_ids


def test_a_dmn_input_missing_from_the_case_data_raises_missing_variable():
    process = compile_(fixture("risk_assessment.bpmn"), [fixture("risk_level.dmn")])
    with pytest.raises(MissingVariable) as missing:
        engine.start(process, data={"age": 3}, perform=Recorder())
    assert missing.value.name == "setting"


def test_several_decisions_in_one_dmn_file_and_collect_policy():
    two = dmn().replace(
        "</definitions>",
        '<decision id="extra" name="Extra"><decisionTable id="t2" hitPolicy="COLLECT">'
        '<input id="i2"><inputExpression id="ie2"><text>age</text></inputExpression></input>'
        '<output id="o2" name="checks"/>'
        '<rule id="a"><inputEntry id="ai"><text>&lt; 6</text></inputEntry>'
        '<outputEntry id="ao"><text>"vaccination"</text></outputEntry></rule>'
        '<rule id="b"><inputEntry id="bi"><text>-</text></inputEntry>'
        '<outputEntry id="bo"><text>"hearing"</text></outputEntry></rule>'
        "</decisionTable></decision></definitions>",
    )
    task = (
        '<bpmn:businessRuleTask id="collect" name="Collect"><bpmn:extensionElements>'
        "<spiffworkflow:calledDecisionId>extra</spiffworkflow:calledDecisionId></bpmn:extensionElements></bpmn:businessRuleTask>"
    )
    process = compile_(diagram(START, task, user_task("done", "Done"), END), [two])
    step = engine.start(process, data={"age": 4}, perform=Recorder())
    assert step.data["checks"] == ["vaccination", "hearing"]


def test_a_parallel_gateway_opens_two_tasks_at_once():
    process = compile_(fixture("parallel_review.bpmn"))
    step = engine.start(process, data={}, perform=Recorder())
    assert sorted((t.element_id, t.lane) for t in step.ready_tasks) == [
        ("review_samples", "Labor"),
        ("write_report", "Hygiene"),
    ]
    step = complete(process, step, "review_samples", {"samples_ok": True})
    assert ready(step) == ["write_report"] and not step.completed
    step = complete(process, step, "write_report", {"report": "fine"})
    assert step.completed
    assert step.data == {"samples_ok": True, "report": "fine"}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"school": True, "daycare": True}, ["inform_daycare", "inform_school"]),
        ({"school": False, "daycare": True}, ["inform_daycare"]),
    ],
)
def test_an_inclusive_gateway_opens_every_branch_whose_condition_holds(data, expected):
    split = '<bpmn:inclusiveGateway id="split" name="Whom to inform"/>'
    extra = (
        user_task("inform_school", "Inform school")
        + user_task("inform_daycare", "Inform day-care centre")
        + '<bpmn:inclusiveGateway id="merge"/>'
        + END
        + '<bpmn:sequenceFlow id="flow_split_school" sourceRef="split" targetRef="inform_school">'
        "<bpmn:conditionExpression>school</bpmn:conditionExpression></bpmn:sequenceFlow>"
        '<bpmn:sequenceFlow id="flow_split_daycare" sourceRef="split" targetRef="inform_daycare">'
        "<bpmn:conditionExpression>daycare</bpmn:conditionExpression></bpmn:sequenceFlow>"
        '<bpmn:sequenceFlow id="m1" sourceRef="inform_school" targetRef="merge"/>'
        '<bpmn:sequenceFlow id="m2" sourceRef="inform_daycare" targetRef="merge"/>'
        '<bpmn:sequenceFlow id="m3" sourceRef="merge" targetRef="end"/>'
    )
    process = compile_(diagram(START, split, extra=extra))
    step = engine.start(process, data=data, perform=Recorder())
    assert sorted(ready(step)) == expected
    for element_id in expected:
        step = complete(process, step, element_id)
    assert step.completed


def test_state_round_trips_through_json():
    process = compile_(fixture("four_eyes_instruction.bpmn"))
    with time_machine.travel(MONDAY, tick=False):
        step = engine.start(process, data={"born": "2020-01-01", "nested": {"list": [1, 2]}}, perform=Recorder())
        step = complete(process, step, "check_documents", {"documents_complete": True})
    stored = json.loads(json.dumps(step.state))
    assert stored == step.state
    view = engine.step_of(process, state=stored)
    assert view.ready_tasks == step.ready_tasks
    assert view.next_timer_at == step.next_timer_at
    assert view.active_element_ids == step.active_element_ids
    assert view.completed_element_ids == step.completed_element_ids
    assert view.data == step.data
    assert stored == step.state  # reading does not change the stored state
    done = complete(process, view, "approve_certificate", {"approved": True})
    assert done.completed


def test_the_serializers_reserved_key_is_refused_in_case_data():
    process = compile_(fixture("reply_decision.bpmn"))
    with pytest.raises(ProcessError, match="reserved"):
        engine.start(process, data={"answers": {"typename": "x"}}, perform=Recorder())
    step = engine.start(process, data={}, perform=Recorder())
    with pytest.raises(ProcessError, match="reserved"):
        complete(process, step, "triage", {"typename": "datetime", "decision": "reply"})


def test_a_state_from_another_process_is_refused():
    reply = compile_(fixture("reply_decision.bpmn"))
    parallel = compile_(fixture("parallel_review.bpmn"))
    step = engine.start(reply, data={}, perform=Recorder())
    with pytest.raises(ValueError, match="does not belong"):
        engine.step_of(parallel, state=step.state)


def test_a_diagram_that_loops_without_waiting_is_stopped():
    gateway = '<bpmn:exclusiveGateway id="gw" name="Again?" default="flow_done"/>'
    extra = (
        '<bpmn:sequenceFlow id="flow_again" sourceRef="gw" targetRef="gw_in">'
        "<bpmn:conditionExpression>True</bpmn:conditionExpression></bpmn:sequenceFlow>"
        '<bpmn:sequenceFlow id="flow_done" sourceRef="gw" targetRef="end"/>' + END
    )
    merge = '<bpmn:exclusiveGateway id="gw_in" name="Loop"/>'
    process = compile_(diagram(START, merge, gateway, extra=extra))
    with pytest.raises(ProcessError, match="runs in circles"):
        engine.start(process, data={}, perform=Recorder())


def test_the_script_engine_never_executes_scripts():
    script_engine = engine._RestrictedScriptEngine()
    with pytest.raises(ExpressionError):
        script_engine.execute(None, "import os")
    with pytest.raises(ExpressionError):
        script_engine.validate("x.__class__")
