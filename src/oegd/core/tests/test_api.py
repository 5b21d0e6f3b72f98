"""The REST API: token and session authentication, problem+json errors, OpenAPI; the FHIR base."""

import json

import pytest
from django.core.management import call_command
from django.utils import translation
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from oegd.core import services
from oegd.core.models import ApiClient, AuditEvent
from oegd.core.tests.factories import login_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(cast):
    _client, token = services.create_api_client(
        actor=cast.admin_a, office=cast.office_a, name="Praxis-Software", scopes=["read", "fhir"]
    )
    return token


def test_openapi_document_lists_the_operations(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/me" in spec["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_token_client_is_recognised(client, token):
    response = client.get("/api/v1/me", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json() == {
        "kind": "api_client",
        "name": "Praxis-Software",
        "office": "musterstadt",
        "scopes": ["fhir", "read"],
    }
    assert response["Cache-Control"] == "no-store"


def test_token_is_stored_only_as_a_hash(token):
    client = ApiClient.objects.get(name="Praxis-Software")
    assert token not in client.token_hash and client.token_prefix in token
    assert len(client.token_hash) == 64


@pytest.mark.parametrize("header", ["Bearer oegd_0000_wrong", "Bearer nonsense", "Basic abc", ""])
def test_bad_credentials_get_problem_json_401(client, token, header):
    headers = {"authorization": header} if header else {}
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 401 and body["title"]
    assert token not in response.content.decode()


def test_revoked_token_is_refused(client, token):
    from django.utils import timezone

    ApiClient.objects.update(revoked_at=timezone.now())
    assert client.get("/api/v1/me", headers={"authorization": f"Bearer {token}"}).status_code == 401


def test_verified_staff_session_works_for_the_api(client, cast):
    login_staff(client, cast.clerk_a)
    assert client.get("/api/v1/me").json()["office"] == "musterstadt"


def test_unknown_api_path_is_problem_json(client):
    response = client.get("/api/v1/does-not-exist")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_create_api_client_command_prints_token_once(capsys, cast):
    call_command("create_api_client", "--office", "musterstadt", "--name", "Labor Nord", "--scopes", "demis", "fhir")
    out = capsys.readouterr().out
    token = out.split("Token (shown once): ")[1].strip()
    client = services.authenticate_api_token(token)
    assert client.name == "Labor Nord" and client.scopes == ["demis", "fhir"]
    assert AuditEvent.objects.filter(action="api_client.create", office=cast.office_a).exists()


def test_create_api_client_refuses_unknown_scope(cast):
    from django.core.management.base import CommandError

    with translation.override("de"), pytest.raises(CommandError, match="Unbekannte Berechtigungsbereiche: everything"):
        call_command("create_api_client", "--office", "musterstadt", "--name", "X", "--scopes", "everything")
    assert not ApiClient.objects.exists()


def test_office_admin_creates_api_client_in_the_browser(client, cast):
    login_staff(client, cast.admin_a)
    response = client.post("/staff/api-clients/", {"name": "Schulsoftware", "scopes": ["forms"]})
    assert response.status_code == 200
    assert "oegd_" in response.content.decode()
    assert ApiClient.objects.get(name="Schulsoftware").office == cast.office_a
    bad = client.post("/staff/api-clients/", {"name": "", "scopes": ["nonsense"]})
    assert bad.status_code == 400
    assert ApiClient.objects.count() == 1


def test_fhir_metadata_is_a_valid_capability_statement(client):
    response = client.get("/fhir/metadata")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    statement = CapabilityStatement.model_validate(json.loads(response.content))
    assert statement.fhirVersion == "4.0.1"
    assert statement.rest[0].mode == "server"


def test_unknown_fhir_path_is_an_operation_outcome(client):
    response = client.get("/fhir/Nonsense/1")
    assert response.status_code == 404
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == "not-found"


def test_wrong_method_is_problem_json_with_allow_header(client):
    response = client.post("/api/v1/me")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response["Allow"] == "GET"
    fhir = client.post("/fhir/metadata")
    assert fhir.status_code == 405
    assert fhir.json()["resourceType"] == "OperationOutcome"


def test_openapi_documents_problem_json_errors(client):
    spec = client.get("/api/v1/openapi.json").json()
    me = spec["paths"]["/api/v1/me"]["get"]["responses"]
    assert set(me) >= {"200", "401", "403", "405"}
    assert "application/problem+json" in me["401"]["content"]


def test_docs_page_loads_nothing_from_outside(client):
    page = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "https://" not in page and "http://" not in page


def test_openapi_document_has_no_duplicate_keys(client):
    def refuse_duplicates(pairs):
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), keys
        return dict(pairs)

    json.loads(client.get("/api/v1/openapi.json").content, object_pairs_hook=refuse_duplicates)


def test_nul_characters_are_refused_not_crashing(client):
    api = client.get("/api/v1/directory/authorities", {"q": "Kiel\x00"})
    assert api.status_code == 400 and api["Content-Type"] == "application/problem+json"
    page = client.get("/responsibility/", {"postal_code": "24\x00937"})
    assert page.status_code == 400
