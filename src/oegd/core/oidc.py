"""OpenID Connect login: citizens with the state eID, staff with single sign-on (Authlib).

The providers come from ``settings.OIDC_PROVIDERS``; a provider without a discovery URL is off
and its routes answer 404. The Authlib client of a provider is built on first use and kept per
configuration, so a changed setting (or a test override) gets a fresh client.

The ID token is checked by Authlib against the provider's keys from the discovery document
(signature, issuer, audience, expiry, nonce); state and the PKCE verifier live in the session.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError
from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.conf import settings
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from joserfc.errors import JoseError

from oegd.core import audit, services
from oegd.core.access import public
from oegd.core.models import User

logger = logging.getLogger(__name__)

HTTP_TIMEOUT_SECONDS = 10
NEXT_SESSION_KEY = "oegd_oidc_next_{provider}"
LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


# --- the provider registry -----------------------------------------------------------------------


def _provider_config(key: str) -> dict[str, Any]:
    """The settings of an enabled provider; 404 for unknown or switched-off providers."""
    config = settings.OIDC_PROVIDERS.get(key)
    if not config or not config.get("discovery_url") or config.get("audience") not in ("citizen", "staff"):
        raise Http404
    return config


@functools.lru_cache(maxsize=16)
def _build_client(key: str, discovery_url: str, client_id: str, client_secret: str, scope: str) -> DjangoOAuth2App:
    oauth = OAuth()
    return oauth.register(
        name=key,
        server_metadata_url=discovery_url,
        client_id=client_id,
        client_secret=client_secret,
        client_kwargs={"scope": scope, "code_challenge_method": "S256", "default_timeout": HTTP_TIMEOUT_SECONDS},
    )


def oidc_client(key: str, config: dict[str, Any]) -> DjangoOAuth2App:
    """The Authlib client of a provider, cached by its configuration (discovery is fetched once)."""
    return _build_client(
        key, config["discovery_url"], config["client_id"], config["client_secret"], config.get("scope") or "openid"
    )


# --- claims ---------------------------------------------------------------------------------------


def _claim_str(claims: dict[str, Any], name: str) -> str:
    value = claims.get(name)
    return value.strip() if isinstance(value, str) else ""


def _read_claims(userinfo: dict[str, Any] | None) -> dict[str, Any] | None:
    """sub, email (empty unless well-formed), email_verified and name from the ID token; None
    when the token carries no usable subject."""
    if not userinfo:
        return None
    subject = _claim_str(userinfo, "sub")
    if not subject or len(subject) > 255:
        return None
    email = _claim_str(userinfo, "email").lower()
    try:
        validate_email(email)
    except ValidationError:
        email = ""
    verified = userinfo.get("email_verified")
    return {
        "sub": subject,
        "email": email,
        # Some providers send the flag as a string.
        "email_verified": verified is True or (isinstance(verified, str) and verified.lower() == "true"),
        "email_unverified": verified is False or (isinstance(verified, str) and verified.lower() == "false"),
        "name": _claim_str(userinfo, "name"),
    }


def _staff_member_for(email: str) -> User | None:
    """The one active staff member with this address (case-insensitive), else None."""
    if not email:
        return None
    matches = list(User.objects.filter(email__iexact=email, kind=User.Kind.STAFF, is_active=True)[:2])
    return matches[0] if len(matches) == 1 else None


# --- views ----------------------------------------------------------------------------------------


def _safe_next(request: HttpRequest) -> str:
    target = request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


def _error(request: HttpRequest, message: str, status: int) -> HttpResponse:
    # The callback URL carries the code and state; the page repeats the current URL (language
    # switcher), so drop the query before rendering: tokens are never echoed.
    request.META["QUERY_STRING"] = ""
    return render(request, "portal/error.html", {"title": message}, status=status)


@public
@require_GET
def oidc_login(request: HttpRequest, provider: str) -> HttpResponse:
    """Send the browser to the provider (state, nonce and a PKCE challenge kept in the session)."""
    config = _provider_config(provider)
    client = oidc_client(provider, config)
    request.session[NEXT_SESSION_KEY.format(provider=provider)] = _safe_next(request)
    redirect_uri = settings.SITE_URL + reverse("core:oidc_callback", args=[provider])
    try:
        return client.authorize_redirect(request, redirect_uri)
    except (requests.RequestException, AuthlibBaseError, JoseError) as exc:
        logger.warning("oidc discovery failed provider=%s error=%s", provider, type(exc).__name__)
        return _error(request, _("The login service cannot be reached at the moment. Please try again later."), 502)


@public
@require_GET
def oidc_callback(request: HttpRequest, provider: str) -> HttpResponse:
    """Take the provider's answer: exchange the code, check the ID token, log the person in."""
    config = _provider_config(provider)
    client = oidc_client(provider, config)
    if request.GET.get("error"):
        logger.info("oidc login refused by provider=%s", provider)
        client.framework.clear_state_data(request.session, request.GET.get("state"))
        return _error(request, _("The login was cancelled or refused by the login service."), 400)
    try:
        token = client.authorize_access_token(request)
    except MismatchingStateError:
        logger.warning("oidc state mismatch provider=%s", provider)
        return _error(request, _("This login attempt has expired or is not valid. Please start the login again."), 400)
    except requests.RequestException as exc:
        logger.warning("oidc provider unreachable provider=%s error=%s", provider, type(exc).__name__)
        return _error(request, _("The login service cannot be reached at the moment. Please try again later."), 502)
    except (AuthlibBaseError, JoseError) as exc:
        logger.warning("oidc token rejected provider=%s error=%s", provider, type(exc).__name__)
        return _error(
            request, _("The answer of the login service could not be verified. Please start the login again."), 400
        )
    claims = _read_claims(token.get("userinfo"))
    if claims is None:
        logger.warning("oidc id token without subject provider=%s", provider)
        return _error(
            request, _("The answer of the login service could not be verified. Please start the login again."), 400
        )
    next_url = request.session.pop(NEXT_SESSION_KEY.format(provider=provider), "")
    if config["audience"] == "staff":
        return _sign_in_staff(request, provider, claims, next_url)
    return _sign_in_citizen(request, provider, claims, next_url)


def _sign_in_citizen(request: HttpRequest, provider: str, claims: dict[str, Any], next_url: str) -> HttpResponse:
    try:
        user, _created = services.sign_in_citizen_with_oidc(
            provider=provider,
            subject=claims["sub"],
            email=claims["email"],
            email_verified=claims["email_verified"],
            full_name=claims["name"],
            language=request.LANGUAGE_CODE,
        )
    except services.DomainError as exc:
        logger.info("oidc citizen login refused provider=%s", provider)
        return _error(request, exc.message, 403)
    login(request, user, backend=LOGIN_BACKEND)
    audit.record(user, "auth.oidc_login", user, subject=user, purpose=provider)
    return redirect(next_url or reverse("portal:my_area"))


def _sign_in_staff(request: HttpRequest, provider: str, claims: dict[str, Any], next_url: str) -> HttpResponse:
    """Only existing staff, matched by e-mail; nobody is created. Single sign-on replaces TOTP."""
    user = None if claims["email_unverified"] else _staff_member_for(claims["email"])
    if user is None:
        logger.info("oidc staff login refused provider=%s", provider)
        return _error(
            request,
            _("There is no active staff account for you here. Please ask your office administrator."),
            403,
        )
    login(request, user, backend=LOGIN_BACKEND)
    request.session["oegd_sso"] = True
    audit.record(user, "auth.oidc_login", user, subject=user, purpose=provider)
    return redirect(next_url or reverse("core:staff_home"))
