"""Writes of case files: opening a case and recording its milestones. Each one is audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from oegd.cases.models import Case, Milestone
from oegd.core import audit
from oegd.core.models import Office, User
from oegd.core.services import DomainError


class CaseClosed(DomainError):
    """A closed case takes no further milestones."""


def open_case(
    *, actor: Any, office: Office, case_type: str, title: str, reference: str, subject: User | None = None
) -> Case:
    """Open a case (Vorgang anlegen) with its first milestone, "received"."""
    with transaction.atomic():
        case = Case.objects.create(
            office=office, case_type=case_type, title=title[:300], reference=reference, subject=subject
        )
        Milestone.objects.create(case=case, code=Milestone.Code.RECEIVED, at=case.opened_at)
        audit.record(actor, "case.open", case, office=office, subject=subject)
    return case


def record_milestone(*, actor: Any, case: Case, code: str, citizen_visible: bool = True) -> Milestone:
    """Add a step to the case's timeline; "closed" also closes the case (Abschluss)."""
    if code not in Milestone.Code.values:
        raise DomainError(_("Unknown milestone."))
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.status == Case.Status.CLOSED:
            raise CaseClosed(_("This case is closed."))
        milestone = Milestone.objects.create(case=case, code=code, citizen_visible=citizen_visible)
        if code == Milestone.Code.CLOSED:
            case.status = Case.Status.CLOSED
            case.closed_at = timezone.now()
            case.save(update_fields=["status", "closed_at", "updated_at"])
        audit.record(actor, f"case.milestone.{code}", case, office=case.office, subject=case.subject)
    return milestone
