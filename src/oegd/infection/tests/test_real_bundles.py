"""Every real DEMIS bundle in ../shared/data/demis through ``POST /fhir/$process-notification``."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from django.conf import settings

from oegd.cases.models import Person
from oegd.core.models import AuditEvent
from oegd.core.services import create_api_client
from oegd.infection.models import Event, Forwarding, InfectionCase, LabResult, Notification, PersonMatch

pytestmark = pytest.mark.django_db

DEMIS = Path(settings.BASE_DIR).parent / "shared" / "data" / "demis"
FILES = sorted(DEMIS.glob("*.json")) if DEMIS.is_dir() else []
NOTIFICATION_FILES = [path for path in FILES if "ReceiptBundle" not in path.name]
needs_data = pytest.mark.skipif(not FILES, reason=f"real DEMIS bundles not present at {DEMIS}")
URL = "/fhir/$process-notification"


def _bundle_of(path: Path) -> dict:
    data = orjson.loads(path.read_bytes())
    if data["resourceType"] == "Parameters":
        data = next(p["resource"] for p in data["parameter"] if p["name"] == "content")
    return data


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Notification, Person, InfectionCase, LabResult, Event, Forwarding, PersonMatch, AuditEvent)
    }


@pytest.fixture
def demis(cast):
    _client, token = create_api_client(actor=None, office=cast.office_a, name="DEMIS", scopes=["demis"])
    return {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ACCEPT_LANGUAGE": "en"}


def _post(client, body: bytes | str, headers: dict, content_type: str = "application/fhir+json"):
    return client.post(URL, data=body, content_type=content_type, **headers)


@needs_data
@pytest.mark.parametrize("path", NOTIFICATION_FILES, ids=lambda p: p.name)
def test_each_real_bundle_is_accepted_mapped_and_recognised_again(client, cast, demis, path):
    raw = path.read_bytes()
    bundle = _bundle_of(path)
    response = _post(client, raw, demis)
    assert response.status_code == 201, response.content
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["severity"] == "information"
    notification = Notification.objects.get(bundle_identifier=bundle["identifier"]["value"])
    assert outcome["issue"][0]["details"]["coding"][0]["code"] == str(notification.pk)
    assert response["Location"].endswith(f"/notifications/{notification.pk}/")
    assert notification.office == cast.office_a  # no directory data: stays with the receiving office
    assert json.loads(notification.bundle) == orjson.loads(raw)
    assert notification.summary["routing"]["outcome"] == "kept"
    profile = bundle["meta"]["profile"][0].rsplit("/", 1)[1]
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    patient_profile = patient["meta"]["profile"][0].rsplit("/", 1)[1]
    named = profile in ("NotificationBundleLaboratory", "NotificationBundleDisease") and "name" in patient
    assert patient_profile in ("NotifiedPerson", "NotifiedPersonNotByName", "NotifiedPersonAnonymous")
    if named:
        person = notification.person
        assert person is not None and person.office == cast.office_a
        assert person.family_name == patient["name"][0]["family"]
        assert str(person.birth_date) == patient["birthDate"]
    else:
        assert notification.person is None
    if profile == "NotificationBundleLaboratoryNegative":
        assert notification.kind == Notification.Kind.LABORATORY_NEGATIVE
        assert notification.infection_case is None  # an inbox item without a case
        assert notification.summary["interpretation"] == "neg"
    else:
        case = notification.infection_case
        assert case is not None and case.office == cast.office_a
        assert case.person == notification.person
        assert case.non_nominal == (not named)
        if not named:
            assert case.sex in ("female", "male", "unknown")
            if "birthDate" in patient:
                assert case.birth_month == patient["birthDate"][:7]
        assert Event.objects.filter(infection_case=case, code="notification.received").count() == 1
        if "Laboratory" in profile:
            assert notification.pathogen in ("cvdp", "hivp")
            results = LabResult.objects.filter(notification=notification)
            assert results.count() >= 1
            assert {r.interpretation for r in results} == {"pos"}
            assert all(r.infection_case == case for r in results)
        else:
            assert notification.disease in ("cvd", "hiv")
            assert "diagnosis" in notification.summary
    assert (
        AuditEvent.objects.filter(action="infection.notification.receive", object_id=str(notification.pk)).count() == 1
    )

    before = _counts()
    again = _post(client, raw, demis)
    assert again.status_code == 200
    assert again.json()["issue"][0]["details"]["coding"][0]["code"] == str(notification.pk)
    assert "already received" in again.json()["issue"][0]["diagnostics"]
    assert _counts() == before


@needs_data
def test_disease_bundle_maps_onset_symptoms_hospitalisation_and_vaccination(client, demis):
    raw = (DEMIS / "disease__input-notification.json").read_bytes()
    assert _post(client, raw, demis).status_code == 201
    case = Notification.objects.get().infection_case
    assert str(case.onset_date) == "2022-01-01"
    assert "386661006" in case.symptoms  # fever
    assert case.hospitalised is True and str(case.hospitalised_on) == "2022-01-05"
    assert case.deceased is True
    assert case.vaccination == InfectionCase.Vaccination.COMPLETE
    assert case.person.family_name == "Betroffen" and case.person.given_name == "Bertha-Luise Hanna Karin"


@needs_data
def test_files_sharing_a_bundle_identifier_are_one_notification(client, demis):
    identifiers: dict[str, int] = {}
    for path in NOTIFICATION_FILES:
        identifier = _bundle_of(path)["identifier"]["value"]
        response = _post(client, path.read_bytes(), demis)
        code = int(response.json()["issue"][0]["details"]["coding"][0]["code"])
        if identifier in identifiers:
            assert response.status_code == 200, path.name
            assert code == identifiers[identifier]
        else:
            assert response.status_code == 201, path.name
            identifiers[identifier] = code
    assert Notification.objects.count() == len(identifiers) < len(NOTIFICATION_FILES)


@needs_data
def test_receipt_bundle_is_refused(client, demis):
    before = _counts()
    response = _post(client, (DEMIS / "builder__ReportReceiptBundleExample.json").read_bytes(), demis)
    assert response.status_code == 422
    issue = response.json()["issue"][0]
    assert issue["severity"] == "error"
    assert "ReceiptBundle" in issue["diagnostics"] and "not a DEMIS notification profile" in issue["diagnostics"]
    assert _counts() == before


@needs_data
def test_lab_bundle_for_13055_is_forwarded_to_lichtenberg(client, cast, demis):
    from oegd.core.tests.factories import OfficeFactory
    from oegd.directory.models import HealthAuthority, ResponsibilityEntry

    lichtenberg = OfficeFactory(slug="lichtenberg", name="Gesundheitsamt Lichtenberg", rki_code="1.11.0.11.01.")
    authority = HealthAuthority.objects.create(code="1.11.0.11.01.", name="Bezirksamt Lichtenberg von Berlin")
    ResponsibilityEntry.objects.create(
        authority=authority, kind=ResponsibilityEntry.Kind.POSTAL_CODE, value="13055", normalized="13055"
    )
    response = _post(client, (DEMIS / "laboratory__input-notification.json").read_bytes(), demis)
    assert response.status_code == 201
    notification = Notification.objects.get()
    assert notification.office == lichtenberg
    assert notification.responsible_code == "1.11.0.11.01."
    assert notification.person.office == lichtenberg and notification.infection_case.office == lichtenberg
    forwarding = Forwarding.objects.get(notification=notification)
    assert (forwarding.from_office, forwarding.to_office, forwarding.to_code) == (
        cast.office_a,
        lichtenberg,
        "1.11.0.11.01.",
    )
    assert "13055" in forwarding.reason
    assert notification.summary["routing"] == {
        "outcome": "forwarded",
        "reason": "residence",
        "postal_code": "13055",
        "authority": "1.11.0.11.01.",
        "authority_name": "Bezirksamt Lichtenberg von Berlin",
    }
