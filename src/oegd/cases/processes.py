"""Which process a case runs and its compiled form (cached per definition version).

Compiling a diagram parses and checks the BPMN and DMN; a published version never changes, so
each process compiles it once.
"""

from __future__ import annotations

from django.db.models import F, Q

from oegd.cases import engine
from oegd.cases.actions import known_actions
from oegd.cases.models import ProcessDefinition
from oegd.core.models import Office

_compiled: dict[int, engine.CompiledProcess] = {}


def compile_definition(bpmn_xml: str, dmn_xml: str = "") -> engine.CompiledProcess:
    """Check a diagram; raises ``engine.InvalidProcess`` naming the problem."""
    return engine.compile_process(bpmn_xml, [dmn_xml] if dmn_xml.strip() else [], known_actions=known_actions())


def compiled(definition: ProcessDefinition) -> engine.CompiledProcess:
    if definition.pk not in _compiled:
        _compiled[definition.pk] = compile_definition(definition.bpmn_xml, definition.dmn_xml)
    return _compiled[definition.pk]


def definition_for(*, key: str, office: Office) -> ProcessDefinition | None:
    """The newest published version of the office's variant of ``key``, else of the state library's."""
    published = ProcessDefinition.objects.filter(key=key, status=ProcessDefinition.Status.PUBLISHED)
    return (
        published.filter(Q(office=office) | Q(office__isnull=True))
        .order_by(F("office_id").asc(nulls_last=True), "-version")  # the office's variant first
        .first()
    )
