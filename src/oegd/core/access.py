"""Access choke points: who may open which route, and in which office.

Every view is wrapped by exactly one of ``public``, ``citizen_required``,
``institution_required`` or ``staff_required(permission)``. The decorators stamp the view with
its access rule; ``tests/test_route_permissions.py`` walks every URL and fails on a view without.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from oegd.core.models import Office, Role, User

# What each role may do. Permissions are checked per office: a role in office A grants nothing in B.
ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.OFFICE_ADMIN: {
        "office.view",
        "office.manage",
        "cases.view",
        "cases.edit",
        "infection.view",
        "infection.edit",
        "forms.manage",
        "api_clients.manage",
        "directory.view",
    },
    Role.PHYSICIAN: {
        "office.view",
        "cases.view",
        "cases.edit",
        "health_data.view",
        "infection.view",
        "infection.edit",
        "directory.view",
    },
    Role.SPECIALIST: {
        "office.view",
        "cases.view",
        "cases.edit",
        "health_data.view",
        "infection.view",
        "infection.edit",
        "directory.view",
    },
    # Infection protection clerks (Sachbearbeitung Infektionsschutz) work with the notifications.
    Role.CLERK: {"office.view", "cases.view", "cases.edit", "infection.view", "infection.edit", "directory.view"},
    Role.DATA_PROTECTION_OFFICER: {"office.view", "audit.view", "directory.view"},
    Role.REPORTING_ANALYST: {"office.view", "warehouse.view", "directory.view"},
    Role.STATE_ADMIN: {
        "office.view",
        "office.manage",
        "audit.view",
        "api_clients.manage",
        "directory.view",
        "forms.manage",
        "state.manage",
    },
}

ACCESS_ATTR = "oegd_access"


def roles_in(user: User, office: Office) -> set[str]:
    if not user.is_authenticated or user.kind != User.Kind.STAFF:
        return set()
    roles = set(user.office_roles.get(office.pk, set()))
    if user.is_state_admin:
        roles.add(Role.STATE_ADMIN)
    return roles


def has_permission(user: User, office: Office | None, permission: str) -> bool:
    if office is None:
        return False
    return any(permission in ROLE_PERMISSIONS.get(role, set()) for role in roles_in(user, office))


def staff_is_verified(request: HttpRequest) -> bool:
    """Staff count as logged in only after the second factor (TOTP) or single sign-on."""
    user = request.user
    if not user.is_authenticated or user.kind != User.Kind.STAFF:
        return False
    is_verified = getattr(user, "is_verified", None)  # set by django-otp's middleware
    return bool(request.session.get("oegd_sso")) or bool(is_verified and is_verified())


def _stamp(view: Callable[..., Any], rule: str) -> Callable[..., Any]:
    setattr(view, ACCESS_ATTR, rule)
    return view


def public(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a view as open to everyone (it must show no personal data)."""
    return _stamp(view, "public")


def login_required_any(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Any logged-in person (staff only after the second factor)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if request.user.kind == User.Kind.STAFF and not staff_is_verified(request):
            return redirect("core:login_verify")
        return view(request, *args, **kwargs)

    return _stamp(wrapper, "authenticated")


def citizen_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A logged-in citizen; everyone else is sent to the login."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated or request.user.kind != User.Kind.CITIZEN:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return view(request, *args, **kwargs)

    return _stamp(wrapper, "citizen")


def portal_user_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A logged-in citizen or user of an institution (school, day-care centre, lab, ...)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated or request.user.kind not in (User.Kind.CITIZEN, User.Kind.INSTITUTION):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return view(request, *args, **kwargs)

    return _stamp(wrapper, "portal-user")


def api_token_required(scope: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A system calling with ``Authorization: Bearer <token>`` holding ``scope`` (FHIR routes).

    Answers 401/403 as a FHIR OperationOutcome. No cookies are used, so no CSRF check either.
    """
    from django.views.decorators.csrf import csrf_exempt

    from oegd.core.problems import operation_outcome
    from oegd.core.services import authenticate_api_token

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            header = request.headers.get("Authorization", "")
            client = authenticate_api_token(header[7:].strip()) if header[:7].lower() == "bearer " else None
            if client is None:
                response = operation_outcome(401, _("Send a valid API token."), code="login")
                response["WWW-Authenticate"] = 'Bearer realm="oegd"'
                return response
            if not client.has_scope(scope):
                return operation_outcome(
                    403, _("This API client lacks the scope '%(scope)s'.") % {"scope": scope}, code="forbidden"
                )
            request.api_client = client  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return _stamp(csrf_exempt(wrapper), f"token:{scope}")

    return decorator


def staff_required(permission: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A verified staff member holding ``permission`` in the active office (else 404, not 403:
    other offices' things do not exist for them)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated or request.user.kind != User.Kind.STAFF:
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if not staff_is_verified(request):
                return redirect("core:login_verify")
            if not has_permission(request.user, getattr(request, "office", None), permission):
                raise Http404
            return view(request, *args, **kwargs)

        return _stamp(wrapper, f"staff:{permission}")

    return decorator
