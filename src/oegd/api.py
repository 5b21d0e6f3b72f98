"""The REST API at /api/v1/ (django-ninja): authentication, errors as problem+json, routers.

Every operation declares who may call it: an ``auth`` (session or token with a scope), or
``openapi_extra={"x-access": "public"}``. The route-permission test enforces it.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from oegd.core.access import staff_is_verified
from oegd.core.models import User
from oegd.core.problems import problem_response
from oegd.core.services import authenticate_api_token

PUBLIC = {"x-access": "public"}


class TokenAuth(HttpBearer):
    """``Authorization: Bearer oegd_…`` for systems (institutions, EHR, DEMIS)."""

    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        client = authenticate_api_token(token)
        if client is not None:
            request.api_client = client
        return client


class SessionAuth(APIKeyCookie):
    """The browser session of a logged-in person (CSRF-checked); staff only after TOTP/SSO."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if not user.is_authenticated:
            return None
        if user.kind == User.Kind.STAFF and not staff_is_verified(request):
            return None
        return user


token_auth = TokenAuth()
session_auth = SessionAuth()
any_auth = [token_auth, session_auth]

PROBLEM_SCHEMA = {
    "title": "Problem",
    "description": "RFC 9457 problem details",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
    },
}


class Problem(Schema):
    """RFC 9457 problem details; declare it for an operation's error codes."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""


class PlatformAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document states the errors every operation can answer, all as
    application/problem+json, so clients and schemathesis know them."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for methods in schema.get("paths", {}).values():
            for operation in methods.values():
                # ninja keys responses by int, JSON by string: one key per code
                responses = {str(code): answer for code, answer in operation.get("responses", {}).items()}
                operation["responses"] = responses
                for code, answer in responses.items():
                    if int(code) >= 400:
                        answer["content"] = problem
                expected = {"400": _("The request could not be understood."), "405": _("Method not allowed.")}
                if operation.get("parameters") or operation.get("requestBody"):
                    expected["422"] = _("The request is not valid.")
                if operation.get("security"):
                    expected["401"] = _("Authentication required.")
                    expected["403"] = _("Not allowed.")
                for code, text in expected.items():
                    responses.setdefault(code, {"description": str(text), "content": problem})
        return schema


api = PlatformAPI(
    title="ÖGD platform API",
    version="1",
    description="REST API of the digital Gesundheitsamt. Errors are RFC 9457 problem+json.",
    urls_namespace="api",
    docs_url="/docs",
)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"name": ".".join(str(part) for part in error.get("loc", [])), "reason": error.get("msg", "")}
        for error in exc.errors
    ]
    return problem_response(422, _("The request is not valid."), _("Check the listed parameters."), errors=errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problem_response(401, _("Authentication required."), _("Send a valid API token or log in."))
    response["WWW-Authenticate"] = 'Bearer realm="oegd"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem_response(exc.status_code, str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(404, _("Not found."))


def require_scope(request: HttpRequest, scope: str) -> None:
    """Token clients need ``scope``; a browser session acts with the person's own rights."""
    client = getattr(request, "api_client", None)
    if client is not None and not client.has_scope(scope):
        raise HttpError(403, _("This API client lacks the scope '%(scope)s'.") % {"scope": scope})


def _register_routers() -> None:
    from oegd.core.api import router as core_router
    from oegd.directory.api import router as directory_router
    from oegd.forms.api import router as forms_router

    api.add_router("/", core_router)
    api.add_router("/directory/", directory_router)
    api.add_router("/forms/", forms_router)


_register_routers()
