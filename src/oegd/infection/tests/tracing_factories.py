"""Builders for the contact tracing, measures and outbreak tests (helper "tracing")."""

from __future__ import annotations

import io
import itertools
import random
from dataclasses import replace
from datetime import date, timedelta

import orjson
import pypdf
from django.utils import timezone

from oegd.cases.models import Person
from oegd.infection import tracing
from oegd.infection.ingestion import ingest_demis_bundle
from oegd.infection.models import Contact, InfectionCase
from oegd.infection.synthetic import SyntheticPerson, laboratory_bundle

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
_sequence = itertools.count(1)


def person(office, family_name="Mustermann", given_name="Erika", **kwargs) -> Person:
    values = {"street": "Gänseweg 3", "postal_code": "12345", "place": "Musterstadt", **kwargs}
    return Person.objects.create(office=office, family_name=family_name, given_name=given_name, **values)


def measles_case(office, *, person_record=None, **kwargs) -> InfectionCase:
    """A measles case (quarantine 21 days for close contacts, isolation 5 days)."""
    values = {
        "reference": f"IF-TR{next(_sequence):06d}",
        "disease": "msv",
        "pathogen": "msvp",
        "person": person_record if person_record is not None else person(office, "Index", "Ida"),
        "onset_date": timezone.localdate() - timedelta(days=1),
        **kwargs,
    }
    return InfectionCase.objects.create(office=office, **values)


def days_ago(days: int) -> date:
    return timezone.localdate() - timedelta(days=days)


def contact(
    actor, case, family_name="Kontakt", given_name="Karl", *, category="close", exposure=2, **kwargs
) -> Contact:
    return tracing.add_contact(
        actor=actor,
        infection_case=case,
        category=category,
        exposure_date=days_ago(exposure),
        setting=kwargs.pop("setting", "household"),
        given_name=given_name,
        family_name=family_name,
        birth_date=kwargs.pop("birth_date", date(1985, 3, 4)),
        **kwargs,
    )


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join("\n".join(page.extract_text() for page in reader.pages).split())


ANNA = SyntheticPerson("Anna", "Schäfer", date(1990, 5, 17), "female", "Gartenstraße 3", "12345", "Musterstadt")


def review_variant(person: SyntheticPerson = ANNA) -> SyntheticPerson:
    """The same person as a second laboratory names her, with a typo in the family name and other
    differences: the first variant the current match weights find likely but not sure (review queue).
    Chosen at run time because the weights are retrained (``match_weights.json``)."""
    from oegd.infection.matching import AUTO_LINK, REVIEW_FROM, IncomingPerson, _record_of_incoming, match_probability

    def incoming(p: SyntheticPerson) -> IncomingPerson:
        return IncomingPerson(p.given_name, p.family_name, p.birth_date, p.sex, p.street, p.postal_code, p.place)

    typo = replace(person, family_name="Schäffer")
    candidates = [
        replace(typo, birth_date=date(1990, 5, 18), street="Lindenweg 8"),
        replace(typo, birth_date=date(1990, 5, 18), street="Lindenweg 8", postal_code="12346"),
        replace(typo, birth_date=date(1990, 5, 18), street="", postal_code="", place=""),
        replace(typo, birth_date=date(1991, 6, 18)),
        replace(typo, street="Lindenweg 8", postal_code="12346"),
    ]
    for candidate in candidates:
        score = match_probability(_record_of_incoming(incoming(person)), _record_of_incoming(incoming(candidate)))
        if REVIEW_FROM <= score < AUTO_LINK:
            return candidate
    raise AssertionError("no test variant falls into the review band of the current match weights")


def ingest_lab(office, person, seed, when):
    """Ingest a synthetic measles laboratory notification (helper A's generator and ingestion)."""
    raw = orjson.dumps(laboratory_bundle(random.Random(seed), person, pathogen="msvp", when=when))  # noqa: S311
    return ingest_demis_bundle(receiving_office=office, raw=raw).notification
