"""Parsing DEMIS bundles, the synthetic generator, and refusals of bad input at the endpoint."""

from __future__ import annotations

import copy
from datetime import date

import orjson
import pytest
from fhir.resources.R4B.bundle import Bundle

from oegd.cases.models import Person
from oegd.core.models import AuditEvent
from oegd.core.services import create_api_client
from oegd.infection.demis import NotificationRefused, parse_notification
from oegd.infection.models import Event, InfectionCase, LabResult, Notification
from oegd.infection.synthetic import SyntheticPerson, disease_bundle, laboratory_bundle, synthetic_bundles

URL = "/fhir/$process-notification"
PERSON = SyntheticPerson("Jürgen", "Müller-Lüdenscheidt", date(1980, 2, 29), "male", "Hauptstraße 5", "13055", "Berlin")


def _lab(**kwargs) -> dict:
    import random

    return laboratory_bundle(random.Random(1), PERSON, **kwargs)  # noqa: S311 - test data


def _raw(bundle: dict) -> bytes:
    return orjson.dumps(bundle)


# --- parser ----------------------------------------------------------------------------------------


def test_synthetic_lab_bundle_round_trips_through_the_parser():
    parsed = parse_notification(_raw(_lab(pathogen="cvdp")))
    assert parsed.kind == "lab" and parsed.nominal
    assert (parsed.person.given_name, parsed.person.family_name) == ("Jürgen", "Müller-Lüdenscheidt")
    assert parsed.person.birth_date == date(1980, 2, 29) and parsed.person.sex == "male"
    assert parsed.person.residence.postal_code == "13055" and parsed.person.residence.street == "Hauptstraße 5"
    assert (parsed.pathogen, parsed.disease) == ("cvdp", "cvd")
    assert parsed.interpretation == "pos"
    finding = parsed.findings[0]
    assert finding.code == "94500-6" and finding.material.startswith("309164002")
    assert finding.collected_at is not None and finding.collected_at < parsed.notified_at


def test_non_nominal_and_negative_bundles_keep_no_name():
    not_by_name = parse_notification(_raw(_lab(pathogen="hivp", kind="lab73")))
    assert not not_by_name.nominal and not_by_name.person.family_name == ""
    assert not_by_name.person.birth_month == "1980-02" and not_by_name.person.residence.postal_code == "130"
    negative = parse_notification(_raw(_lab(kind="lab74")))
    assert negative.kind == "lab74" and negative.interpretation == "neg" and not negative.nominal


def test_disease_bundle_round_trips():
    import random

    parsed = parse_notification(_raw(disease_bundle(random.Random(3), PERSON, disease="msvd")))  # noqa: S311
    assert parsed.kind == "dis" and parsed.disease == "msv" and parsed.diagnosis is not None
    assert parsed.diagnosis.onset_date is not None and parsed.diagnosis.symptoms


def test_generated_bundles_validate_with_fhir_resources():
    kinds = ("lab", "lab73", "lab73a", "lab74", "dis")
    for raw in synthetic_bundles(40, seed=5, kinds=kinds):
        Bundle.model_validate_json(raw)
        assert parse_notification(raw).bundle_identifier


def test_generator_is_seeded_and_repeats_persons():
    first = list(synthetic_bundles(50, seed=9, repeat_share=0.5))
    assert first == list(synthetic_bundles(50, seed=9, repeat_share=0.5))
    names = [parse_notification(raw).person.birth_date for raw in first]
    assert len(set(names)) < len(names)  # follow-up notifications of the same persons


def test_references_resolve_by_urn_uuid():
    bundle = _lab()
    patient_entry = bundle["entry"][1]
    patient_entry["fullUrl"] = f"urn:uuid:{patient_entry['resource']['id']}"
    bundle["entry"][0]["resource"]["subject"] = {"reference": patient_entry["fullUrl"]}
    assert parse_notification(_raw(bundle)).person.family_name == "Müller-Lüdenscheidt"


@pytest.mark.parametrize(
    ("mutate", "status", "text"),
    [
        (lambda b: b.update(type="collection"), 422, "type 'document'"),
        (lambda b: b.pop("identifier"), 422, "no identifier"),
        (lambda b: b["meta"].update(profile=["https://demis.rki.de/fhir/StructureDefinition/Other"]), 422, "Other"),
        (lambda b: b["entry"].pop(0), 422, "first entry"),
        (lambda b: b["entry"][0]["resource"].update(subject={"reference": "Patient/nope"}), 422, "notified person"),
        (lambda b: b["entry"][6]["resource"]["code"]["coding"][0].update(code="xxxp"), 422, "'xxxp'"),
        (lambda b: b["entry"][0]["resource"].update(date="4. März"), 422, "Composition.date"),
        (lambda b: b.update(entry=[]), 422, "no entries"),
        # Elements of the wrong type deep down: refused, never a server error (nor a stuck pull).
        (lambda b: b["entry"][6]["resource"].update(conclusionCode={"coding": []}), 422, "wrong type"),
        (
            lambda b: b["entry"][1]["resource"].update(
                address=[{"extension": [{"url": "https://demis.rki.de/fhir/AddressUse", "valueCoding": "primary"}]}]
            ),
            422,
            "wrong type",
        ),
    ],
)
def test_structural_refusals(mutate, status, text):
    bundle = copy.deepcopy(_lab())
    mutate(bundle)
    with pytest.raises(NotificationRefused) as refused:
        parse_notification(_raw(bundle))
    assert refused.value.status == status
    assert text in refused.value.message


def test_not_json_and_not_a_bundle_are_400():
    for body, text in [(b"{not json", "not valid JSON"), (b"[1, 2]", "not a FHIR resource")]:
        with pytest.raises(NotificationRefused) as refused:
            parse_notification(body)
        assert refused.value.status == 400 and text in refused.value.message
    with pytest.raises(NotificationRefused) as refused:
        parse_notification(b'{"resourceType": "Patient"}')
    assert refused.value.status == 400 and "'Patient'" in refused.value.message


# --- the endpoint refuses bad input and changes nothing -------------------------------------------


def _counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in (Notification, Person, InfectionCase, LabResult, Event, AuditEvent)}


@pytest.fixture
def demis(cast):
    _client, token = create_api_client(actor=None, office=cast.office_a, name="DEMIS", scopes=["demis"])
    return {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ACCEPT_LANGUAGE": "en"}


def _bad(mutate):
    bundle = copy.deepcopy(_lab())
    mutate(bundle)
    return _raw(bundle)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status", "text"),
    [
        (b"this is not json", 400, "not valid JSON"),
        (b'{"resourceType": "Observation"}', 400, "Expected a FHIR Bundle"),
        (_bad(lambda b: b["meta"].update(profile=["https://example.org/Foo"])), 422, "not a DEMIS notification"),
        (_bad(lambda b: b["entry"].pop(0)), 422, "notification Composition"),
        (_bad(lambda b: b["entry"].pop(1)), 422, "notified person"),
        (_bad(lambda b: b["entry"][6]["resource"]["code"]["coding"][0].update(code="zzzp")), 422, "Unknown pathogen"),
        (b'{"resourceType": "Parameters", "parameter": []}', 400, "parameter 'content'"),
    ],
    ids=["not-json", "not-bundle", "wrong-profile", "no-composition", "no-person", "unknown-code", "empty-params"],
)
def test_endpoint_refuses_bad_input(client, demis, body, status, text):
    before = _counts()
    response = client.post(URL, data=body, content_type="application/fhir+json", **demis)
    assert response.status_code == status
    assert response["Content-Type"] == "application/fhir+json"
    issue = response.json()["issue"][0]
    assert issue["severity"] == "error" and text in issue["diagnostics"]
    assert _counts() == before


@pytest.mark.django_db
def test_endpoint_needs_the_demis_scope_and_json(client, cast, demis):
    body = _raw(_lab())
    assert client.post(URL, data=body, content_type="application/fhir+json").status_code == 401
    _client, token = create_api_client(actor=None, office=cast.office_a, name="Forms", scopes=["forms"])
    other = client.post(URL, data=body, content_type="application/fhir+json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert other.status_code == 403
    assert client.post(URL, data=body, content_type="text/plain", **demis).status_code == 415
    assert client.get(URL, **demis).status_code == 405
    assert Notification.objects.count() == 0
    assert client.post(URL, data=body, content_type="application/json", **demis).status_code == 201


@pytest.mark.django_db
def test_endpoint_refuses_oversized_bodies(client, demis, settings):
    from oegd.infection import fhir_views

    body = _raw(_lab())
    fhir_views.MAX_NOTIFICATION_BYTES, limit = 100, fhir_views.MAX_NOTIFICATION_BYTES
    try:
        response = client.post(URL, data=body, content_type="application/fhir+json", **demis)
    finally:
        fhir_views.MAX_NOTIFICATION_BYTES = limit
    assert response.status_code == 413 and Notification.objects.count() == 0


@pytest.mark.django_db
def test_capability_statement_lists_process_notification(client):
    statement = client.get("/fhir/metadata").json()
    assert "process-notification" in {op["name"] for op in statement["rest"][0]["operation"]}
