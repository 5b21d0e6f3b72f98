"""Acting for others (Vertretung): what a parent may see and do for a child, by the child's age.

Norway's rule as the default: full access under ``PROXY_FULL_ACCESS_UNDER_AGE`` (12), limited until
``PROXY_NO_ACCESS_FROM_AGE`` (16), none from then on. Limited: the parent sees the child's
appointments and non-confidential conversations, reads but does not write in the youth's own ones.
A youth's confidential conversations are never shown to a parent, whatever the age.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from oegd.core.models import User
from oegd.portal.models import Dependant

FULL, LIMITED, NONE = "full", "limited", "none"
SESSION_ACTING_FOR = "oegd_acting_for"


def proxy_access(guardian: User, dependant: Dependant, today: date) -> str:
    """``"full"``, ``"limited"`` or ``"none"``: what ``guardian`` may do for ``dependant`` on ``today``."""
    if dependant.guardian_id != guardian.pk or not guardian.is_active:
        return NONE
    age = dependant.age_on(today)
    if age >= settings.PROXY_NO_ACCESS_FROM_AGE:
        return NONE
    if age < settings.PROXY_FULL_ACCESS_UNDER_AGE:
        return FULL
    return LIMITED


def dependants_of(guardian: User) -> QuerySet[Dependant]:
    return Dependant.objects.filter(guardian=guardian).order_by("birth_date", "given_name", "id")


def is_linked_youth(user: User) -> bool:
    """Whether ``user``'s own account is linked to a parent's record (they may keep things private)."""
    return bool(user.is_authenticated and Dependant.objects.filter(account=user).exists())


def dependants_with_access(guardian: User, today: date | None = None) -> dict[int, tuple[Dependant, str]]:
    """The guardian's dependants they may still see something of: id → (dependant, access)."""
    today = today or timezone.localdate()
    found = {}
    for dependant in dependants_of(guardian):
        access = proxy_access(guardian, dependant, today)
        if access != NONE:
            found[dependant.pk] = (dependant, access)
    return found


def guardian_thread_filter(guardian: User, today: date | None = None) -> Q:
    """Threads a guardian sees besides their own: the non-confidential ones of children's own accounts,
    while the child is young enough. Their own threads written for a child who is now too old drop out."""
    visible = dependants_with_access(guardian, today)
    own = Q(citizen=guardian) & (Q(on_behalf_of__isnull=True) | Q(on_behalf_of__in=list(visible)))
    accounts = [dependant.account_id for dependant, _access in visible.values() if dependant.account_id]
    if not accounts:
        return own
    return own | Q(citizen__in=accounts, confidential=False)


def may_write_in(guardian: User, thread, today: date | None = None) -> bool:
    """The guardian writes in their own threads and in a child's own thread only with full access."""
    if thread.citizen_id == guardian.pk:
        return True
    for dependant, access in dependants_with_access(guardian, today).values():
        if dependant.account_id and dependant.account_id == thread.citizen_id and not thread.confidential:
            return access == FULL
    return False


def refused_child_thread(guardian: User, thread) -> bool:
    """Whether ``thread`` belongs to one of the guardian's children (so a refusal is worth recording)."""
    if thread.on_behalf_of_id and Dependant.objects.filter(pk=thread.on_behalf_of_id, guardian=guardian).exists():
        return True
    return bool(
        thread.citizen_id and Dependant.objects.filter(guardian=guardian, account_id=thread.citizen_id).exists()
    )


def acting_for(request: HttpRequest) -> tuple[Dependant, str] | None:
    """The child this session acts for, with the access level; None (and forgotten) when no longer allowed."""
    dependant_id = request.session.get(SESSION_ACTING_FOR)
    if not dependant_id or not request.user.is_authenticated:
        return None
    dependant = Dependant.objects.filter(pk=dependant_id, guardian=request.user).first()
    access = proxy_access(request.user, dependant, timezone.localdate()) if dependant else NONE
    if dependant is None or access == NONE:
        request.session.pop(SESSION_ACTING_FOR, None)
        return None
    return dependant, access
