"""Synthetic DEMIS notification bundles for tests, the demo and the benchmarks.

Profile-conformant (they validate with fhir.resources R4B and pass ``demis.parse_notification``)
but fictional: German names with umlauts, repeat notifications of the same person (follow-up
results) partly with typos in the name, postal codes from a given list, pathogens and diseases
from the catalogue. Seeded: the same arguments give the same bundles.

    for raw in synthetic_bundles(1000, seed=7, postal_codes=["13055", "10117"]):
        ingest ...
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson

SD = "https://demis.rki.de/fhir/StructureDefinition/"
CS = "https://demis.rki.de/fhir/CodeSystem/"
NS = "https://demis.rki.de/fhir/NamingSystem/"
BASE = "https://demis.rki.de/fhir/"
BERLIN = ZoneInfo("Europe/Berlin")

GIVEN_FEMALE = [
    "Anna", "Emma", "Sophie", "Marie", "Lena", "Jürgen", "Hannah", "Lea", "Mia", "Charlotte", "Johanna",
    "Käthe", "Jördis", "Bärbel", "Ursula", "Renate", "Gül", "Ayşe", "Zofia", "Olena", "Maëlle", "Frauke",
    "Ingrid", "Helga", "Sabine", "Katharina", "Anneliese", "Luise", "Greta", "Ida",
]  # fmt: skip
GIVEN_MALE = [
    "Lukas", "Jonas", "Leon", "Finn", "Paul", "Felix", "Maximilian", "Jörg", "Jürgen", "Günther", "Björn",
    "Sören", "Uwe", "Klaus", "Dieter", "Mehmet", "Emre", "Piotr", "Oleksandr", "Hans-Peter", "Karl-Heinz",
    "Matthias", "Stefan", "Tobias", "Florian", "Moritz", "Malte", "Jannik", "Ömer", "Niklas",
]  # fmt: skip
FAMILY = [
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
    "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
    "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Schmitz", "Krause", "Meier",
    "Lehmann", "Schmid", "Schulze", "Maier", "Köhler", "Herrmann", "König", "Walter", "Mayer", "Huber",
    "Kaiser", "Fuchs", "Peters", "Lang", "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Schubert", "Vogel",
    "Friedrich", "Keller", "Günther", "Frank", "Berger", "Winkler", "Roth", "Beck", "Lorenz", "Baumann",
    "Franke", "Albrecht", "Schuster", "Simon", "Ludwig", "Böhm", "Winter", "Kraus", "Martin", "Schumacher",
    "Krämer", "Vogt", "Stein", "Jäger", "Otto", "Sommer", "Groß", "Seidel", "Heinrich", "Brandt", "Haas",
    "Schreiber", "Graf", "Schulte", "Dietrich", "Ziegler", "Kuhn", "Kühn", "Pohl", "Engel", "Horn", "Busch",
    "Bergmann", "Thomas", "Voigt", "Sauer", "Arnold", "Wolff", "Pfeiffer", "Yılmaz", "Kaya", "Nowak",
    "Kowalski", "Shevchenko", "Öztürk", "Großmann", "Lüdecke", "Straßburger", "Mühlenbeck", "Käßler",
]  # fmt: skip
STREETS = [
    "Hauptstraße", "Schulstraße", "Gartenstraße", "Bahnhofstraße", "Dorfstraße", "Bergstraße", "Lindenstraße",
    "Kirchstraße", "Waldstraße", "Ringstraße", "Am Mühlbach", "Goethestraße", "Schillerstraße", "Rosenweg",
    "Möllendorffstraße", "Frankfurter Allee", "Weißenseer Weg", "Landsberger Allee", "Ährenweg", "Brückenstraße",
]  # fmt: skip
PLACES = {"13055": "Berlin", "10117": "Berlin", "12345": "Musterstadt", "20095": "Hamburg", "80331": "München"}
# Pathogens with a plausible test (LOINC) and material; others get a generic NAAT test.
TESTS = {
    "cvdp": ("94500-6", "SARS-CoV-2 (COVID-19) RNA [Presence] in Respiratory specimen by NAA with probe detection"),
    "invp": ("92142-9", "Influenza virus A RNA [Presence] in Respiratory specimen by NAA with probe detection"),
    "norp": ("94306-8", "Norovirus genogroup I and II RNA [Presence] in Stool by NAA with probe detection"),
    "rsvp": ("92131-2", "Respiratory syncytial virus RNA [Presence] in Respiratory specimen by NAA with probe"),
    "msvp": ("21501-2", "Measles virus RNA [Presence] in Specimen by NAA with probe detection"),
    "hivp": ("68961-2", "HIV 1 Ab [Presence] in Serum, Plasma or Blood by Immunoassay"),
}
MATERIALS = [("309164002", "Upper respiratory swab sample (specimen)"), ("119339001", "Stool specimen (specimen)")]
COMMON_PATHOGENS = ["cvdp", "cvdp", "cvdp", "invp", "invp", "norp", "rsvp", "camp", "salp", "msvp"]
SYMPTOMS = [("386661006", "Fever (finding)"), ("49727002", "Cough (finding)"), ("267036007", "Dyspnea (finding)")]


@dataclass(frozen=True)
class SyntheticPerson:
    given_name: str
    family_name: str
    birth_date: date
    sex: str
    street: str
    postal_code: str
    place: str


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _typo(rng: random.Random, name: str) -> str:
    """A realistic variation: umlaut spelt out, a dropped or doubled letter, swapped neighbours."""
    if any(ch in name for ch in "äöüß") and rng.random() < 0.5:
        return name.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    if len(name) < 4:
        return name
    i = rng.randrange(1, len(name) - 1)
    match rng.randrange(3):
        case 0:
            return name[:i] + name[i + 1 :]
        case 1:
            return name[:i] + name[i] + name[i:]
        case _:
            return name[: i - 1] + name[i] + name[i - 1] + name[i + 1 :]


def random_person(rng: random.Random, postal_codes: Sequence[str]) -> SyntheticPerson:
    sex = rng.choice(("female", "male"))
    postal_code = rng.choice(postal_codes)
    return SyntheticPerson(
        given_name=rng.choice(GIVEN_FEMALE if sex == "female" else GIVEN_MALE),
        family_name=rng.choice(FAMILY),
        birth_date=date(1930, 1, 1) + timedelta(days=rng.randrange(0, 34_000)),
        sex=sex,
        street=f"{rng.choice(STREETS)} {rng.randrange(1, 150)}",
        postal_code=postal_code,
        place=PLACES.get(postal_code, "Musterstadt"),
    )


def variant(rng: random.Random, person: SyntheticPerson, typo_share: float) -> SyntheticPerson:
    """The same person as a later notification names them (sometimes with a typo)."""
    if rng.random() >= typo_share:
        return person
    if rng.random() < 0.6:
        return replace(person, family_name=_typo(rng, person.family_name))
    return replace(person, given_name=_typo(rng, person.given_name))


def _patient(person: SyntheticPerson | None, pid: str, profile: str) -> dict[str, Any]:
    patient: dict[str, Any] = {"resourceType": "Patient", "id": pid, "meta": {"profile": [SD + profile]}}
    if person is None:
        return patient
    patient["gender"] = person.sex
    address_use = {
        "url": SD + "AddressUse",
        "valueCoding": {"system": CS + "addressUse", "code": "primary", "display": "Hauptwohnsitz"},
    }
    if profile == "NotifiedPerson":
        patient["name"] = [{"use": "official", "family": person.family_name, "given": person.given_name.split()}]
        patient["birthDate"] = person.birth_date.isoformat()
        patient["address"] = [
            {
                "extension": [address_use],
                "line": [person.street],
                "city": person.place,
                "postalCode": person.postal_code,
                "country": "20422",
            }
        ]
    else:  # not by name (§ 7.3): month of birth and the first three digits of the postal code
        patient["birthDate"] = person.birth_date.isoformat()[:7]
        patient["address"] = [{"extension": [address_use], "postalCode": person.postal_code[:3], "country": "20422"}]
    return patient


def _organisation(oid: str, profile: str, name: str, postal_code: str, kind: str) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": oid,
        "meta": {"profile": [SD + profile]},
        "identifier": [{"system": "https://fhir.kbv.de/NamingSystem/KBV_NS_Base_BSNR", "value": "248123512"}],
        "type": [{"coding": [{"system": CS + "organizationType", "code": kind}]}],
        "name": name,
        "telecom": [{"system": "phone", "value": "030 1234567", "use": "work"}],
        "address": [{"line": ["Laborstraße 1"], "city": "Berlin", "postalCode": postal_code, "country": "20422"}],
    }


def laboratory_bundle(
    rng: random.Random,
    person: SyntheticPerson | None,
    *,
    pathogen: str = "cvdp",
    kind: str = "lab",
    when: datetime | None = None,
    positive: bool = True,
) -> dict[str, Any]:
    """A laboratory notification: ``kind`` "lab" (§ 7.1), "lab73" (§ 7.3 not by name), "lab73a"
    (anonymous) or "lab74" (§ 7.4 negative)."""
    when = (when or datetime(2026, 3, 1, 9, 0, tzinfo=BERLIN)).replace(microsecond=0)
    bundle_profile, composition_profile, person_profile = {
        "lab": ("NotificationBundleLaboratory", "NotificationLaboratory", "NotifiedPerson"),
        "lab73": (
            "NotificationBundleLaboratoryNonNominal",
            "NotificationLaboratoryNonNominal",
            "NotifiedPersonNotByName",
        ),
        "lab73a": (
            "NotificationBundleLaboratoryAnonymous",
            "NotificationLaboratoryAnonymous",
            "NotifiedPersonAnonymous",
        ),
        "lab74": ("NotificationBundleLaboratoryNegative", "NotificationLaboratoryNegative", "NotifiedPersonAnonymous"),
    }[kind]
    if kind == "lab74":
        positive = False
    upper = pathogen.upper()
    ids = {name: _uuid(rng) for name in ("composition", "patient", "role", "lab", "srole", "sender", "dr", "obs", "sp")}
    test_code, test_display = TESTS.get(pathogen, ("94309-2", "Pathogen nucleic acid [Presence] by NAA"))
    material = MATERIALS[1] if pathogen in ("norp", "salp", "camp") else MATERIALS[0]
    collected = when - timedelta(hours=rng.randrange(12, 72))
    patient_ref = f"Patient/{ids['patient']}"
    detected = ("LA11882-0", "Detected") if positive else ("LA11883-8", "Not detected")
    resources = [
        {
            "resourceType": "Composition",
            "id": ids["composition"],
            "meta": {"profile": [SD + composition_profile]},
            "identifier": {"system": NS + "NotificationId", "value": _uuid(rng)},
            "status": "final",
            "type": {
                "coding": [{"system": "http://loinc.org", "code": "34782-3", "display": "Infectious disease Note"}]
            },
            "category": [
                {"coding": [{"system": "http://loinc.org", "code": "11502-2", "display": "Laboratory report"}]}
            ],
            "subject": {"reference": patient_ref},
            "date": when.isoformat(),
            "author": [{"reference": f"PractitionerRole/{ids['role']}"}],
            "title": "Erregernachweismeldung",
            "section": [
                {
                    "code": {
                        "coding": [{"system": "http://loinc.org", "code": "11502-2", "display": "Laboratory report"}]
                    },
                    "entry": [{"reference": f"DiagnosticReport/{ids['dr']}"}],
                }
            ],
        },
        _patient(person if kind != "lab73a" and kind != "lab74" else None, ids["patient"], person_profile),
        {
            "resourceType": "PractitionerRole",
            "id": ids["role"],
            "meta": {"profile": [SD + "NotifierRole"]},
            "organization": {"reference": f"Organization/{ids['lab']}"},
        },
        _organisation(ids["lab"], "NotifierFacility", rng.choice(LABS), "10115", "laboratory"),
        {
            "resourceType": "PractitionerRole",
            "id": ids["srole"],
            "meta": {"profile": [SD + "SubmittingRole"]},
            "organization": {"reference": f"Organization/{ids['sender']}"},
        },
        _organisation(ids["sender"], "SubmittingFacility", "Hausarztpraxis Dr. Özdemir", "13055", "othPrivatLab"),
        {
            "resourceType": "DiagnosticReport",
            "id": ids["dr"],
            "meta": {"profile": [SD + f"LaboratoryReport{upper}"]},
            "basedOn": [
                {
                    "type": "ServiceRequest",
                    "identifier": {"system": NS + "ServiceRequestId", "value": f"2026-{rng.randrange(10**8):08d}"},
                }
            ],
            "status": "final",
            "code": {"coding": [{"system": CS + "notificationCategory", "code": pathogen}]},
            "subject": {"reference": patient_ref},
            "issued": when.isoformat(),
            "result": [{"reference": f"Observation/{ids['obs']}"}],
            "conclusionCode": [
                {
                    "coding": [
                        {
                            "system": CS + "conclusionCode",
                            "code": "pathogenDetected" if positive else "pathogenNotDetected",
                        }
                    ]
                }
            ],
        },
        {
            "resourceType": "Observation",
            "id": ids["obs"],
            "meta": {"profile": [SD + f"PathogenDetection{upper}"]},
            "status": "final",
            "category": [
                {
                    "coding": [
                        {"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}
                    ]
                }
            ],
            "code": {"coding": [{"system": "http://loinc.org", "code": test_code, "display": test_display}]},
            "subject": {"reference": patient_ref},
            "valueCodeableConcept": {
                "coding": [{"system": "http://loinc.org", "code": detected[0], "display": detected[1]}]
            },
            "interpretation": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                            "code": "POS" if positive else "NEG",
                        }
                    ]
                }
            ],
            "method": {
                "coding": [
                    {
                        "system": "http://snomed.info/sct",
                        "code": "398545005",
                        "display": "Nucleic acid assay (procedure)",
                    }
                ]
            },
            "specimen": {"reference": f"Specimen/{ids['sp']}"},
        },
        {
            "resourceType": "Specimen",
            "id": ids["sp"],
            "meta": {"profile": [SD + f"Specimen{upper}"]},
            "status": "available",
            "type": {"coding": [{"system": "http://snomed.info/sct", "code": material[0], "display": material[1]}]},
            "subject": {"reference": patient_ref},
            "receivedTime": (collected + timedelta(hours=6)).isoformat(),
            "collection": {
                "collector": {"reference": f"PractitionerRole/{ids['srole']}"},
                "collectedDateTime": collected.isoformat(),
            },
        },
    ]
    return _bundle(rng, bundle_profile, when, resources)


def disease_bundle(
    rng: random.Random, person: SyntheticPerson, *, disease: str = "cvdd", when: datetime | None = None
) -> dict[str, Any]:
    """A § 6 disease notification by a physician, with onset, symptoms and hospitalisation."""
    when = (when or datetime(2026, 3, 1, 9, 0, tzinfo=BERLIN)).replace(microsecond=0)
    ids = {name: _uuid(rng) for name in ("composition", "patient", "condition", "role", "practice", "qr", "enc")}
    patient_ref = f"Patient/{ids['patient']}"
    onset = (when - timedelta(days=rng.randrange(2, 8))).date()
    symptoms = rng.sample(SYMPTOMS, rng.randrange(1, len(SYMPTOMS) + 1))
    hospitalised = rng.random() < 0.2
    yes_no = CS + "yesOrNoAnswer"
    hospital_answer: dict[str, Any] = {"valueCoding": {"system": yes_no, "code": "yes" if hospitalised else "no"}}
    resources: list[dict[str, Any]] = [
        {
            "resourceType": "Composition",
            "id": ids["composition"],
            "meta": {"profile": [SD + f"NotificationDisease{disease[:3].upper()}D"]},
            "identifier": {"system": NS + "NotificationId", "value": _uuid(rng)},
            "status": "final",
            "type": {
                "coding": [{"system": "http://loinc.org", "code": "34782-3", "display": "Infectious disease Note"}]
            },
            "category": [{"coding": [{"system": CS + "notificationType", "code": "6.1_2"}]}],
            "subject": {"reference": patient_ref},
            "date": when.isoformat(),
            "author": [{"reference": f"PractitionerRole/{ids['role']}"}],
            "title": "Meldung gemäß §6 Absatz 1, 2 IfSG",
            "section": [
                {
                    "code": {"coding": [{"system": CS + "sectionCode", "code": "diagnosis"}]},
                    "entry": [{"reference": f"Condition/{ids['condition']}"}],
                },
                {
                    "code": {"coding": [{"system": CS + "sectionCode", "code": "generalClinAndEpiInformation"}]},
                    "entry": [{"reference": f"QuestionnaireResponse/{ids['qr']}"}],
                },
            ],
        },
        _patient(person, ids["patient"], "NotifiedPerson"),
        {
            "resourceType": "Condition",
            "id": ids["condition"],
            "meta": {"profile": [SD + f"Disease{disease[:3].upper()}D"]},
            "verificationStatus": {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}
                ]
            },
            "code": {"coding": [{"system": CS + "notificationDiseaseCategory", "code": disease}]},
            "subject": {"reference": patient_ref},
            "onsetDateTime": onset.isoformat(),
            "recordedDate": when.date().isoformat(),
            "evidence": [
                {"code": [{"coding": [{"system": "http://snomed.info/sct", "code": code, "display": display}]}]}
                for code, display in symptoms
            ],
        },
        {
            "resourceType": "PractitionerRole",
            "id": ids["role"],
            "meta": {"profile": [SD + "NotifierRole"]},
            "organization": {"reference": f"Organization/{ids['practice']}"},
        },
        _organisation(ids["practice"], "NotifierFacility", "Praxis Dr. Müller-Lüdenscheidt", "13055", "othPrivatLab"),
        {
            "resourceType": "QuestionnaireResponse",
            "id": ids["qr"],
            "meta": {"profile": [SD + "DiseaseInformationCommon"]},
            "questionnaire": BASE + "Questionnaire/DiseaseQuestionsCommon",
            "status": "completed",
            "subject": {"reference": patient_ref},
            "item": [{"linkId": "hospitalized", "answer": [hospital_answer]}],
        },
    ]
    if hospitalised:
        hospital_answer["item"] = [
            {
                "linkId": "hospitalizedGroup",
                "item": [
                    {
                        "linkId": "hospitalizedEncounter",
                        "answer": [{"valueReference": {"reference": f"Encounter/{ids['enc']}"}}],
                    }
                ],
            }
        ]
        resources.append(
            {
                "resourceType": "Encounter",
                "id": ids["enc"],
                "meta": {"profile": [SD + "Hospitalization"]},
                "status": "in-progress",
                "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
                "subject": {"reference": patient_ref},
                "period": {"start": (onset + timedelta(days=2)).isoformat()},
            }
        )
    return _bundle(rng, "NotificationBundleDisease", when, resources)


LABS = ["Labor Berlin – Charité Vivantes", "MVZ Labor Dr. Kämpfe", "Synlab MVZ Weiden", "Labor Lüdenscheid Nord"]


def _bundle(rng: random.Random, profile: str, when: datetime, resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "meta": {"lastUpdated": when.isoformat(), "profile": [SD + profile]},
        "identifier": {"system": NS + "NotificationBundleId", "value": _uuid(rng)},
        "type": "document",
        "timestamp": when.isoformat(),
        "entry": [{"fullUrl": f"{BASE}{r['resourceType']}/{r['id']}", "resource": r} for r in resources],
    }


def synthetic_bundles(
    count: int,
    *,
    seed: int = 0,
    postal_codes: Sequence[str] = ("13055", "10117", "12345"),
    kinds: Sequence[str] = ("lab",),
    pathogens: Sequence[str] | None = None,
    repeat_share: float = 0.3,
    typo_share: float = 0.4,
    start: datetime | None = None,
    step_seconds: tuple[int, int] = (5, 90),
) -> Iterator[bytes]:
    """``count`` bundles as JSON bytes. ``repeat_share`` of them are further notifications of a
    person notified before (follow-up results, sometimes with a typo in the name); ``kinds`` are
    drawn evenly from "lab", "lab73", "lab73a", "lab74", "dis"."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    pathogens = list(pathogens or COMMON_PATHOGENS)
    seen: list[tuple[SyntheticPerson, str]] = []
    moment = start or datetime(2026, 1, 5, 8, 0, tzinfo=BERLIN)
    for _number in range(count):
        moment += timedelta(seconds=rng.randrange(*step_seconds))
        kind = rng.choice(kinds)
        if seen and rng.random() < repeat_share:
            original, pathogen = rng.choice(seen)
            person = variant(rng, original, typo_share)
        else:
            person, pathogen = random_person(rng, postal_codes), rng.choice(pathogens)
            if len(seen) < 50_000:
                seen.append((person, pathogen))
        if kind == "dis":
            disease = pathogen[:3] + "d"
            bundle = disease_bundle(rng, person, disease=disease if disease in DISEASE_CODES else "cvdd", when=moment)
        elif kind in ("lab73", "lab73a"):
            bundle = laboratory_bundle(rng, person, pathogen="hivp", kind=kind, when=moment)
        else:
            bundle = laboratory_bundle(rng, person, pathogen=pathogen, kind=kind, when=moment)
        yield orjson.dumps(bundle)


DISEASE_CODES = {"cvdd", "invd", "msvd"}
