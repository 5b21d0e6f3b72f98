"""What a process diagram tells a person: the names of its steps, where a case stands and which
steps it has passed (for bpmn-js and for the text shown beside it to screen readers and without JS).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from oegd.cases.models import ProcessDefinition, ProcessInstance

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# Elements a case can stand on or pass; flows, lanes and annotations are no steps.
STEP_TAGS = frozenset(
    {
        "task",
        "userTask",
        "manualTask",
        "serviceTask",
        "businessRuleTask",
        "scriptTask",
        "sendTask",
        "receiveTask",
        "callActivity",
        "subProcess",
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "eventBasedGateway",
    }
)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


@dataclass(frozen=True)
class Step:
    element_id: str
    name: str
    kind: str  # the BPMN element, e.g. "userTask"


@dataclass(frozen=True)
class DiagramPosition:
    """A diagram with the elements to highlight and the same facts as text."""

    definition: ProcessDefinition
    active_ids: tuple[str, ...] = ()
    done_ids: tuple[str, ...] = ()
    current_steps: tuple[str, ...] = ()
    passed_steps: tuple[str, ...] = ()
    ended: bool = False
    data: dict[str, Any] = field(default_factory=dict)  # for the page's JSON data block


_steps_cache: dict[int, dict[str, Step]] = {}


def steps_of(bpmn_xml: str) -> dict[str, Step]:
    """The diagram's steps by element id (a published diagram is well-formed; others give {})."""
    try:
        root = etree.fromstring(bpmn_xml.encode(), _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return {}
    steps = {}
    for element in root.iter(f"{{{BPMN_NS}}}*"):
        kind = etree.QName(element).localname
        element_id = element.get("id")
        if kind in STEP_TAGS and element_id:
            steps[element_id] = Step(element_id, (element.get("name") or "").strip(), kind)
    return steps


def _steps_of_definition(definition: ProcessDefinition) -> dict[str, Step]:
    # Published versions never change, so their steps are parsed once per process.
    if definition.pk not in _steps_cache:
        _steps_cache[definition.pk] = steps_of(definition.bpmn_xml)
    return _steps_cache[definition.pk]


def _unique(ids: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(element_id) for element_id in ids or ()))


def position_of(process: ProcessInstance) -> DiagramPosition:
    """Where a case's process stands: active elements (current step) and the ones passed."""
    definition = process.definition
    steps = _steps_of_definition(definition)
    active = _unique(process.active_elements)
    done = tuple(element_id for element_id in _unique(process.completed_elements) if element_id not in active)

    def names(ids: tuple[str, ...], *, skip_boundary: bool = False) -> tuple[str, ...]:
        named = []
        for element_id in ids:
            step = steps.get(element_id)
            if step is None or not step.name or (skip_boundary and step.kind == "boundaryEvent"):
                continue  # unnamed joins and start events say nothing to a reader
            named.append(step.name)
        return tuple(named)

    return DiagramPosition(
        definition=definition,
        active_ids=active,
        done_ids=done,
        # A waiting deadline on a task is not a step of its own.
        current_steps=names(active, skip_boundary=True),
        passed_steps=names(done),
        ended=process.status != ProcessInstance.Status.RUNNING,
        data={"xml": definition.bpmn_xml, "active": list(active), "done": list(done)},
    )


def plain_diagram(definition: ProcessDefinition) -> DiagramPosition:
    """A version's diagram without a case on it (process library)."""
    return DiagramPosition(definition=definition, data={"xml": definition.bpmn_xml, "active": [], "done": []})
