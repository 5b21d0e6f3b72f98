"""Reads of the platform core, always scoped to the acting person."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from oegd.core import audit
from oegd.core.models import AuditEvent, Membership, Office, User


def staff_of_office(*, office: Office) -> QuerySet[User]:
    return (
        User.objects.filter(kind=User.Kind.STAFF, memberships__office=office).distinct().order_by("full_name", "email")
    )


def get_staff_member_for_user(*, user: User, office: Office, member_id: int) -> User:
    """A colleague of the active office; 404 for anyone outside it."""
    member = get_object_or_404(staff_of_office(office=office), pk=member_id)
    audit.record(user, "staff.read", member, office=office, subject=member)
    return member


def memberships_of(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("office", "department")


def audit_events_for_office(
    *, office: Office, action: str = "", actor: str = "", limit: int = 200
) -> QuerySet[AuditEvent]:
    """Audit events of one office for its data protection officer, newest first: the office's
    records, and the office-less events (logins, second factor) of the people working there."""
    staff_ids = Membership.objects.filter(office=office).values("user_id")
    events = AuditEvent.objects.filter(Q(office=office) | Q(office=None, actor_id__in=staff_ids)).order_by("-id")
    if action:
        events = events.filter(action__startswith=action)
    if actor:
        events = events.filter(actor_label__icontains=actor)
    return events[:limit]


def access_log_for_citizen(*, user: User, limit: int = 200) -> QuerySet[AuditEvent]:
    """Who accessed this citizen's data (Art. 15 GDPR), newest first; their own actions excluded."""
    return AuditEvent.objects.filter(subject=user).exclude(actor=user).order_by("-id")[:limit]
