"""Builders for the catalogue/classification/transfer tests (helper "export")."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from pathlib import Path

from django.conf import settings

from oegd.cases.models import Person
from oegd.infection.models import InfectionCase, LabResult

SHARED_DATA = Path(settings.BASE_DIR).parent / "shared" / "data"
SURVNET_DIR = SHARED_DATA / "survnet"
DEMIS_DIR = SHARED_DATA / "demis"

_numbers = itertools.count(1)

# Symptoms (SNOMED CT)
FEVER, COUGH, DIARRHOEA, RASH = "386661006", "49727002", "62315008", "271807003"


def person(office, **fields) -> Person:
    values = {
        "given_name": "Henriette",
        "family_name": "Quarkenbusch",
        "birth_date": date(1987, 4, 23),
        "street": "Lindenstraße 17",
        "postal_code": "10115",
        "place": "Berlin",
        "email": "henriette@example.org",
        "phone": "030 1234567",
        "sex": "female",
    }
    values.update(fields)
    return Person.objects.create(office=office, **values)


def infection_case(office, *, person=None, disease="cvd", lab: str | None = None, **fields) -> InfectionCase:
    values = {
        "reference": f"IF-TEST-{next(_numbers):04d}",
        "disease": disease,
        "sex": "female",
        "notified_at": datetime(2026, 3, 10, 9, 30, tzinfo=UTC),
    }
    values.update(fields)
    case = InfectionCase.objects.create(office=office, person=person, **values)
    if lab:
        LabResult.objects.create(
            infection_case=case,
            pathogen=lab,
            interpretation=LabResult.Interpretation.POSITIVE,
            collected_at=datetime(2026, 3, 8, 8, 0, tzinfo=UTC),
        )
    return case
