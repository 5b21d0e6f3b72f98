"""Every route declares who may use it; anonymous callers never get past a protected one."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from oegd.api import api
from oegd.core.access import ACCESS_ATTR

# Routes with their own, framework-level guard, each with the reason.
EXEMPT_PREFIXES = {
    "admin/": "Django's admin checks is_staff (operators) itself",
    "api/v1/": "django-ninja operations are checked in test_every_api_operation_declares_access",
    "static/": "static files",
}


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def _routes():
    return [
        (route, view)
        for route, view in _walk(get_resolver().url_patterns)
        if not any(route.startswith(exempt) for exempt in EXEMPT_PREFIXES)
    ]


def test_every_url_declares_access():
    missing = [route for route, view in _routes() if not getattr(view, ACCESS_ATTR, None)]
    assert missing == [], f"routes without a declared access rule: {missing}"
    assert len(_routes()) > 20


def test_every_api_operation_declares_access():
    undeclared = []
    count = 0
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                count += 1
                public = (operation.openapi_extra or {}).get("x-access") == "public"
                if not operation.auth_callbacks and not public:
                    undeclared.append(f"{operation.methods} {prefix}{path}")
    assert undeclared == []
    assert count >= 1


def _concrete(route: str) -> str:
    route = re.sub(r"<int:[^>]+>", "1", route)
    route = re.sub(r"<[^>]+>", "x", route)
    return "/" + route


@pytest.mark.django_db
def test_anonymous_is_turned_away_from_every_protected_route(client):
    checked = 0
    for route, view in _routes():
        rule = getattr(view, ACCESS_ATTR)
        if rule == "public":
            continue
        response = client.get(_concrete(route))
        if rule.startswith("token:"):  # systems: no login page, a FHIR 401 instead
            assert response.status_code == 401, (route, response.status_code)
            assert response.json()["resourceType"] == "OperationOutcome"
            checked += 1
            continue
        assert response.status_code in (302, 405), (route, response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith("/login/"), route
        checked += 1
    assert checked >= 8


@pytest.mark.django_db
def test_citizen_is_turned_away_from_staff_routes(client, cast):
    client.force_login(cast.citizen)
    for route, view in _routes():
        if getattr(view, ACCESS_ATTR).startswith("staff:"):
            response = client.get(_concrete(route))
            assert response.status_code in (302, 405), route
            if response.status_code == 302:
                assert response["Location"].startswith("/login/"), route
