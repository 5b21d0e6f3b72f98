"""The process engine: BPMN 2.0 diagrams (with DMN decision tables) executed by SpiffWorkflow.

This module knows nothing about Django models. ``compile_process`` checks and parses an uploaded
diagram once (the caller caches the result per definition version); ``start``, ``complete_task``,
``fire_due_timers`` and ``step_of`` move a workflow along and hand back a :class:`Step` with the
serialized state (for a JSONField), the user tasks that are ready and the next timer.

Diagrams come from state and office administrators, so they never run code: script tasks and
pre/post scripts are refused, and every expression goes through the restricted evaluator in
``conditions.py`` (our SpiffWorkflow script engine has no ``eval`` and no ``exec``).

BPMN conventions (SpiffWorkflow "spiff" extensions, ``xmlns:spiffworkflow=
"http://spiffworkflow.org/bpmn/schema/1.0/core"``):

- One executable process per file. A file may hold further processes that call activities call;
  if several executable processes remain uncalled, mark the main one with a process-level
  ``<spiffworkflow:properties><spiffworkflow:property name="main" value="true"/>``.
- User tasks (``bpmn:userTask``, also ``bpmn:manualTask``) need a name. Metadata as
  ``<spiffworkflow:properties>`` with ``<spiffworkflow:property name=... value=...>``:
  ``form`` (slug of the questionnaire the task shows; none = a plain "done" task with a comment),
  ``fourEyesOf`` (id of another user task: whoever completed that one may not complete this one,
  Vier-Augen-Prinzip), ``milestone`` (code of the milestone the citizen sees once the task is done).
  The lane (``bpmn:lane`` name) says which team or role works on the task.
- Service tasks call a platform action: ``<spiffworkflow:serviceTaskOperator id="generate_letter">``
  with ``<spiffworkflow:parameters><spiffworkflow:parameter id="template" type="str"
  value="&quot;instruction-certificate&quot;"/>``. Parameter values are expressions (string
  constants quoted). The action's answer (a mapping) is merged into the case data, or stored under
  ``resultVariable`` when the operator names one. Unknown action names are refused.
- Gateway conditions (``bpmn:conditionExpression``) are expressions of the restricted language,
  e.g. ``decision == "reply"`` or ``documents_complete``; exclusive gateways may have a default flow.
  A condition that needs a value the case data lacks raises ``MissingVariable``.
- Timers (boundary events, intermediate catch events) hold an ISO-8601 duration (``P14D``,
  ``PT2H``) in ``bpmn:timeDuration`` or a date with time zone (``2026-12-01T08:00:00+01:00``) in
  ``bpmn:timeDate``, quoted or bare. Repeating timers (``timeCycle``) and computed times are refused.
- Business rule tasks name a DMN decision with ``<spiffworkflow:calledDecisionId>``; the
  decision must be in the DMN files handed to ``compile_process`` (one decision table per
  decision; several decisions per file are fine). Input expressions and output entries are
  expressions; input entries are unary tests (``"a","b"``, ``> 5``, ``[1..5]``, ``-``, see
  ``conditions.matches_unary_tests``). Hit policies UNIQUE, FIRST, ANY (first matching rule) and
  COLLECT (lists of all matches).
- Supported besides: parallel and inclusive gateways, embedded subprocesses, call activities to
  processes of the same file, error/escalation/terminate end events and boundary events.
  Refused: script, send and receive tasks, event-based gateways, message, signal, conditional,
  compensation and link events, event subprocesses, transactions, ad-hoc subprocesses.

Running: ``ReadyTask.due_at`` is the earliest waiting boundary timer on the task or on a
subprocess around it. ``Step.data`` holds the variables of the open tasks (of the end, once
completed). Each call runs at most ``MAX_ENGINE_STEPS`` automatic steps (a diagram that loops
without waiting for anyone is stopped with ``ProcessError``). Variables must be JSON values
(dates, datetimes and decimals are converted); the key ``typename`` is reserved.

The stored state is SpiffWorkflow's own serialization of the workflow instance *without* the
process spec (that comes from the compiled definition), about 5-6 KB for a typical case. It is
never migrated with SpiffWorkflow's migrations (one of them calls ``eval``); a state written by
another serializer version is refused.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from collections import ChainMap
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from lxml import etree
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SERIALIZER_VERSION
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.specs.model import HitPolicy
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.defaults import ServiceTask as SpiffServiceTask
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState

from oegd.cases import conditions
from oegd.cases.conditions import ExpressionError, MissingVariable
from oegd.core.services import DomainError

__all__ = [
    "ActionRunner",
    "CompiledProcess",
    "ExpressionError",
    "InvalidProcess",
    "MissingVariable",
    "ProcessError",
    "ProcessInfo",
    "ReadyTask",
    "Step",
    "TaskNotReady",
    "UserTaskSpec",
    "compile_process",
    "complete_task",
    "fire_due_timers",
    "start",
    "step_of",
]

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}

MAX_DIAGRAM_BYTES = 5_000_000
MAX_ENGINE_STEPS = 500  # automatic steps per call; more means the diagram loops without waiting
# SpiffWorkflow's task iterator stops at depth 1000 and would then take the workflow for completed.
MAX_TREE_DEPTH = 900

FORM_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
ISO_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")

PROPERTY_XPATH = "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property"
USER_TASK_TAGS = ("userTask", "manualTask")
REFUSED_ELEMENTS = {
    "scriptTask": gettext_lazy("script tasks"),
    "script": gettext_lazy("scripts"),
    "sendTask": gettext_lazy("send tasks"),
    "receiveTask": gettext_lazy("receive tasks"),
    "eventBasedGateway": gettext_lazy("event-based gateways"),
    "complexGateway": gettext_lazy("complex gateways"),
    "adHocSubProcess": gettext_lazy("ad-hoc subprocesses"),
    "transaction": gettext_lazy("transactions"),
}
REFUSED_EVENT_DEFINITIONS = {
    "messageEventDefinition": gettext_lazy("message events"),
    "signalEventDefinition": gettext_lazy("signal events"),
    "conditionalEventDefinition": gettext_lazy("conditional events"),
    "compensateEventDefinition": gettext_lazy("compensation events"),
    "linkEventDefinition": gettext_lazy("link events"),
    "cancelEventDefinition": gettext_lazy("cancel events"),
}
EXPRESSION_TAGS = ("conditionExpression", "completionCondition", "loopCardinality", "loopCondition")


class InvalidProcess(DomainError):
    """An uploaded diagram or decision table is refused; the message names the problem."""


class TaskNotReady(DomainError):
    """The task is unknown or not ready any more (someone else completed it, or a timer ended it)."""


class ProcessError(DomainError):
    """The process cannot go on (no gateway condition matched, it loops without waiting, ...)."""


@dataclass(frozen=True)
class UserTaskSpec:
    element_id: str
    name: str
    lane: str
    form: str
    four_eyes_of: str
    milestone: str


@dataclass(frozen=True)
class ProcessInfo:
    process_id: str
    name: str
    user_tasks: tuple[UserTaskSpec, ...]
    actions: frozenset[str]
    element_ids: frozenset[str]

    def user_task(self, element_id: str) -> UserTaskSpec | None:
        return next((spec for spec in self.user_tasks if spec.element_id == element_id), None)


@dataclass
class CompiledProcess:
    """A checked, parsed diagram; safe to share between workflows and threads (specs are read-only)."""

    info: ProcessInfo
    spec: Any = field(repr=False)
    subprocess_specs: dict[str, Any] = field(repr=False, default_factory=dict)


@dataclass(frozen=True)
class ReadyTask:
    task_id: str
    element_id: str
    name: str
    lane: str
    form: str
    four_eyes_of: str
    due_at: datetime | None
    milestone: str = ""


@dataclass(frozen=True)
class Step:
    state: dict
    ready_tasks: tuple[ReadyTask, ...]
    completed: bool
    next_timer_at: datetime | None
    active_element_ids: tuple[str, ...]
    completed_element_ids: tuple[str, ...]
    data: dict


ActionRunner = Callable[[str, dict[str, Any], dict[str, Any]], Mapping[str, Any] | None]


# --- SpiffWorkflow plumbing ---------------------------------------------------------------------


class _RestrictedScriptEngine(PythonScriptEngine):
    """Evaluates through ``conditions``; never executes scripts. Carries the action runner."""

    def __init__(self, perform: ActionRunner | None = None) -> None:
        super().__init__()
        self.perform = perform

    def validate(self, expression: str) -> None:
        conditions.check_expression(expression)

    def evaluate(self, task: SpiffTask, expression: str, external_context: Mapping[str, Any] | None = None) -> Any:
        scope: Mapping[str, Any] = ChainMap(dict(external_context), task.data) if external_context else task.data
        return conditions.evaluate(expression, scope)

    def execute(self, task: SpiffTask, script: str, external_context: Any = None) -> Any:
        raise ExpressionError(_("Scripts are not allowed in processes."))

    def call_service(self, task: SpiffTask, **kwargs: Any) -> Any:
        raise ExpressionError(_("Service calls go through platform actions only."))


class _ActionTask(SpiffServiceTask):
    """A service task that calls a platform action (``perform``) and merges its answer."""

    def __init__(self, wf_spec: Any, bpmn_id: str, *, result_variable: str | None, **kwargs: Any) -> None:
        self.merge_result = not result_variable
        super().__init__(wf_spec, bpmn_id, result_variable=result_variable, **kwargs)

    def _execute(self, task: SpiffTask) -> bool:
        engine = task.workflow.script_engine
        params = {name: engine.evaluate(task, param["value"]) for name, param in self.operation_params.items()}
        if engine.perform is None:
            raise ProcessError(_("This step cannot run actions."))
        result = engine.perform(self.operation_name, params, copy.deepcopy(task.data))
        if result:
            if self.merge_result:
                task.data.update(_variables(result))
            else:
                task.data[self.result_variable] = _variables(result)
        return True


class _DecisionTable(DMNEngine):
    """Evaluates DMN rules with the restricted language and FEEL-style unary tests."""

    def decide(self, task: SpiffTask) -> list:
        table = self.decision_table
        first_only = table.hit_policy != HitPolicy.COLLECT.value
        matched = []
        inputs: dict[str, Any] = {}
        for rule in table.rules:
            if all(self._entry_matches(entry, task, inputs) for entry in rule.inputEntries):
                matched.append(rule)
                if first_only:
                    break
        return matched

    def _entry_matches(self, entry: Any, task: SpiffTask, inputs: dict) -> bool:
        text = entry.lhs[0] if entry.lhs else None
        if text is None or text.strip() in ("", "-"):
            return True
        if entry.input.id not in inputs:
            inputs[entry.input.id] = conditions.evaluate(entry.input.expression, task.data)
        return conditions.matches_unary_tests(text, inputs[entry.input.id], task.data)


class _Parser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (ServiceTaskParser, _ActionTask),
    }

    def get_engine(self, decision_ref: str, node: Any) -> DMNEngine:
        engine = super().get_engine(decision_ref, node)
        return _DecisionTable(engine.decision_table)


class _StateConverter(BpmnWorkflowConverter):
    """Serializes the workflow instance only; the spec comes from the compiled definition."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict, process: CompiledProcess | None = None) -> BpmnWorkflow:
        assert process is not None
        workflow = self.target_class(process.spec, process.subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _StateConverter
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    return BpmnWorkflowSerializer(registry)


_SERIALIZER = _make_serializer()
_STATE_FORMAT = "oegd-1"  # our envelope around SpiffWorkflow's serialization, without the spec

# SpiffWorkflow logs every state change at INFO and, while its loggers have no level of their own,
# attaches the task data (health data) to each record. Keep them quiet and data-free.
for _logger_name in ("spiff", "spiff.task", "spiff.workflow", "spiff.dmn"):
    logging.getLogger(_logger_name).setLevel(logging.WARNING)


# --- compiling ---------------------------------------------------------------------------------


def _safe_parse(xml: bytes | str, *, what: str) -> etree._Element:
    raw = xml.encode() if isinstance(xml, str) else bytes(xml)
    if len(raw) > MAX_DIAGRAM_BYTES:
        raise InvalidProcess(_("The %(what)s file is too large.") % {"what": what})
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(raw, parser)  # noqa: S320 - entities off, no network, no DTD
    except etree.XMLSyntaxError as exc:
        raise InvalidProcess(
            _("The %(what)s file is not well-formed XML (line %(line)s): %(detail)s")
            % {"what": what, "line": exc.lineno, "detail": exc.msg}
        ) from exc
    if root.getroottree().docinfo.doctype:
        raise InvalidProcess(_("The %(what)s file must not contain a DOCTYPE declaration.") % {"what": what})
    return root


def _label(node: etree._Element | None) -> str:
    """How messages name an element: its name and id."""
    if node is None:
        return "?"
    name, element_id = (node.get("name") or "").strip(), node.get("id") or "?"
    return f'"{name}" ({element_id})' if name else element_id


def _owner(node: etree._Element) -> etree._Element | None:
    """The nearest BPMN element with an id that holds ``node`` (for extension elements and scripts)."""
    parent = node.getparent()
    while parent is not None and not (etree.QName(parent).namespace == BPMN_NS and parent.get("id")):
        parent = parent.getparent()
    return parent


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname


def _properties(node: etree._Element) -> dict[str, str]:
    return {
        prop.get("name", ""): (prop.get("value") or "").strip()
        for prop in node.xpath(
            "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", namespaces=NS
        )
    }


def _check_expression_at(text: str | None, where: str) -> None:
    try:
        conditions.check_expression(text or "")
    except ExpressionError as exc:
        raise InvalidProcess(_("%(where)s: %(problem)s") % {"where": where, "problem": exc.message}) from exc


def _timer_value(text: str | None, kind: str, event: str) -> str:
    """The ISO string of a timer, from a quoted constant or bare text; refuse anything computed."""
    raw = (text or "").strip()
    constant: Any = raw
    if raw and raw[0] in "\"'":
        try:
            constant = conditions.evaluate(raw, {})
        except (ExpressionError, MissingVariable):
            constant = None
    value = constant.strip() if isinstance(constant, str) else ""
    bad = InvalidProcess(
        _(
            "Timer event %(event)s: %(value)s is not an ISO-8601 duration such as P14D or PT2H "
            "or a date with time zone such as 2026-12-01T08:00:00+01:00."
        )
        % {"event": event, "value": f'"{raw}"' if raw else _("an empty value")}
    )
    if not value:
        raise bad
    if kind == "timeDuration":
        if not ISO_DURATION.match(value.upper()):
            raise bad
        try:
            TimerEventDefinition.parse_iso_duration(value)
        except Exception as exc:  # SpiffWorkflow raises a bare Exception here
            raise bad from exc
        return value.upper()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise bad from exc
    if moment.tzinfo is None:
        raise InvalidProcess(
            _("Timer event %(event)s: the date %(value)s needs a time zone, e.g. +01:00.")
            % {"event": event, "value": value}
        )
    return value


def _check_timers(process_nodes: list[etree._Element]) -> None:
    for process in process_nodes:
        for definition in process.xpath(".//bpmn:timerEventDefinition", namespaces=NS):
            event = definition.getparent()
            label = _label(event)
            if _local(event) not in ("boundaryEvent", "intermediateCatchEvent"):
                raise InvalidProcess(
                    _("Timer event %(event)s: timers are only allowed on boundary and intermediate events.")
                    % {"event": label}
                )
            children = [child for child in definition if isinstance(child.tag, str)]
            kinds = [_local(child) for child in children]
            if "timeCycle" in kinds:
                raise InvalidProcess(
                    _("Timer event %(event)s: repeating timers (time cycles) are not supported.") % {"event": label}
                )
            times = [child for child in children if _local(child) in ("timeDuration", "timeDate")]
            if len(times) != 1:
                raise InvalidProcess(_("Timer event %(event)s has no duration or date.") % {"event": label})
            element = times[0]
            element.text = repr(_timer_value(element.text, _local(element), label))


def _check_elements(process_nodes: list[etree._Element], *, known_actions: Collection[str]) -> set[str]:
    """Refuse what may not run; return the action names used."""
    actions: set[str] = set()
    for process in process_nodes:
        _check_references(process)
        for node in process.iter():
            if not isinstance(node.tag, str):
                continue
            qname = etree.QName(node)
            local = qname.localname
            if qname.namespace == SPIFF_NS and local == "property" and not node.get("name"):
                raise InvalidProcess(
                    _("Element %(element)s: a property has no name.") % {"element": _label(_owner(node))}
                )
            if qname.namespace == SPIFF_NS and local in ("property", "parameter"):
                # SpiffWorkflow's parser needs these attributes
                node.set("value", node.get("value") or "")
                if local == "parameter":
                    node.set("type", node.get("type") or "any")
            if qname.namespace == SPIFF_NS and local in ("preScript", "postScript"):
                raise InvalidProcess(
                    _("Element %(element)s: pre- and post-scripts are not allowed.") % {"element": _label(_owner(node))}
                )
            if qname.namespace != BPMN_NS:
                continue
            if local in REFUSED_ELEMENTS:
                what = REFUSED_ELEMENTS[local]
                raise InvalidProcess(
                    _(
                        "Element %(element)s: %(what)s are not supported; processes must not run code or wait for "
                        "messages."
                    )
                    % {"element": _label(node if local != "script" else _owner(node)), "what": what}
                )
            if local in REFUSED_EVENT_DEFINITIONS:
                raise InvalidProcess(
                    _("Event %(event)s: %(what)s are not supported.")
                    % {"event": _label(node.getparent()), "what": REFUSED_EVENT_DEFINITIONS[local]}
                )
            if local == "subProcess" and node.get("triggeredByEvent") == "true":
                raise InvalidProcess(
                    _("Element %(element)s: event subprocesses are not supported.") % {"element": _label(node)}
                )
            if local in EXPRESSION_TAGS:
                owner = node.getparent()
                if _local(owner) in ("multiInstanceLoopCharacteristics", "standardLoopCharacteristics"):
                    owner = owner.getparent()
                if local == "conditionExpression":
                    where = _("Condition of flow %(flow)s") % {"flow": _label(owner)}
                else:
                    where = _("Element %(element)s") % {"element": _label(owner)}
                _check_expression_at(node.text, where)
            if local == "serviceTask":
                actions.add(_check_service_task(node, known_actions))
    return actions


def _check_references(process: etree._Element) -> None:
    """Sequence flows and boundary events must point at elements of the same process."""
    ids = {node.get("id") for node in process.iter() if isinstance(node.tag, str) and node.get("id")}
    for flow in process.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        for end in ("sourceRef", "targetRef"):
            if flow.get(end) not in ids:
                raise InvalidProcess(
                    _('Sequence flow %(flow)s: %(end)s "%(target)s" is not an element of this process.')
                    % {"flow": _label(flow), "end": end, "target": flow.get(end) or ""}
                )
    for event in process.iter(f"{{{BPMN_NS}}}boundaryEvent"):
        if event.get("attachedToRef") not in ids:
            raise InvalidProcess(
                _('Boundary event %(event)s is attached to "%(target)s", which is not an element of this process.')
                % {"event": _label(event), "target": event.get("attachedToRef") or ""}
            )


def _check_service_task(node: etree._Element, known_actions: Collection[str]) -> str:
    label = _label(node)
    operators = node.xpath("./bpmn:extensionElements/spiffworkflow:serviceTaskOperator", namespaces=NS)
    if len(operators) != 1 or not (operators[0].get("id") or "").strip():
        raise InvalidProcess(
            _("Service task %(task)s names no action (spiffworkflow:serviceTaskOperator id=...).") % {"task": label}
        )
    action = operators[0].get("id").strip()
    if action not in known_actions:
        raise InvalidProcess(
            _('Service task %(task)s: the action "%(action)s" is unknown. Known actions: %(known)s.')
            % {"task": label, "action": action, "known": ", ".join(sorted(known_actions)) or "-"}
        )
    for parameter in operators[0].xpath(".//spiffworkflow:parameter", namespaces=NS):
        where = _('Service task %(task)s, parameter "%(parameter)s"') % {
            "task": label,
            "parameter": parameter.get("id", "?"),
        }
        if not parameter.get("id"):
            raise InvalidProcess(_("%(where)s: the parameter has no id.") % {"where": where})
        _check_expression_at(parameter.get("value"), where)
    return action


def _check_user_tasks(process_nodes: list[etree._Element]) -> None:
    user_tasks = [
        node for process in process_nodes for tag in USER_TASK_TAGS for node in process.iter(f"{{{BPMN_NS}}}{tag}")
    ]
    ids = {node.get("id") for node in user_tasks}
    for node in user_tasks:
        label = _label(node)
        if not (node.get("name") or "").strip():
            raise InvalidProcess(_("User task %(task)s has no name.") % {"task": label})
        props = _properties(node)
        form = props.get("form", "")
        if form and not FORM_SLUG.match(form):
            raise InvalidProcess(
                _('User task %(task)s: "%(form)s" is not a form key (letters, digits, - and _).')
                % {"task": label, "form": form}
            )
        milestone = props.get("milestone", "")
        if milestone and not FORM_SLUG.match(milestone):
            raise InvalidProcess(
                _('User task %(task)s: "%(milestone)s" is not a milestone code.')
                % {"task": label, "milestone": milestone}
            )
        other = props.get("fourEyesOf", "")
        if other and (other not in ids or other == node.get("id")):
            raise InvalidProcess(
                _('User task %(task)s: fourEyesOf names "%(other)s", which is not another user task of this process.')
                % {"task": label, "other": other}
            )


def _business_rule_refs(process_nodes: list[etree._Element]) -> list[tuple[etree._Element, str]]:
    refs = []
    for process in process_nodes:
        for node in process.iter(f"{{{BPMN_NS}}}businessRuleTask"):
            found = node.xpath("./bpmn:extensionElements/spiffworkflow:calledDecisionId/text()", namespaces=NS)
            refs.append((node, (found[0] if found else "").strip()))
    return refs


def _main_process(root: etree._Element) -> tuple[etree._Element, dict[str, etree._Element]]:
    processes = {node.get("id"): node for node in root.xpath("./bpmn:process", namespaces=NS)}
    executable = {pid: node for pid, node in processes.items() if node.get("isExecutable", "true") == "true"}
    called: set[str] = set()
    for node in root.iter(f"{{{BPMN_NS}}}callActivity"):
        target = (node.get("calledElement") or "").strip()
        if target not in executable:
            raise InvalidProcess(
                _(
                    'Call activity %(element)s calls the process "%(target)s", which is not an executable process of '
                    "this file."
                )
                % {"element": _label(node), "target": target or "-"}
            )
        called.add(target)
    if not executable:
        raise InvalidProcess(_('The diagram has no executable process (isExecutable="true").'))
    candidates = [node for pid, node in executable.items() if pid not in called]
    if len(candidates) > 1:
        marked = [node for node in candidates if _properties(node).get("main", "").lower() == "true"]
        if len(marked) != 1:
            raise InvalidProcess(
                _(
                    "The diagram holds several executable processes (%(ids)s). Mark the main one with the "
                    'property main="true" or make the others non-executable.'
                )
                % {"ids": ", ".join(sorted(node.get("id") for node in candidates))}
            )
        candidates = marked
    if not candidates:
        raise InvalidProcess(_("Every process of the diagram is called by another; there is no main process."))
    return candidates[0], executable


def _add_decisions(parser: _Parser, dmn_xmls: Sequence[bytes | str]) -> set[str]:
    """Add every decision of the DMN files; one document per decision (SpiffWorkflow reads one)."""
    decision_ids: set[str] = set()
    for xml in dmn_xmls:
        if not xml or not (xml.strip() if isinstance(xml, str) else xml.strip()):
            continue
        root = _safe_parse(xml, what="DMN")
        namespace = etree.QName(root).namespace or ""
        if _local(root) != "definitions" or "omg.org/spec/DMN" not in namespace:
            raise InvalidProcess(_("This is not a DMN decision table file (DMN 1.1 to 1.3)."))
        decisions = [child for child in root if isinstance(child.tag, str) and _local(child) == "decision"]
        if not decisions:
            raise InvalidProcess(_("The DMN file holds no decision."))
        for decision in decisions:
            _check_decision(decision, namespace)
            if decision.get("id") in decision_ids:
                raise InvalidProcess(_('The decision "%(id)s" is defined twice.') % {"id": decision.get("id")})
            decision_ids.add(decision.get("id"))
            single = copy.deepcopy(root)
            for other in [c for c in single if isinstance(c.tag, str) and _local(c) == "decision"]:
                if other.get("id") != decision.get("id"):
                    single.remove(other)
            try:
                parser.add_dmn_xml(single)
            except ValidationException as exc:
                raise InvalidProcess(
                    _("The DMN file is not valid (line %(line)s): %(detail)s.")
                    % {
                        "line": getattr(exc, "line_number", "?") or "?",
                        "detail": str(exc).splitlines()[0].strip().rstrip("."),
                    }
                ) from exc
    return decision_ids


def _check_decision(decision: etree._Element, namespace: str) -> None:
    ns = {"dmn": namespace}
    label = _label(decision)
    tables = decision.xpath("./dmn:decisionTable", namespaces=ns)
    if len(tables) != 1:
        raise InvalidProcess(_("Decision %(decision)s must hold exactly one decision table.") % {"decision": label})
    table = tables[0]
    policy = (table.get("hitPolicy") or "UNIQUE").upper()
    if policy not in ("UNIQUE", "FIRST", "ANY", "COLLECT") or table.get("aggregation"):
        raise InvalidProcess(
            _("Decision %(decision)s: the hit policy %(policy)s is not supported (UNIQUE, FIRST, ANY, COLLECT).")
            % {
                "decision": label,
                "policy": policy + (" " + table.get("aggregation") if table.get("aggregation") else ""),
            }
        )
    for position, input_node in enumerate(table.xpath("./dmn:input", namespaces=ns), start=1):
        text = input_node.xpath("./dmn:inputExpression/dmn:text/text()", namespaces=ns)
        where = _("Decision %(decision)s, input %(input)s") % {
            "decision": label,
            "input": input_node.get("label") or position,
        }
        if not text or not text[0].strip():
            raise InvalidProcess(_("%(where)s has no input expression.") % {"where": where})
        if not input_node.get("id"):
            raise InvalidProcess(_("%(where)s needs an id.") % {"where": where})
        _check_expression_at(text[0], where)
    for output_node in table.xpath("./dmn:output", namespaces=ns):
        if not output_node.get("id") or not (output_node.get("name") or output_node.get("label")):
            raise InvalidProcess(
                _("Decision %(decision)s: every output needs an id and a name (the variable it sets).")
                % {"decision": label}
            )
    for row, rule in enumerate(table.xpath("./dmn:rule", namespaces=ns), start=1):
        where = _("Decision %(decision)s, rule %(row)s") % {"decision": label, "row": row}
        parts = [rule, *rule.xpath("./dmn:inputEntry | ./dmn:outputEntry", namespaces=ns)]
        if any(not part.get("id") for part in parts):
            raise InvalidProcess(_("%(where)s: every rule and entry needs an id.") % {"where": where})
        for entry in rule.xpath("./dmn:inputEntry/dmn:text", namespaces=ns):
            try:
                conditions.check_unary_tests(entry.text)
            except ExpressionError as exc:
                raise InvalidProcess(_("%(where)s: %(problem)s") % {"where": where, "problem": exc.message}) from exc
        for entry in rule.xpath("./dmn:outputEntry/dmn:text", namespaces=ns):
            if entry.text and entry.text.strip():
                _check_expression_at(entry.text, where)


def _spiff_problem(exc: Exception) -> InvalidProcess:
    detail = (str(exc).splitlines()[0] if str(exc) else type(exc).__name__).strip().rstrip(".")
    element = getattr(exc, "id", "") or ""
    if element:
        name = getattr(exc, "name", "") or ""
        return InvalidProcess(
            _("The diagram is not valid at %(element)s: %(detail)s.")
            % {"element": f'"{name}" ({element})' if name else element, "detail": detail}
        )
    line = getattr(exc, "line_number", "")
    if line:
        return InvalidProcess(
            _("The diagram is not valid BPMN 2.0 (line %(line)s): %(detail)s.") % {"line": line, "detail": detail}
        )
    return InvalidProcess(_("The diagram is not valid: %(detail)s.") % {"detail": detail})


def compile_process(
    bpmn_xml: bytes | str, dmn_xmls: Sequence[bytes | str] = (), *, known_actions: Collection[str]
) -> CompiledProcess:
    """Check and parse a BPMN diagram (and its DMN decision tables) for execution.

    Raises :class:`InvalidProcess` with a message that names the problem and the element. The
    result does not depend on anything but its arguments; cache it per definition version.
    """
    root = _safe_parse(bpmn_xml, what="BPMN")
    if etree.QName(root).namespace != BPMN_NS or _local(root) != "definitions":
        raise InvalidProcess(_("This is not a BPMN 2.0 diagram."))
    try:
        VALIDATOR.validate(root)  # the BPMN 2.0 XSD (with SpiffWorkflow's extensions) first
    except ValidationException as exc:
        raise _spiff_problem(exc) from exc
    main, executable = _main_process(root)
    process_nodes = list(executable.values())
    actions = _check_elements(process_nodes, known_actions=known_actions)
    _check_user_tasks(process_nodes)
    _check_timers(process_nodes)

    parser = _Parser(validator=VALIDATOR)
    decision_ids = _add_decisions(parser, dmn_xmls)
    for node, ref in _business_rule_refs(process_nodes):
        if not ref:
            raise InvalidProcess(
                _("Business rule task %(task)s names no decision (spiffworkflow:calledDecisionId).")
                % {"task": _label(node)}
            )
        if ref not in decision_ids:
            raise InvalidProcess(
                _('Business rule task %(task)s calls the decision "%(decision)s", which is not in the DMN files.')
                % {"task": _label(node), "decision": ref}
            )
    try:
        parser.add_bpmn_xml(root, filename="process.bpmn")
        spec = parser.get_spec(main.get("id"))
        subprocess_specs = parser.get_subprocess_specs(main.get("id"))
    except InvalidProcess:
        raise
    except Exception as exc:  # any parser failure on uploaded content means the diagram is invalid
        raise _spiff_problem(exc) from exc

    all_specs = [spec, *subprocess_specs.values()]
    user_tasks = []
    element_ids: set[str] = set()
    for process_spec in all_specs:
        for task_spec in process_spec.task_specs.values():
            if task_spec.bpmn_id:
                element_ids.add(task_spec.bpmn_id)
            if task_spec.bpmn_id and task_spec.manual:
                user_tasks.append(_user_task_spec(task_spec))
    for process in process_nodes:
        element_ids.update(node.get("id") for node in process.iter(f"{{{BPMN_NS}}}sequenceFlow") if node.get("id"))
    info = ProcessInfo(
        process_id=main.get("id"),
        name=(main.get("name") or "").strip() or main.get("id"),
        user_tasks=tuple(sorted(user_tasks, key=lambda t: t.element_id)),
        actions=frozenset(actions),
        element_ids=frozenset(element_ids),
    )
    return CompiledProcess(info=info, spec=spec, subprocess_specs=subprocess_specs)


def _user_task_spec(task_spec: Any) -> UserTaskSpec:
    props = (getattr(task_spec, "extensions", None) or {}).get("properties") or {}
    return UserTaskSpec(
        element_id=task_spec.bpmn_id,
        name=(task_spec.bpmn_name or "").strip(),
        lane=task_spec.lane or "",
        form=(props.get("form") or "").strip(),
        four_eyes_of=(props.get("fourEyesOf") or "").strip(),
        milestone=(props.get("milestone") or "").strip(),
    )


# --- running -----------------------------------------------------------------------------------


def _workflow_error(exc: SpiffWorkflowException) -> DomainError:
    """Our own refusal hidden inside SpiffWorkflow's wrapper, else a ProcessError naming the element."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DomainError):
            return current
        current = getattr(current, "exception", None) or current.__cause__ or current.__context__
    task_spec = getattr(exc, "task_spec", None) or getattr(getattr(exc, "task", None), "task_spec", None)
    element = (getattr(task_spec, "bpmn_name", None) or getattr(task_spec, "bpmn_id", None) or "") if task_spec else ""
    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return ProcessError(
        _("The process cannot continue at %(element)s: %(detail)s") % {"element": element or "?", "detail": detail}
    )


def _advance(workflow: BpmnWorkflow) -> None:
    """Run automatic steps (gateways, service tasks, fired timers) until the process waits."""
    steps = 0

    def count(task: SpiffTask) -> None:
        nonlocal steps
        steps += 1
        if steps > MAX_ENGINE_STEPS:
            raise ProcessError(
                _("The process runs in circles at %(element)s without waiting for anyone.")
                % {"element": task.task_spec.bpmn_name or task.task_spec.bpmn_id or task.task_spec.name}
            )

    try:
        while True:
            before = steps
            workflow.refresh_timers()
            workflow.do_engine_steps(will_complete_task=count)
            automatic_ready = any(not task.task_spec.manual for task in workflow.get_tasks(state=TaskState.READY))
            if steps == before or not automatic_ready:
                break
    except SpiffWorkflowException as exc:
        raise _workflow_error(exc) from exc
    depth, task = 0, workflow.last_task
    while task is not None:
        depth, task = depth + 1, task.parent
    if depth > MAX_TREE_DEPTH:
        raise ProcessError(
            _("This case has gone through more steps than one process can hold; please start a new one.")
        )


def _plain_copy(data: Mapping[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(dict(data))


def _variables(data: Mapping[str, Any]) -> dict[str, Any]:
    """A detached copy of variables going into the workflow; "typename" would confuse the serializer."""
    copied = _plain_copy(data)
    pending: list[Any] = [copied]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            if "typename" in value:
                raise ProcessError(_('"typename" is a reserved name and cannot be used as a variable or key.'))
            pending.extend(value.values())
        elif isinstance(value, list | tuple):
            pending.extend(value)
    return copied


def _dump(process: CompiledProcess, workflow: BpmnWorkflow) -> dict:
    dct = _SERIALIZER.to_dict(workflow)
    dct["serializer_version"] = SERIALIZER_VERSION
    dct["format"] = _STATE_FORMAT
    dct["process_id"] = process.info.process_id
    return json.loads(json.dumps(dct))  # a plain JSON copy, detached from the workflow


def _parents_first(dct: dict) -> None:
    """Order the serialized tasks so each parent comes before its children. SpiffWorkflow rebuilds a
    task's data from its parent's (delta encoding) while it creates the tasks in mapping order;
    PostgreSQL's jsonb does not keep key order, so a state read back from a JSONField needs this."""
    for workflow in (dct, *(dct.get("subprocesses") or {}).values()):
        tasks = workflow.get("tasks") or {}
        ordered: dict[str, Any] = {}
        pending = [task_id for task_id, task in tasks.items() if task.get("parent") not in tasks]
        while pending:
            task_id = pending.pop()
            if task_id in ordered:
                continue
            ordered[task_id] = tasks[task_id]
            pending.extend(child for child in reversed(tasks[task_id].get("children") or []) if child in tasks)
        ordered.update(tasks)  # anything unreachable keeps its place at the end
        workflow["tasks"] = ordered


def _restore(process: CompiledProcess, state: Mapping[str, Any], perform: ActionRunner | None) -> BpmnWorkflow:
    if (
        not isinstance(state, Mapping)
        or state.get("format") != _STATE_FORMAT
        or state.get("serializer_version") != SERIALIZER_VERSION
        or state.get("process_id") != process.info.process_id
    ):
        raise ValueError("The stored workflow state does not belong to this process definition.")
    dct = json.loads(json.dumps(dict(state)))  # from_dict consumes its input; the caller's state stays intact
    for key in ("format", "serializer_version", "process_id"):
        dct.pop(key)
    _parents_first(dct)
    workflow = _SERIALIZER.from_dict(dct, process=process)
    workflow.script_engine = _RestrictedScriptEngine(perform)
    return workflow


def _is_timer(task: SpiffTask) -> bool:
    return isinstance(task.task_spec, CatchingEvent) and isinstance(
        task.task_spec.event_definition, TimeDateEventDefinition | DurationTimerEventDefinition
    )


def _timer_tasks(workflow: BpmnWorkflow) -> list[SpiffTask]:
    return [task for task in workflow.get_tasks(state=TaskState.WAITING) if _is_timer(task)]


def _fire_time(task: SpiffTask) -> datetime | None:
    """When a waiting timer fires: SpiffWorkflow keeps it as an ISO string in the task's internal data."""
    value = task._get_internal_data("event_value")
    return TimerEventDefinition.get_datetime(value) if isinstance(value, str) and value else None


def _due_at(task: SpiffTask) -> datetime | None:
    """The task's deadline: the earliest waiting boundary timer on it or on a subprocess around it."""
    times: list[datetime] = []
    current: SpiffTask | None = task
    while current is not None:
        parent = current.parent
        if parent is not None and isinstance(parent.task_spec, BoundaryEventSplit):
            for sibling in parent.children:
                if sibling is not current and sibling.state == TaskState.WAITING and _is_timer(sibling):
                    moment = _fire_time(sibling)
                    if moment is not None:
                        times.append(moment)
        parent_task_id = getattr(current.workflow, "parent_task_id", None)
        current = current.workflow.top_workflow.get_task_from_id(parent_task_id) if parent_task_id else None
    return min(times, default=None)


def _step(process: CompiledProcess, workflow: BpmnWorkflow) -> Step:
    ready = []
    for task in workflow.get_tasks(state=TaskState.READY, manual=True):
        spec = process.info.user_task(task.task_spec.bpmn_id) or _user_task_spec(task.task_spec)
        ready.append(
            ReadyTask(
                task_id=str(task.id),
                element_id=spec.element_id,
                name=spec.name,
                lane=spec.lane,
                form=spec.form,
                four_eyes_of=spec.four_eyes_of,
                due_at=_due_at(task),
                milestone=spec.milestone,
            )
        )
    timer_times = [moment for moment in (_fire_time(task) for task in _timer_tasks(workflow)) if moment]
    active: list[str] = []
    finished: list[tuple[float, str]] = []
    waiting_tasks = []
    for task in workflow.get_tasks():
        element = task.task_spec.bpmn_id
        if task.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED):
            waiting_tasks.append(task)
            if element and element not in active:
                active.append(element)
        elif task.state == TaskState.COMPLETED and element:
            finished.append((task.last_state_change, element))
    completed_ids: list[str] = []
    for _at, element in sorted(finished):
        if element not in completed_ids:
            completed_ids.append(element)
    completed = workflow.is_completed()
    if completed:
        data = _plain_copy(workflow.last_task.data if workflow.last_task else {})
        data.update(_plain_copy(workflow.data))
        data.pop("data_objects", None)
    else:
        data = {}
        for task in waiting_tasks:
            data.update(_plain_copy(task.data))
    return Step(
        state=_dump(process, workflow),
        ready_tasks=tuple(ready),
        completed=completed,
        next_timer_at=min(timer_times) if timer_times else None,
        active_element_ids=tuple(active),
        completed_element_ids=tuple(completed_ids),
        data=data,
    )


def start(process: CompiledProcess, *, data: Mapping[str, Any], perform: ActionRunner) -> Step:
    """Start a workflow with the case data and run it until it waits for people or timers."""
    workflow = BpmnWorkflow(process.spec, process.subprocess_specs, script_engine=_RestrictedScriptEngine(perform))
    workflow.task_tree.data.update(_variables(data))
    _advance(workflow)
    return _step(process, workflow)


def complete_task(
    process: CompiledProcess, *, state: dict, task_id: str, data: Mapping[str, Any], perform: ActionRunner
) -> Step:
    """Complete a ready user task with ``data`` merged into it, then run on until the process waits.

    Raises :class:`TaskNotReady` when the task is unknown or not ready any more. ``state`` itself is
    never changed; on any error the caller keeps it as it was.
    """
    workflow = _restore(process, state, perform)
    try:
        task = workflow.get_task_from_id(UUID(str(task_id)))
    except (ValueError, TaskNotFoundException):
        task = None
    if task is None or task.state != TaskState.READY or not task.task_spec.manual:
        raise TaskNotReady(_("This task is not open any more; perhaps someone else has completed it."))
    task.data.update(_variables(data))
    try:
        task.run()
    except SpiffWorkflowException as exc:
        raise _workflow_error(exc) from exc
    _advance(workflow)
    return _step(process, workflow)


def fire_due_timers(
    process: CompiledProcess, *, state: dict, perform: ActionRunner, now: datetime | None = None
) -> Step:
    """Fire the timers whose time has come (``now``, default the current time) and run on."""
    workflow = _restore(process, state, perform)
    moment = now or datetime.now(UTC)
    for task in _timer_tasks(workflow):
        at = _fire_time(task)
        if at is not None and at <= moment:
            task._set_internal_data(event_fired=True)
    _advance(workflow)
    return _step(process, workflow)


def step_of(process: CompiledProcess, *, state: dict) -> Step:
    """The view of a stored state (ready tasks, timers, highlighted elements), without running anything."""
    return _step(process, _restore(process, state, None))
