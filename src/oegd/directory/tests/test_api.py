import pytest

from oegd.core.tests.factories import OfficeFactory

URL = "/api/v1/directory/responsibility"


def test_responsibility_of_a_unique_postal_code(client, small_directory):
    OfficeFactory(slug="flensburg", rki_code="1.01.0.01.")

    response = client.get(URL, {"postal_code": "24937"})

    assert response.status_code == 200
    body = response.json()
    assert body["needs_place"] is False
    assert body["authority"]["name"] == "Stadt Flensburg"
    assert body["authority"]["email"] == "infektionsschutz@flensburg.de"
    assert body["authority"]["office"] == "flensburg"
    assert [c["code"] for c in body["candidates"]] == ["1.01.0.01."]


def test_responsibility_of_a_shared_postal_code(client, small_directory):
    body = client.get(URL, {"postal_code": "10117"}).json()

    assert body["needs_place"] is True
    assert body["authority"] is None
    assert {c["code"] for c in body["candidates"]} == {"1.11.0.01.", "1.11.0.02."}

    decided = client.get(URL, {"postal_code": "10117", "place": "Moabit"}).json()
    assert (decided["needs_place"], decided["authority"]["code"]) == (False, "1.11.0.01.")


@pytest.mark.django_db
def test_an_invalid_postal_code_is_a_422_problem(client):
    response = client.get(URL, {"postal_code": "abc"})

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422
    assert body["detail"] == "A German postal code has five digits, for example 10117."
    assert body["errors"] == [{"name": "postal_code", "reason": body["detail"]}]


def test_an_unknown_postal_code_is_a_404_problem(client, small_directory):
    response = client.get(URL, {"postal_code": "00000"})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "We do not know the postal code 00000."


@pytest.mark.django_db
def test_a_missing_postal_code_is_a_422_problem(client):
    response = client.get(URL)

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"


def test_search_authorities(client, small_directory):
    response = client.get("/api/v1/directory/authorities", {"q": "Kreuzberg"})

    assert response.status_code == 200
    assert [a["code"] for a in response.json()] == ["1.11.0.02."]
    assert len(client.get("/api/v1/directory/authorities").json()) == 3


@pytest.mark.django_db
def test_the_routes_are_public_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json()

    for path in ("/api/v1/directory/responsibility", "/api/v1/directory/authorities"):
        operation = spec["paths"][path]["get"]
        assert operation["x-access"] == "public"
        assert "security" not in operation
