"""The FHIR R4 alternative to the SurvNet XML: a notification bundle for the RKI copy of a case.

Shaped like the RKI copies DEMIS itself produces (``shared/data/demis/*expected-rki*.json``): the
person is a ``NotifiedPersonNotByName`` Patient with sex, birth date cut to the month, postal code
cut to three digits and the country — no name, telecom or street — and a keyed-hash pseudonym as its
id. The disease is a Condition coded from the DEMIS ``notificationDiseaseCategory`` code system,
with the recorded symptoms as evidence; lab findings are Observations coded from
``notificationCategory``; a hospital stay is an Encounter.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from django.utils import timezone

from oegd.infection import survnet
from oegd.infection.catalogue import disease_for_code
from oegd.infection.models import InfectionCase, LabResult, Sex

DEMIS = "https://demis.rki.de/fhir"
BUNDLE_PROFILE = f"{DEMIS}/StructureDefinition/NotificationBundleDisease"
PERSON_PROFILE = f"{DEMIS}/StructureDefinition/NotifiedPersonNotByName"
DISEASE_SYSTEM = f"{DEMIS}/CodeSystem/notificationDiseaseCategory"
PATHOGEN_SYSTEM = f"{DEMIS}/CodeSystem/notificationCategory"
GERMANY = "20422"  # DEMIS country code of Germany, as in the RKI copies
# Our own extension for what the RKI copy of DEMIS has no element for (case category, vaccination).
CLASSIFICATION_EXTENSION = "urn:oegd:fhir:StructureDefinition:CaseClassification"
VACCINATION_EXTENSION = "urn:oegd:fhir:StructureDefinition:VaccinationStatus"

GENDERS: dict[str, str] = {Sex.FEMALE: "female", Sex.MALE: "male", Sex.OTHER: "other", Sex.UNKNOWN: "unknown"}
INTERPRETATIONS: dict[str, str] = {
    LabResult.Interpretation.POSITIVE: "POS",
    LabResult.Interpretation.NEGATIVE: "NEG",
    LabResult.Interpretation.INDETERMINATE: "IND",
}


def _id(*parts: Any) -> str:
    """A stable resource id from the case's record id (no database ids leave the office)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "|".join(str(part) for part in parts)))


def _entry(resource: dict) -> dict:
    return {"fullUrl": f"{DEMIS}/{resource['resourceType']}/{resource['id']}", "resource": resource}


def _patient(case: InfectionCase, patient_id: str) -> dict:
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "id": patient_id,
        "meta": {"profile": [PERSON_PROFILE]},
        "gender": GENDERS.get(case.sex, "unknown"),
    }
    month = survnet.birth_month(case)
    if month:
        patient["birthDate"] = month
    address: dict[str, Any] = {"country": GERMANY}
    short = survnet.postal_code_short(case)
    if short:
        address["postalCode"] = short
    patient["address"] = [address]
    if case.deceased is not None:
        patient["deceasedBoolean"] = bool(case.deceased)
    return patient


def build_rki_bundle(case: InfectionCase, *, version: int = 1, record_id: str = "") -> dict:
    """The bundle as a dict (FHIR JSON), for one version of the case's transfer (``record_id``: the
    stored record GUID of the case's earlier transfers, else a fresh ``survnet.record_guid``)."""
    now = timezone.now()
    record = (record_id or survnet.record_guid(case)).strip("{}").lower()
    patient_id = survnet.patient_pseudonym(case).strip("{}").lower()
    disease = disease_for_code(case.disease)
    code = (disease.disease_code or (disease.pathogen_codes or (case.disease,))[0]) if disease else case.disease
    display = disease.name_de if disease else case.disease
    office_id = _id(record, "office")
    condition_id = _id(record, "condition")

    office = {
        "resourceType": "Organization",
        "id": office_id,
        "identifier": [{"system": f"{DEMIS}/CodeSystem/reportingSite", "value": case.office.rki_code or "0."}],
        "name": case.office.name,
    }
    condition: dict[str, Any] = {
        "resourceType": "Condition",
        "id": condition_id,
        "meta": {"profile": [f"{DEMIS}/StructureDefinition/Disease{code.upper()}"]},
        "extension": [
            {"url": CLASSIFICATION_EXTENSION, "valueCode": case.classification},
            {"url": VACCINATION_EXTENSION, "valueCode": case.vaccination},
        ],
        "verificationStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": "confirmed" if case.classification in ("B", "C", "D", "E") else "provisional",
                }
            ]
        },
        "code": {"coding": [{"system": DISEASE_SYSTEM, "code": code, "display": display}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "recordedDate": timezone.localdate(case.notified_at).isoformat(),
    }
    if case.onset_date:
        condition["onsetDateTime"] = case.onset_date.isoformat()
    symptoms = [str(symptom) for symptom in (case.symptoms or [])]
    if symptoms:
        condition["evidence"] = [
            {"code": [{"coding": [{"system": "http://snomed.info/sct", "code": s}]}]} for s in symptoms
        ]

    resources: list[dict] = [_patient(case, patient_id), condition, office]
    lab_refs = []
    if case.pk is not None:
        for lab in LabResult.objects.filter(infection_case=case).order_by("pk"):
            observation: dict[str, Any] = {
                "resourceType": "Observation",
                "id": _id(record, "lab", lab.pk),
                "status": "final",
                "code": {"coding": [{"system": PATHOGEN_SYSTEM, "code": lab.pathogen.lower()}]},
                "subject": {"reference": f"Patient/{patient_id}"},
                "interpretation": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                                "code": INTERPRETATIONS.get(lab.interpretation, "IND"),
                            }
                        ]
                    }
                ],
            }
            if lab.collected_at:
                observation["effectiveDateTime"] = lab.collected_at.isoformat()
            resources.append(observation)
            lab_refs.append({"reference": f"Observation/{observation['id']}"})
    if case.hospitalised:
        encounter: dict[str, Any] = {
            "resourceType": "Encounter",
            "id": _id(record, "hospitalisation"),
            "meta": {"profile": [f"{DEMIS}/StructureDefinition/Hospitalization"]},
            "status": "in-progress",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
            "subject": {"reference": f"Patient/{patient_id}"},
        }
        if case.hospitalised_on:
            encounter["period"] = {"start": case.hospitalised_on.isoformat()}
        resources.append(encounter)

    sections: list[dict[str, Any]] = [
        {
            "title": "Diagnose",
            "code": {"coding": [{"system": f"{DEMIS}/CodeSystem/sectionCode", "code": "diagnosis"}]},
            "entry": [{"reference": f"Condition/{condition_id}"}],
        }
    ]
    if lab_refs:
        sections.append(
            {
                "title": "Laborbefunde",
                "code": {"coding": [{"system": "http://loinc.org", "code": "11502-2", "display": "Laboratory report"}]},
                "entry": lab_refs,
            }
        )
    composition = {
        "resourceType": "Composition",
        "id": _id(record, "composition", version),
        "meta": {"profile": [f"{DEMIS}/StructureDefinition/NotificationDisease{code.upper()}"]},
        "identifier": {"system": f"{DEMIS}/NamingSystem/NotificationId", "value": _id(record, "notification")},
        "status": "amended" if version > 1 else "final",
        "type": {"coding": [{"system": "http://loinc.org", "code": "34782-3", "display": "Infectious disease Note"}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "date": now.isoformat(),
        "author": [{"reference": f"Organization/{office_id}"}],
        "title": "Übermittlung gemäß § 11 IfSG (nichtnamentlich)",
        "section": sections,
    }
    return {
        "resourceType": "Bundle",
        "id": _id(record, "bundle", version),
        "meta": {"profile": [BUNDLE_PROFILE], "lastUpdated": now.isoformat()},
        "identifier": {"system": f"{DEMIS}/NamingSystem/NotificationBundleId", "value": _id(record, "bundle", version)},
        "type": "document",
        "timestamp": now.isoformat(),
        "entry": [_entry(composition), *(_entry(resource) for resource in resources)],
    }


def build_rki_bundle_json(case: InfectionCase, *, version: int = 1, record_id: str = "") -> str:
    bundle = build_rki_bundle(case, version=version, record_id=record_id)
    return orjson.dumps(bundle, option=orjson.OPT_INDENT_2).decode()
