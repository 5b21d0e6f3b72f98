"""Property-based API tests: schemathesis generates calls from the OpenAPI document and checks
every answer against it (no 5xx, documented status codes and bodies, problem+json on errors)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from oegd.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Calls go through the real WSGI app; like Django's test client, keep the test's
    database connection open across requests."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=50, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_answers_match_the_openapi_document(case):
    response = case.call()
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"][0].startswith("application/problem+json"), response.text
    case.validate_response(response)
