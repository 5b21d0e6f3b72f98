"""Test data for case management: task forms, a small published process, case types and cases.

The review process (``REVIEW_BPMN``): "Unterlagen prüfen" (form ``test-check``, lane
Sachbearbeitung) → gateway on ``documents_complete`` → "Bescheinigung freigeben" (form
``test-approve``, four-eyes of the check, lane Ärztlicher Dienst) → milestone "decision_made" →
end; incomplete documents → "Unterlagen nachfordern" (no form) → back to the check.
"""

from __future__ import annotations

from itertools import count
from typing import Any

from django.utils import timezone

from oegd.cases import services
from oegd.cases.models import Case, CaseSubject, CaseType, Person, ProcessDefinition, Task
from oegd.core.models import Department, Office, User
from oegd.forms.models import FormDefinition, FormVersion

_references = count(1)

REVIEW_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="Definitions_review" targetNamespace="https://oegd.example/processes">
  <bpmn:collaboration id="Collaboration_review">
    <bpmn:participant id="Participant_office" processRef="review" />
  </bpmn:collaboration>
  <bpmn:process id="review" name="Prüfung mit Freigabe" isExecutable="true">
    <bpmn:laneSet id="LaneSet_review">
      <bpmn:lane id="Lane_clerks" name="Sachbearbeitung">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>check_documents</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>complete_gateway</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>request_documents</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>decided</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="Lane_physicians" name="Ärztlicher Dienst">
        <bpmn:flowNodeRef>approve</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="check_documents" name="Unterlagen prüfen">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="form" value="test-check" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>f5</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="complete_gateway" name="Vollständig?" default="f4">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:userTask id="request_documents" name="Unterlagen nachfordern">
      <bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="approve" name="Bescheinigung freigeben">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="form" value="test-approve" />
        <spiffworkflow:property name="fourEyesOf" value="check_documents" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f6</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:serviceTask id="decided" name="Entschieden">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="set_milestone">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="code" type="str" value="&quot;decision_made&quot;" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>f6</bpmn:incoming><bpmn:outgoing>f7</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f7</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check_documents" />
    <bpmn:sequenceFlow id="f2" sourceRef="check_documents" targetRef="complete_gateway" />
    <bpmn:sequenceFlow id="f3" sourceRef="complete_gateway" targetRef="approve">
      <bpmn:conditionExpression>documents_complete</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f4" sourceRef="complete_gateway" targetRef="request_documents" />
    <bpmn:sequenceFlow id="f5" sourceRef="request_documents" targetRef="check_documents" />
    <bpmn:sequenceFlow id="f6" sourceRef="approve" targetRef="decided" />
    <bpmn:sequenceFlow id="f7" sourceRef="decided" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def _translated(text: str, english: str) -> dict[str, Any]:
    return {
        "extension": [
            {
                "url": "http://hl7.org/fhir/StructureDefinition/translation",
                "extension": [{"url": "lang", "valueCode": "en"}, {"url": "content", "valueString": english}],
            }
        ]
    }


def _question(link_id: str, item_type: str, text: str, english: str, **extra: Any) -> dict[str, Any]:
    return {"linkId": link_id, "type": item_type, "text": text, "_text": _translated(text, english), **extra}


CHECK_QUESTIONNAIRE = {
    "resourceType": "Questionnaire",
    "url": "https://oegd.example/fhir/Questionnaire/test-check",
    "status": "active",
    "title": "Unterlagen prüfen",
    "item": [
        {
            **_question("check", "group", "Prüfung", "Check"),
            "item": [
                _question(
                    "documents_complete", "boolean", "Unterlagen vollständig?", "Documents complete?", required=True
                ),
                _question("pages", "integer", "Seitenzahl", "Number of pages"),
                _question("fee", "decimal", "Gebühr", "Fee"),
                _question(
                    "decision",
                    "choice",
                    "Entscheidung",
                    "Decision",
                    answerOption=[
                        {"valueCoding": {"code": "accept", "display": "Annehmen"}},
                        {"valueCoding": {"code": "reject", "display": "Ablehnen"}},
                    ],
                ),
                _question("checked_on", "date", "Geprüft am", "Checked on"),
                _question("remark", "text", "Bemerkung", "Remark"),
            ],
        }
    ],
}

APPROVE_QUESTIONNAIRE = {
    "resourceType": "Questionnaire",
    "url": "https://oegd.example/fhir/Questionnaire/test-approve",
    "status": "active",
    "title": "Freigabe",
    "item": [_question("approved", "boolean", "Freigegeben?", "Approved?", required=True)],
}


def questionnaire(slug: str, resource: dict[str, Any]) -> FormDefinition:
    form, _created = FormDefinition.objects.get_or_create(
        slug=slug, defaults={"url": resource["url"], "title": resource["title"]}
    )
    if not form.versions.filter(status=FormVersion.Status.ACTIVE).exists():
        FormVersion.objects.create(
            form=form, version=1, status=FormVersion.Status.ACTIVE, resource=resource, published_at=timezone.now()
        )
    return form


def review_process(actor: User | None = None, *, key: str = "review") -> ProcessDefinition:
    """The review process published in the state library, with its two task forms and a case type."""
    questionnaire("test-check", CHECK_QUESTIONNAIRE)
    questionnaire("test-approve", APPROVE_QUESTIONNAIRE)
    definition = ProcessDefinition.objects.filter(key=key, office=None).first()
    if definition is None:
        definition = services.publish_process_definition(actor=actor, key=key, name="Prüfung", bpmn_xml=REVIEW_BPMN)
    CaseType.objects.get_or_create(
        slug="review",
        version=1,
        defaults={"name": "Prüfung", "process_key": key, "checklist": ["Ausweis gesehen", "Gebühr bezahlt"]},
    )
    return definition


def teams(office: Office) -> dict[str, Department]:
    """The office's two teams, named like the process's lanes."""
    return {
        name: Department.objects.get_or_create(office=office, name=name)[0]
        for name in ("Sachbearbeitung", "Ärztlicher Dienst")
    }


def review_case(
    actor: User, office: Office, *, title: str = "Antrag auf Bescheinigung", reference: str = "", person: str = ""
) -> Case:
    """A case of type "review" with its process running (first task: the check)."""
    review_process(actor)
    teams(office)
    reference = reference or f"TEST-{next(_references):04d}-X"
    case = services.open_case(actor=actor, office=office, case_type="review", title=title, reference=reference)
    if person:
        family, _sep, given = person.partition(", ")
        subject = Person.objects.create(office=office, family_name=family, given_name=given or "Alex")
        CaseSubject.objects.create(case=case, role=CaseSubject.Role.APPLICANT, person=subject)
    return case


def open_task(case: Case, element_id: str = "") -> Task:
    tasks = case.tasks.filter(status__in=[Task.Status.OPEN, Task.Status.WAITING])
    if element_id:
        tasks = tasks.filter(element_id=element_id)
    return tasks.get()


def plain_case(office: Office, *, title: str = "Anfrage", reference: str = "", **fields: Any) -> Case:
    """A case without process (fast, for lists and searches)."""
    reference = reference or f"PLAIN-{next(_references):04d}-X"
    return Case.objects.create(office=office, case_type="plain", title=title, reference=reference, **fields)
