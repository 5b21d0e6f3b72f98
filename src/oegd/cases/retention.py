"""Retention of closed case files (Aufbewahrungsfristen): delete or anonymise when the period ends.

A case type declares its period (days after closure) and what happens then. The daily job takes
every closed case whose period has ended and that is not under legal hold (and not anonymised
already) and, each in its own transaction:

- DELETE: removes the case with everything attached to it (process, tasks, progress entries,
  notes, milestones, checklist, documents, the form submission and its uploaded files);
- ANONYMISE: keeps the case's skeleton for statistics (type, office, dates, milestones, tasks'
  timestamps) but strips everything personal: the title, the citizen account, the text of notes,
  entries and task answers, the documents, the submission, and the links to persons (a person
  record no other case refers to is deleted).

Every deletion or anonymisation writes an audit event by ``system:retention`` with the case's
reference in its purpose. Files go from disk once their rows' deletion has committed. Running the
job twice changes nothing the second time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from oegd.cases.documents import delete_files_on_commit, sweep_orphan_files
from oegd.cases.models import Case, CaseEntry, CaseSubject, CaseType, Document, Note, Person, ProcessInstance, Task
from oegd.core import audit
from oegd.core.audit import SystemActor

logger = logging.getLogger(__name__)
RETENTION_ACTOR = SystemActor("retention")
ANONYMISED_TITLE = "anonymised"


@dataclass
class RetentionResult:
    deleted: list[str] = field(default_factory=list)  # references
    anonymised: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def cases_due(now: datetime) -> list[int]:
    """Ids of the closed cases whose retention period has ended, not held, not anonymised yet."""
    return list(
        Case.objects.filter(
            status=Case.Status.CLOSED,
            retention_due_at__lte=now,
            legal_hold=False,
            anonymised_at__isnull=True,
        )
        .order_by("retention_due_at", "pk")
        .values_list("pk", flat=True)
    )


def apply_retention(*, now: datetime | None = None) -> RetentionResult:
    """Delete or anonymise every case whose retention period has ended (Aussonderung/Löschung),
    each in its own transaction; one failing is logged and retried on the next run."""
    now = now or timezone.now()
    result = RetentionResult()
    for pk in cases_due(now):
        try:
            with transaction.atomic():
                case = (
                    Case.objects.select_for_update(of=("self",))
                    .filter(
                        pk=pk,
                        status=Case.Status.CLOSED,
                        retention_due_at__lte=now,
                        legal_hold=False,
                        anonymised_at__isnull=True,
                    )
                    .select_related("type_version", "office")
                    .first()
                )
                if case is None:  # held, deleted or anonymised meanwhile
                    continue
                action = case.type_version.retention_action if case.type_version else CaseType.RetentionAction.DELETE
                if action == CaseType.RetentionAction.ANONYMISE:
                    _anonymise(case, now)
                    result.anonymised.append(case.reference)
                else:
                    reference = case.reference
                    _delete(case)
                    result.deleted.append(reference)
        except Exception:
            logger.exception("retention of case %s failed", pk)
            result.failed.append(str(pk))
    return result


def _delete(case: Case) -> None:
    audit.record(RETENTION_ACTOR, "case.retention.delete", case, office=case.office, purpose=case.reference)
    _remove_submission(case)
    delete_files_on_commit(Document.objects.filter(case=case).values_list("path", flat=True))
    persons = _person_ids(case)
    # Documents point at each other (supersedes); remove them before the cascade.
    Document.objects.filter(case=case).update(supersedes=None)
    case.delete()  # cascades: process, tasks, entries, notes, milestones, checklist, subjects, documents
    _delete_unlinked_persons(persons)


def _anonymise(case: Case, now: datetime) -> None:
    audit.record(RETENTION_ACTOR, "case.retention.anonymise", case, office=case.office, purpose=case.reference)
    _remove_submission(case)
    documents = Document.objects.filter(case=case)
    delete_files_on_commit(documents.values_list("path", flat=True))
    documents.update(supersedes=None)
    documents.delete()
    Note.objects.filter(case=case).update(text="")
    CaseEntry.objects.filter(case=case).update(text="")
    Task.objects.filter(case=case).update(answers="")
    ProcessInstance.objects.filter(case=case).update(state=None)
    persons = _person_ids(case)
    CaseSubject.objects.filter(case=case, person__isnull=False).delete()
    _delete_unlinked_persons(persons)
    case.title = ANONYMISED_TITLE
    case.subject = None
    case.anonymised_at = now
    case.save(update_fields=["title", "subject", "anonymised_at", "updated_at"])


def _remove_submission(case: Case) -> None:
    """The form submission that opened the case, with its uploaded files (their rows cascade)."""
    from oegd.forms.attachments import attachment_storage
    from oegd.forms.models import Attachment, Submission

    submission = Submission.objects.filter(case=case).first()
    if submission is None:
        return
    names = list(Attachment.objects.filter(submission=submission).values_list("storage_name", flat=True))
    submission.delete()

    def delete_files() -> None:
        storage = attachment_storage()
        for name in names:
            storage.delete(name)

    if names:
        transaction.on_commit(delete_files)


def _person_ids(case: Case) -> set[int]:
    return set(
        CaseSubject.objects.filter(case=case, person__isnull=False).values_list("person_id", flat=True).distinct()
    )


def _delete_unlinked_persons(person_ids: set[int]) -> None:
    """Person records (Personenstamm) that no case refers to any more."""
    if person_ids:
        Person.objects.filter(pk__in=person_ids).exclude(case_links__isnull=False).delete()


@task
def apply_case_retention() -> dict[str, int]:
    """The daily retention run; also removes document files whose rows never committed."""
    result = apply_retention()
    swept = sweep_orphan_files()
    return {
        "deleted": len(result.deleted),
        "anonymised": len(result.anonymised),
        "failed": len(result.failed),
        "orphan_files": swept,
    }
