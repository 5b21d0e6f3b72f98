"""Request-wide concerns: language, session limits, the active office, no-store caching."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

STAFF_PREFIXES = ("/staff/", "/admin/")


def is_staff_path(path: str) -> bool:
    return path.startswith(STAFF_PREFIXES)


class LanguageMiddleware:
    """Pick the language from the cookie, the account or Accept-Language; German by default.

    Staff pages exist in German and English only; a citizen language falls back to German there.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = translation.get_language_from_request(request)
        if is_staff_path(request.path) and language not in settings.STAFF_LANGUAGES:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response


class SessionTimeoutMiddleware:
    """End sessions after idle time and after an absolute lifetime, on the server side."""

    SEEN_WRITE_INTERVAL = 60  # seconds; avoids a session write on every request

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            started = session.setdefault("oegd_auth_at", now)
            seen = session.get("oegd_seen_at", now)
            idle = settings.SESSION_IDLE_TIMEOUT.total_seconds()
            absolute = settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds()
            if now - seen > idle or now - started > absolute:
                logout(request)
                messages.warning(request, _("Your session has expired. Please log in again."))
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if now - seen > self.SEEN_WRITE_INTERVAL or "oegd_seen_at" not in session:
                session["oegd_seen_at"] = now
        return self.get_response(request)


class ActiveOfficeMiddleware:
    """``request.office``: the office a staff member is working in right now (office switcher)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.office = None  # type: ignore[attr-defined]
        user = request.user
        if user.is_authenticated and user.kind == user.Kind.STAFF:
            offices = user.offices()
            chosen = request.session.get("oegd_office")
            office = (offices.filter(pk=chosen).first() if chosen else None) or offices.first()
            request.office = office  # type: ignore[attr-defined]
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages for logged-in people and all API answers may hold personal data: never cache them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        personal = request.user.is_authenticated or request.path.startswith(("/api/", "/fhir/", "/staff/"))
        if personal and not request.path.startswith(settings.STATIC_URL):
            response.headers["Cache-Control"] = "no-store"
            response.headers.setdefault("Pragma", "no-cache")
        return response


class MachineErrorMiddleware:
    """Errors under /api/ and /fhir/ are for machines: whatever produced them (a 405 from the
    router, a CSRF refusal), they leave as problem+json or as a FHIR OperationOutcome."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not request.path.startswith(("/api/", "/fhir/")):
            return response
        content_type = response.get("Content-Type", "")
        if "json" in content_type:
            return response
        from oegd.core.problems import operation_outcome, problem_response

        reason = response.reason_phrase
        if request.path.startswith("/fhir/"):
            replacement = operation_outcome(response.status_code, reason)
        else:
            replacement = problem_response(response.status_code, reason)
        for header in ("Allow", "WWW-Authenticate", "Vary"):
            if header in response:
                replacement[header] = response[header]
        return replacement


class NulByteGuardMiddleware:
    """Refuse query and form values with NUL characters (400) before they reach PostgreSQL,
    which cannot store them and would answer with a server error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        values = [*request.GET.lists()]
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            values += [*request.POST.lists()]
        if "\x00" in request.path or any("\x00" in key or any("\x00" in v for v in items) for key, items in values):
            from oegd.portal.views import bad_request

            return bad_request(request)
        return self.get_response(request)
