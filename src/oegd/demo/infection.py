"""Demo DEMIS notifications for Gesundheitsamt Musterstadt: laboratory (§ 7.1) and disease (§ 6)
notifications, a few non-nominal (§ 7.3) and negative (§ 7.4) ones, follow-up results of the same
persons (some with typos, for the duplicate review), and some for the neighbouring district that
are forwarded (§ 11). Seeded: loading the demo again recognises them and changes nothing."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

import orjson
from django.utils import timezone

from oegd.core.audit import SystemActor
from oegd.core.models import Office
from oegd.infection.ingestion import ingest_demis_bundles
from oegd.infection.models import Notification
from oegd.infection.synthetic import SyntheticPerson, disease_bundle, laboratory_bundle, synthetic_bundles

ACTOR = SystemActor("demo")
# Persons notified twice with differences that leave a doubt: the second notification waits in the
# duplicate review (Dublettenprüfung) instead of being linked.
DOUBTFUL = [
    (
        SyntheticPerson("Katharina", "Großmann", date(1984, 7, 12), "female", "Lindenstraße 4", "12341", "Altstadt"),
        {"birth_date": date(1984, 7, 21), "street": "Hafenweg 2", "postal_code": "12344", "place": "Neustadt"},
    ),
    (
        SyntheticPerson("Jürgen", "Weiß", date(1958, 3, 4), "male", "Ringstraße 9", "12340", "Musterstadt"),
        {"birth_date": date(1958, 3, 14), "street": "Kirchstraße 2", "postal_code": "12342", "place": "Neustadt"},
    ),
    (
        SyntheticPerson("Ayşe", "Yılmaz", date(1992, 11, 30), "female", "Gartenstraße 21", "12342", "Neustadt"),
        {"given_name": "Ayse", "family_name": "Yilmaz", "birth_date": date(1992, 11, 3), "street": "Bahnhofstraße 5"},
    ),
]


def load_infection(offices: dict[str, Office]) -> None:
    """Ingest the demo notifications through the real ingestion path (received by Musterstadt)."""
    raws = list(
        synthetic_bundles(
            60,
            seed=2026,
            postal_codes=["12340", "12341", "12342", "12343", "12344", "12350"],
            kinds=("lab", "lab", "lab", "lab", "dis", "lab73", "lab74"),
            pathogens=["cvdp", "cvdp", "invp", "invp", "norp", "rsvp", "salp", "camp", "msvp"],
            repeat_share=0.3,
            typo_share=0.5,
            start=timezone.localtime() - timedelta(days=6),
            step_seconds=(600, 14_400),
        )
    )
    rng = random.Random(4711)  # noqa: S311 - demo data, not secrets
    now = timezone.localtime()
    later = []
    for first, changes in DOUBTFUL:
        raws.append(orjson.dumps(laboratory_bundle(rng, first, pathogen="cvdp", when=now - timedelta(days=3))))
        second = replace(first, **changes)
        later.append(orjson.dumps(disease_bundle(rng, second, disease="cvdd", when=now - timedelta(days=1))))
    # Two batches: the doubtful second notifications meet their first ones in the database.
    for batch in (raws, later):
        ingest_demis_bundles(
            receiving_office=offices["musterstadt"], raws=batch, source=Notification.Source.PUSH, actor=ACTOR
        )
    load_tracing(offices["musterstadt"])


def load_tracing(office: Office) -> None:
    """An outbreak in a day-care centre with two of the demo cases, and household contacts of
    a COVID-19 case, so the contact list, call list and outbreak page have something to show. Once."""
    from oegd.infection import tracing
    from oegd.infection.models import Contact, InfectionCase, Outbreak

    if Outbreak.objects.filter(office=office).exists() or Contact.objects.filter(office=office).exists():
        return
    open_cases = InfectionCase.objects.filter(office=office, status=InfectionCase.Status.OPEN, person__isnull=False)
    # The first disease of the demo with two named open cases (norovirus or influenza, as they come).
    for disease in ("nor", "inf", "cvd"):
        members = list(open_cases.filter(disease=disease).order_by("notified_at")[:2])
        if len(members) == 2:
            outbreak = tracing.create_outbreak(
                actor=ACTOR, office=office, name="Kita Sonnenschein", disease=disease, setting=Contact.Setting.SCHOOL
            )
            for infection_case in members:
                tracing.add_case_to_outbreak(actor=ACTOR, outbreak=outbreak, infection_case=infection_case)
            break
    index = open_cases.filter(disease="cvd").order_by("-notified_at").first()
    if index is not None and index.person is not None:
        today = timezone.localdate()
        household = (("Paul", Contact.Category.HOUSEHOLD, 1), ("Marie", Contact.Category.CLOSE, 2))
        for given_name, category, days in household:
            tracing.add_contact(
                actor=ACTOR,
                infection_case=index,
                category=category,
                exposure_date=today - timedelta(days=days),
                setting=Contact.Setting.HOUSEHOLD if category == Contact.Category.HOUSEHOLD else Contact.Setting.WORK,
                given_name=given_name,
                family_name=index.person.family_name,
                street=index.person.street,
                postal_code=index.person.postal_code,
                place=index.person.place,
            )
