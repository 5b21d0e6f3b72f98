"""Writes of the platform core. Each is one transaction and records its audit event."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from oegd.core import audit
from oegd.core.crypto import digest_matches, keyed_digest
from oegd.core.models import ApiClient, CitizenProfile, Office, User

EMAIL_VERIFICATION_SALT = "oegd.email-verification"
EMAIL_VERIFICATION_MAX_AGE = 3 * 24 * 3600


class DomainError(Exception):
    """A refusal a person can understand; views show ``message`` (already translated)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class VerificationLinkInvalid(DomainError):
    pass


# --- citizens ---------------------------------------------------------------------------------


def register_citizen(*, email: str, full_name: str, password: str, language: str) -> User | None:
    """Create a citizen account (Bürgerkonto) and send the e-mail verification link.

    If the address is taken, nothing is created and the owner gets a notice instead, so the
    form never reveals whether an account exists. Returns the new user or None.
    """
    email = email.strip().lower()
    with transaction.atomic():
        if User.objects.filter(email=email).exists():
            transaction.on_commit(lambda: _send_account_exists_notice(email, language))
            return None
        try:
            user = User.objects.create_user(
                email, password, full_name=full_name.strip(), kind=User.Kind.CITIZEN, language=language
            )
        except IntegrityError:  # a concurrent registration of the same address won
            return None
        CitizenProfile.objects.create(user=user)
        audit.record(user, "citizen.register", user, subject=user)
        transaction.on_commit(lambda: send_verification_email(user))
    return user


def verification_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "e": user.email}, salt=EMAIL_VERIFICATION_SALT)


def send_verification_email(user: User) -> None:
    link = settings.SITE_URL + reverse("core:verify_email", args=[verification_token(user)])
    with translation.override(user.language or settings.LANGUAGE_CODE):
        send_mail(
            _("Please confirm your e-mail address"),
            render_to_string("core/email/verify_email.txt", {"user": user, "link": link}),
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
        )


def _send_account_exists_notice(email: str, language: str) -> None:
    with translation.override(language or settings.LANGUAGE_CODE):
        send_mail(
            _("Registration with your e-mail address"),
            render_to_string(
                "core/email/account_exists.txt", {"login_link": settings.SITE_URL + reverse("core:login")}
            ),
            settings.DEFAULT_FROM_EMAIL,
            [email],
        )


def verify_email(*, token: str) -> User:
    """Mark the address behind a verification link as confirmed."""
    try:
        data = signing.loads(token, salt=EMAIL_VERIFICATION_SALT, max_age=EMAIL_VERIFICATION_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise VerificationLinkInvalid(_("This link has expired. Please register again.")) from exc
    except signing.BadSignature as exc:
        raise VerificationLinkInvalid(_("This link is not valid.")) from exc
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=data["u"], email=data["e"]).first()
        if user is None:
            raise VerificationLinkInvalid(_("This link is not valid."))
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
            audit.record(user, "citizen.verify_email", user, subject=user)
    return user


def update_citizen_profile(*, user: User, postal_code: str, place: str, accessibility_needs: str) -> CitizenProfile:
    """Store what a citizen tells about themselves (the accessibility note is encrypted)."""
    with transaction.atomic():
        profile, _created = CitizenProfile.objects.get_or_create(user=user)
        profile.postal_code = postal_code.strip()
        profile.place = place.strip()
        profile.accessibility_needs = accessibility_needs.strip()
        profile.save()
        audit.record(user, "citizen.update_profile", profile, subject=user)
    return profile


def set_preferred_language(*, user: User, language: str) -> None:
    if user.is_authenticated and user.language != language:
        user.language = language
        user.save(update_fields=["language"])


# --- staff ------------------------------------------------------------------------------------


def switch_office(*, user: User, session: dict, office_id: int) -> Office:
    """Make ``office_id`` the office a staff member works in now; only their own offices."""
    office = user.offices().filter(pk=office_id).first()
    if office is None:
        raise DomainError(_("You do not work for this office."))
    session["oegd_office"] = office.pk
    audit.record(user, "staff.switch_office", office, office=office)
    return office


# --- API clients ------------------------------------------------------------------------------


def create_api_client(
    *, actor: object, office: Office, name: str, scopes: list[str], institution: Any = None
) -> tuple[ApiClient, str]:
    """Register a system that calls the API; returns the client and its token (shown once).

    With ``institution`` the token acts for that school, day-care centre, pool or lab (its
    submissions go to the institution's office).
    """
    unknown = set(scopes) - set(ApiClient.Scope.values)
    if unknown:
        raise DomainError(_("Unknown scopes: %(scopes)s") % {"scopes": ", ".join(sorted(unknown))})
    prefix = secrets.token_hex(4)
    token = f"oegd_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        if ApiClient.objects.filter(office=office, name=name).exists():
            raise DomainError(_("An API client with this name exists already in this office."))
        client = ApiClient.objects.create(
            office=office,
            institution=institution,
            name=name,
            scopes=sorted(set(scopes)),
            token_prefix=prefix,
            token_hash=keyed_digest(token),
        )
        audit.record(actor, "api_client.create", client, office=office)
    return client, token


def authenticate_api_token(token: str) -> ApiClient | None:
    """The active API client holding ``token``, or None. Constant-time comparison."""
    parts = token.split("_")
    if len(parts) < 3 or parts[0] != "oegd":
        return None
    client = ApiClient.objects.select_related("office").filter(token_prefix=parts[1], revoked_at=None).first()
    if client is None or not digest_matches(token, client.token_hash):
        return None
    now = timezone.now()
    if client.last_used_at is None or (now - client.last_used_at).total_seconds() > 60:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
    return client


# --- OpenID Connect (state eID) ---------------------------------------------------------------


def sign_in_citizen_with_oidc(
    *, provider: str, subject: str, email: str, email_verified: bool, full_name: str, language: str
) -> tuple[User, bool]:
    """The citizen behind an eID identity; returns ``(user, created)``.

    Found by the linked subject first; else an existing citizen account with the same address is
    linked, but only if the provider verified the address; else a citizen account is created.
    A staff or institution account is never returned: the refusal is a ``DomainError``.
    """
    refused = DomainError(
        _("You cannot log in with this identity. Please log in with your e-mail address and password.")
    )
    email = email.strip().lower()
    with transaction.atomic():
        profile = (
            CitizenProfile.objects.select_related("user")
            .select_for_update()
            .filter(oidc_provider=provider, oidc_subject=subject)
            .first()
        )
        if profile is not None:
            if profile.user.kind != User.Kind.CITIZEN or not profile.user.is_active:
                raise refused
            return profile.user, False

        existing = User.objects.select_for_update().filter(email__iexact=email).first() if email else None
        if existing is not None:
            if not email_verified or existing.kind != User.Kind.CITIZEN or not existing.is_active:
                raise refused
            profile, _created = CitizenProfile.objects.select_for_update().get_or_create(user=existing)
            if profile.oidc_subject:  # linked to another identity already
                raise refused
            profile.oidc_provider, profile.oidc_subject = provider, subject
            profile.save(update_fields=["oidc_provider", "oidc_subject"])
            if existing.email_verified_at is None:
                existing.email_verified_at = timezone.now()
                existing.save(update_fields=["email_verified_at"])
            audit.record(existing, "citizen.link_oidc", profile, subject=existing, purpose=provider)
            return existing, False

        if not email:
            raise DomainError(_("The login service did not tell us your e-mail address, so we cannot open an account."))
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email,
                    None,  # no password: this person logs in through the provider
                    full_name=full_name.strip()[:200],
                    kind=User.Kind.CITIZEN,
                    language=language,
                    email_verified_at=timezone.now() if email_verified else None,
                )
                CitizenProfile.objects.create(user=user, oidc_provider=provider, oidc_subject=subject)
        except IntegrityError as exc:  # a concurrent login of the same identity or address won
            raise refused from exc
        audit.record(user, "citizen.register", user, subject=user, purpose=provider)
        if not email_verified:
            transaction.on_commit(lambda: send_verification_email(user))
    return user, True
