"""Writes of the citizen's own area: children they act for, acting as, closing the account."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth import logout
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from oegd.core import audit
from oegd.core.codes import group_code, normalise_code, random_code
from oegd.core.crypto import keyed_digest
from oegd.core.models import CitizenProfile, User
from oegd.core.services import DomainError
from oegd.portal import proxy
from oegd.portal.models import Dependant


class DependantInvalid(DomainError):
    """A child that cannot be added: no declaration, a birth date in the future or too old."""


class LinkRefused(DomainError):
    """A link code that is wrong, expired or may not be used by this account."""


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


# --- linking a youth's own account (Konto verknüpfen) ----------------------------------------------

LINK_CODE_LENGTH = 12
LINK_CODE_VALIDITY = timedelta(days=7)
LINK_MAX_WRONG_TRIES = 5
LINK_LOCK_SECONDS = 3600


def normalise_link_code(text: str) -> str:
    """The code as generated (upper case, no separators, Crockford's look-alikes mapped); "" if malformed."""
    return normalise_code(text, LINK_CODE_LENGTH)


def _link_code_digest(code: str) -> str:
    return keyed_digest("portal-link-code:" + code)


def create_link_code(*, guardian: User, dependant: Dependant) -> str:
    """A fresh one-time code (valid 7 days) the youth enters in their own account; shown once, stored hashed.

    A new code replaces any earlier one. Refused once the child has a linked account or is too old.
    """
    if dependant.guardian_id != guardian.pk:
        raise LinkRefused(_("You cannot create a code for this person."))
    if dependant.account_id:
        raise LinkRefused(_("%(name)s's own account is already linked.") % {"name": dependant.given_name})
    if proxy.proxy_access(guardian, dependant, timezone.localdate()) == proxy.NONE:
        raise LinkRefused(_("You can no longer act for this person."))
    code = random_code(LINK_CODE_LENGTH)
    with transaction.atomic():
        dependant.link_code_hash = _link_code_digest(code)
        dependant.link_code_expires_at = timezone.now() + LINK_CODE_VALIDITY
        dependant.save(update_fields=["link_code_hash", "link_code_expires_at"])
        audit.record(guardian, "dependant.link_code", dependant, subject=guardian)
    return code


def format_link_code(code: str) -> str:
    return group_code(code)


def _wrong_tries_key(user: User) -> str:
    return f"portal:link-code-wrong:{user.pk}"


def _count_wrong_try(user: User) -> None:
    key = _wrong_tries_key(user)
    cache.add(key, 0, LINK_LOCK_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, LINK_LOCK_SECONDS)


def link_youth_account(*, youth: User, code: str) -> Dependant:
    """Link the youth's own account to the record their parent keeps (``Dependant.account``).

    Wrong and expired codes get the same answer; after 5 wrong tries in an hour the account is
    locked out of linking for the hour. The code works once.
    """
    refused = _("This code is not valid. Check it, or ask your parent for a new one.")
    if int(cache.get(_wrong_tries_key(youth), 0)) >= LINK_MAX_WRONG_TRIES:
        raise LinkRefused(_("Too many wrong codes. Please try again in an hour."))
    normalised = normalise_link_code(code)
    digest = _link_code_digest(normalised) if normalised else ""
    dependant = (
        Dependant.objects.filter(link_code_hash=digest, link_code_expires_at__gt=timezone.now()).first()
        if digest
        else None
    )
    if dependant is None:
        _count_wrong_try(youth)
        audit.record(youth, "dependant.link_refused", youth, subject=youth, purpose="wrong or expired code")
        raise LinkRefused(refused)
    if dependant.guardian_id == youth.pk:
        raise LinkRefused(_("This code is for your child. Your child enters it in their own account."))
    if Dependant.objects.filter(guardian_id=dependant.guardian_id, account=youth).exclude(pk=dependant.pk).exists():
        raise LinkRefused(_("Your account is already linked to another child of this parent."))
    with transaction.atomic():
        # Used once: whoever locks the row first with the code still on it links.
        locked = Dependant.objects.select_for_update().filter(pk=dependant.pk, link_code_hash=digest).first()
        if locked is None or (locked.account_id and locked.account_id != youth.pk):
            raise LinkRefused(refused)
        locked.account = youth
        locked.link_code_hash = ""
        locked.link_code_expires_at = None
        locked.save(update_fields=["account", "link_code_hash", "link_code_expires_at"])
        audit.record(youth, "dependant.link_account", locked, subject=youth, purpose=f"guardian {locked.guardian_id}")
    return locked


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
