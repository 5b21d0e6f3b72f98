"""Reads of case files, always scoped to the acting staff member's office."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from oegd.cases.models import Case, Milestone
from oegd.core import audit
from oegd.core.models import Office, User


def cases_of_office(*, office: Office, status: str = "") -> QuerySet[Case]:
    """Cases of one office (the staff member's active office), newest first."""
    cases = Case.objects.filter(office=office).order_by("-opened_at")
    return cases.filter(status=status) if status else cases


def get_case_for_user(*, user: User, office: Office, reference: str) -> Case:
    """A case of the active office; 404 for every other office's case. The read is audited."""
    case = get_object_or_404(Case.objects.select_related("office", "subject"), office=office, reference=reference)
    audit.record(user, "case.read", case, office=office, subject=case.subject)
    return case


def citizen_timeline(case: Case) -> list[Milestone]:
    """The milestones the citizen sees, oldest first."""
    return list(case.milestones.filter(citizen_visible=True).order_by("at", "id"))
