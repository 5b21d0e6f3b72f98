import json
from datetime import date

import pytest
from fhir.resources.R4B.bundle import Bundle

from oegd.infection.fhir_export import PERSON_PROFILE, build_rki_bundle, build_rki_bundle_json
from oegd.infection.tests.export_factories import COUGH, DEMIS_DIR, FEVER, infection_case, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(cast):
    office = cast.office_a
    return infection_case(
        office,
        person=person(office),
        symptoms=[FEVER, COUGH],
        onset_date=date(2026, 3, 7),
        hospitalised=True,
        hospitalised_on=date(2026, 3, 9),
        classification="C",
        lab="cvdp",
    )


def _resources(bundle: dict, kind: str) -> list[dict]:
    return [entry["resource"] for entry in bundle["entry"] if entry["resource"]["resourceType"] == kind]


def test_bundle_is_valid_fhir_r4(case):
    parsed = Bundle.model_validate_json(build_rki_bundle_json(case, version=2))
    assert parsed.type == "document"
    assert parsed.entry[0].resource.__resource_type__ == "Composition"


def test_notified_person_not_by_name(case):
    patient = _resources(build_rki_bundle(case), "Patient")[0]
    assert patient["meta"]["profile"] == [PERSON_PROFILE]
    assert patient["birthDate"] == "1987-04"
    assert patient["address"] == [{"country": "20422", "postalCode": "101"}]
    assert patient["gender"] == "female"
    assert not {"name", "telecom", "identifier"} & set(patient)


def test_same_person_shape_as_the_demis_rki_copy(case):
    expected = DEMIS_DIR / "laboratory__expected-rki.json"
    if not expected.exists():
        pytest.skip(f"DEMIS example not present at {expected}")
    demis = _resources(json.loads(expected.read_text()), "Patient")[0]
    ours = _resources(build_rki_bundle(case), "Patient")[0]
    assert ours["meta"]["profile"] == demis["meta"]["profile"]
    assert set(ours) - {"deceasedBoolean"} <= set(demis) | {"extension"}
    assert len(ours["birthDate"]) == len(demis["birthDate"]) == 7
    assert len(ours["address"][0]["postalCode"]) == len(demis["address"][0]["postalCode"]) == 3


def test_disease_symptoms_and_lab(case):
    bundle = build_rki_bundle(case)
    condition = _resources(bundle, "Condition")[0]
    assert condition["code"]["coding"][0]["code"] == "cvdd"
    assert condition["onsetDateTime"] == "2026-03-07"
    assert {e["code"][0]["coding"][0]["code"] for e in condition["evidence"]} == {FEVER, COUGH}
    assert _resources(bundle, "Observation")[0]["code"]["coding"][0]["code"] == "cvdp"
    assert _resources(bundle, "Encounter")[0]["period"] == {"start": "2026-03-09"}


def test_no_direct_identifiers(case):
    text = build_rki_bundle_json(case)
    p = case.person
    for secret in (p.given_name, p.family_name, "Lindenstraße", "10115", "1987-04-23", p.email, p.phone, "Berlin"):
        assert secret not in text, secret


def test_ids_follow_the_record_id_and_not_the_secret_key(case, settings):
    bundle = build_rki_bundle(case)
    settings.SECRET_KEY = "a rotated secret key"
    again = build_rki_bundle(case, version=2)
    assert _resources(again, "Patient")[0]["id"] == _resources(bundle, "Patient")[0]["id"]
    assert _resources(again, "Condition")[0]["id"] == _resources(bundle, "Condition")[0]["id"]
    stored = build_rki_bundle(case, record_id="{0A1B2C3D-0000-1111-2222-333344445555}")
    assert _resources(stored, "Condition")[0]["id"] != _resources(bundle, "Condition")[0]["id"]
