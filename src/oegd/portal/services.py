"""Writes of the citizen's own area: children they act for, acting as, closing the account."""

from __future__ import annotations

from datetime import date

from django.contrib.auth import logout
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from oegd.core import audit
from oegd.core.models import CitizenProfile, User
from oegd.core.services import DomainError
from oegd.portal import proxy
from oegd.portal.models import Dependant


class DependantInvalid(DomainError):
    """A child that cannot be added: no declaration, a birth date in the future or too old."""


class AccountNotClosed(DomainError):
    """Wrong password when closing the account."""


def add_dependant(
    *, guardian: User, given_name: str, family_name: str, birth_date: date, declared_guardian: bool
) -> Dependant:
    """Add a child the parent acts for (Vertretung), after they declare they are the legal guardian."""
    today = timezone.localdate()
    if not declared_guardian:
        raise DependantInvalid(_("Please confirm that you are the legal guardian."))
    if birth_date > today:
        raise DependantInvalid(_("The date of birth cannot be in the future."))
    dependant = Dependant(
        guardian=guardian, given_name=given_name.strip(), family_name=family_name.strip(), birth_date=birth_date
    )
    if not dependant.given_name or not dependant.family_name:
        raise DependantInvalid(_("Please enter the given name and the family name."))
    if proxy.proxy_access(guardian, dependant, today) == proxy.NONE:
        raise DependantInvalid(_("You cannot act for a person of this age here."))
    with transaction.atomic():
        dependant.save()
        audit.record(guardian, "dependant.add", dependant, subject=guardian, purpose="declared legal guardian")
    return dependant


def start_acting_for(*, request: HttpRequest, dependant: Dependant) -> str:
    """This session acts for ``dependant`` from now on; returns the access level. Refused from the age limit."""
    access = proxy.proxy_access(request.user, dependant, timezone.localdate())
    if access == proxy.NONE:
        raise DependantInvalid(_("You can no longer act for this person."))
    request.session[proxy.SESSION_ACTING_FOR] = dependant.pk
    audit.record(request.user, "dependant.act_as", dependant, subject=request.user, purpose=access)
    return access


def stop_acting(*, request: HttpRequest) -> None:
    if request.session.pop(proxy.SESSION_ACTING_FOR, None):
        audit.record(request.user, "dependant.act_as_stop", request.user, subject=request.user)


def close_account(*, request: HttpRequest, password: str) -> None:
    """Close the citizen's account (Konto löschen): deactivated, anonymised, every session ended.

    What the law requires stays with the offices: cases, submissions and the audit log keep their
    rows (the link to this account stays, the personal details of the account go).
    """
    user = request.user
    if not password or not user.check_password(password):
        raise AccountNotClosed(_("The password is not right. Your account is still open."))
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        audit.record(locked, "account.close", locked, subject=locked)
        locked.is_active = False
        locked.email = f"closed-{locked.pk}@closed.invalid"
        locked.full_name = ""
        locked.set_unusable_password()
        locked.save(update_fields=["is_active", "email", "full_name", "password"])
        CitizenProfile.objects.filter(user=locked).delete()
        Dependant.objects.filter(guardian=locked).delete()
        Dependant.objects.filter(account=locked).update(account=None)
        _end_sessions(locked)
    logout(request)


def _end_sessions(user: User) -> None:
    """Delete every stored session of ``user`` (database sessions: the only kind that can be listed)."""
    key = str(user.pk)
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == key:
            session.delete()
