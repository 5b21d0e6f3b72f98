"""Load the demo case management: teams, task forms, case types, processes and letter templates.

Idempotent like the rest of the demo loader: what exists already (perhaps changed by an admin
since) stays as it is; only what is missing is created.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.utils import timezone

from oegd.cases.documents import save_document_template
from oegd.cases.models import CaseType, DocumentTemplate, ProcessDefinition
from oegd.cases.services import publish_process_definition
from oegd.core.models import Department, Membership, Office, User
from oegd.demo.case_types import CASE_TYPES, DEPARTMENTS, LETTERS, PROCESSES, STAFF_DEPARTMENTS, TASK_FORMS
from oegd.forms.models import FormDefinition, FormVersion

DEMO = Path(__file__).resolve().parent
PROCESS_FOLDER = DEMO / "processes"
QUESTIONNAIRE_FOLDER = DEMO / "questionnaires"
LETTER_FOLDER = DEMO / "letters"
STATE_ADMIN = "landesadmin@musterland.example"


def load_casework(offices: dict[str, Office]) -> None:
    """Teams for the process lanes, the task forms, case types, processes and letters (state-wide)."""
    load_teams(offices)
    load_task_forms()
    publisher = User.objects.get(email=STATE_ADMIN)
    for key, (filename, name) in PROCESSES.items():
        if not ProcessDefinition.objects.filter(key=key, office__isnull=True).exists():
            publish_process_definition(
                actor=publisher,
                key=key,
                name=name,
                bpmn_xml=(PROCESS_FOLDER / filename).read_text(encoding="utf-8"),
                comment="Soll-Prozess des Landes (Demo)",
            )
    for key, (filename, name) in LETTERS.items():
        if not DocumentTemplate.objects.filter(key=key, office__isnull=True).exists():
            save_document_template(
                actor=publisher,
                key=key,
                name=name,
                language="de",
                html=(LETTER_FOLDER / filename).read_text(encoding="utf-8"),
            )
    for spec in CASE_TYPES:
        if not CaseType.objects.filter(slug=spec["slug"]).exists():
            CaseType.objects.create(version=1, is_current=True, **spec)


def load_teams(offices: dict[str, Office]) -> None:
    """The departments the process lanes name, in every office, and the demo staff in them."""
    for office in offices.values():
        for name in DEPARTMENTS:
            Department.objects.get_or_create(office=office, name=name)
    for (email, office_slug), name in STAFF_DEPARTMENTS.items():
        office = offices[office_slug]
        department = Department.objects.get(office=office, name=name)
        Membership.objects.filter(user__email=email, office=office, department__isnull=True).update(
            department=department
        )


def load_task_forms() -> None:
    """The questionnaires user tasks show, as state-wide forms with an active version 1."""
    for slug in TASK_FORMS:
        resource = json.loads((QUESTIONNAIRE_FOLDER / f"{slug}.json").read_text(encoding="utf-8"))
        form, _ = FormDefinition.objects.get_or_create(
            slug=slug, defaults={"url": resource["url"], "title": resource.get("title", slug)}
        )
        if not form.versions.exists():
            FormVersion.objects.create(
                form=form, version=1, status=FormVersion.Status.ACTIVE, resource=resource, published_at=timezone.now()
            )


# Requests that wait in the demo office's worklists on first login: (service, who sends it, key).
SAMPLE_REQUESTS = [
    ("ifsg43-instruction", "buerger@example.org", "demo-sample-ifsg43"),
    ("counselling-request", None, "demo-sample-counselling"),
    ("ifsg34-notification", "schule@grundschule-musterstadt.example", "demo-sample-ifsg34"),
]


def _without_uploads(items: list[dict]) -> list[dict]:
    kept = []
    for item in items:
        item = {**item, "item": _without_uploads(item.get("item", []))}
        if not item["item"]:
            item.pop("item")
        answers = [answer for answer in item.get("answer", []) if "valueAttachment" not in answer]
        if answers:
            item["answer"] = answers
        else:
            item.pop("answer", None)
        if "answer" in item or "item" in item:
            kept.append(item)
    return kept


def load_sample_requests() -> None:
    """Submit the demo examples once (idempotent by key), so tasks wait in the worklists."""
    from oegd.core.audit import SystemActor
    from oegd.directory.models import Institution
    from oegd.forms.models import Service
    from oegd.forms.services import submit_response

    for slug, sender, key in SAMPLE_REQUESTS:
        service = Service.objects.filter(slug=slug).first()
        example = QUESTIONNAIRE_FOLDER / "examples" / f"{slug}.response.json"
        if service is None or not example.exists():
            continue
        response = json.loads(example.read_text(encoding="utf-8"))
        response["item"] = _without_uploads(response.get("item", []))
        user = User.objects.filter(email=sender).first() if sender else None
        institution = Institution.objects.filter(members=user).first() if user is not None else None
        submit_response(
            actor=user or SystemActor("demo loader"),
            service=service,
            response=response,
            idempotency_key=key,
            channel="demo",
            institution=institution,
            language="de",
        )
