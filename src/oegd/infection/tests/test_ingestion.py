"""Ingestion services: mapping, linking follow-ups to the open case, review of uncertain persons,
idempotency (also under a race), routing and forwarding (§ 11), the bulk path and its audit."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
import pytest

from oegd.cases.models import Person
from oegd.core.audit import verify_chain
from oegd.core.models import AuditEvent
from oegd.core.services import DomainError
from oegd.directory.models import HealthAuthority, ResponsibilityEntry
from oegd.infection import ingestion
from oegd.infection.ingestion import forward_notification, ingest_demis_bundle, ingest_demis_bundles
from oegd.infection.models import Event, Forwarding, InfectionCase, LabResult, Notification, PersonMatch
from oegd.infection.synthetic import SyntheticPerson, disease_bundle, laboratory_bundle, synthetic_bundles

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
ANNA = SyntheticPerson("Anna", "Schäfer", date(1990, 5, 17), "female", "Gartenstraße 3", "12345", "Musterstadt")


def _rng(seed: int = 1) -> random.Random:
    return random.Random(seed)  # noqa: S311 - test data


def _lab(person=ANNA, seed=1, **kwargs) -> bytes:
    return orjson.dumps(laboratory_bundle(_rng(seed), person, **kwargs))


def _counts() -> dict[str, int]:
    return {
        m.__name__: m.objects.count()
        for m in (Notification, Person, InfectionCase, LabResult, Event, Forwarding, PersonMatch, AuditEvent)
    }


def _authority(code: str, name: str, postal_codes: list[str], office=None) -> HealthAuthority:
    authority = HealthAuthority.objects.create(code=code, name=name)
    for postal_code in postal_codes:
        ResponsibilityEntry.objects.create(
            authority=authority, kind=ResponsibilityEntry.Kind.POSTAL_CODE, value=postal_code, normalized=postal_code
        )
    if office is not None:
        office.rki_code = code
        office.save(update_fields=["rki_code"])
    return authority


def test_lab_notification_creates_person_case_lab_result_event_and_audit(cast):
    result = ingest_demis_bundle(receiving_office=cast.office_a, raw=_lab(pathogen="invp"))
    assert result.created
    notification = result.notification
    assert notification.kind == Notification.Kind.LABORATORY and notification.state == Notification.State.NEW
    assert (notification.pathogen, notification.disease) == ("invp", "inv")
    assert notification.residence_postal_code == "12345" and notification.notifier
    person = notification.person
    assert (person.given_name, person.family_name, person.birth_date) == ("Anna", "Schäfer", date(1990, 5, 17))
    assert person.name_key == "schaefer|anna" and person.family_phonetic
    case = notification.infection_case
    assert case.reference.startswith("IF-") and case.disease == "inv" and case.person == person
    assert case.status == InfectionCase.Status.OPEN and not case.non_nominal
    lab = LabResult.objects.get(infection_case=case)
    assert lab.interpretation == LabResult.Interpretation.POSITIVE and lab.notification == notification
    assert Event.objects.get(infection_case=case).data["notification"] == notification.pk
    event = AuditEvent.objects.get(action="infection.notification.receive")
    assert event.object_id == str(notification.pk) and event.office == cast.office_a
    assert verify_chain() is None
    assert "Anna" not in orjson.dumps(notification.summary).decode()  # no names in the coded summary


def test_follow_up_result_of_the_same_person_joins_the_open_case(cast):
    later = datetime(2026, 3, 4, 10, 0, tzinfo=BERLIN)
    first = ingest_demis_bundle(receiving_office=cast.office_a, raw=_lab(seed=1)).notification
    second = ingest_demis_bundle(receiving_office=cast.office_a, raw=_lab(seed=2, when=later)).notification
    assert second.person == first.person
    assert second.infection_case == first.infection_case
    assert second.state == Notification.State.ASSIGNED
    assert LabResult.objects.filter(infection_case=first.infection_case).count() == 2
    assert InfectionCase.objects.count() == 1 and Person.objects.count() == 1


def test_disease_notification_joins_the_lab_case_and_fills_it(cast):
    lab = ingest_demis_bundle(receiving_office=cast.office_a, raw=_lab(pathogen="cvdp")).notification
    disease = orjson.dumps(disease_bundle(_rng(4), ANNA, disease="cvdd"))
    notification = ingest_demis_bundle(receiving_office=cast.office_a, raw=disease).notification
    assert notification.kind == Notification.Kind.DISEASE
    assert notification.infection_case == lab.infection_case
    case = InfectionCase.objects.get()
    assert case.onset_date is not None and case.symptoms


def test_a_closed_case_is_not_reused(cast):
    first = ingest_demis_bundle(receiving_office=cast.office_a, raw=_lab(seed=1)).notification
    InfectionCase.objects.update(status=InfectionCase.Status.CLOSED)
    second = ingest_demis_bundle(receiving_office=cast.office_a, raw=_lab(seed=2)).notification
    assert second.person == first.person and second.infection_case != first.infection_case


def test_uncertain_person_goes_to_review(cast, monkeypatch):
    from oegd.infection import matching

    existing = Person.objects.create(office=cast.office_a, given_name="Anne", family_name="Schaefer")

    def uncertain(office, incoming):
        return [matching.MatchOutcome(match=None, candidates=[(existing, 0.7)]) for _ in incoming]

    monkeypatch.setattr(matching, "match_persons", uncertain)
    notification = ingest_demis_bundle(receiving_office=cast.office_a, raw=_lab()).notification
    assert notification.state == Notification.State.REVIEW
    assert notification.person != existing
    match = PersonMatch.objects.get()
    assert (match.person, match.candidate, match.score, match.notification) == (
        notification.person,
        existing,
        0.7,
        notification,
    )


def test_non_nominal_notification_keeps_no_person(cast):
    notification = ingest_demis_bundle(
        receiving_office=cast.office_a, raw=_lab(pathogen="hivp", kind="lab73")
    ).notification
    assert notification.kind == Notification.Kind.LABORATORY_NON_NOMINAL and notification.person is None
    case = notification.infection_case
    assert case.non_nominal and case.person is None
    assert (case.sex, case.birth_month, case.postal_code) == ("female", "1990-05", "123")
    assert Person.objects.count() == 0


def test_negative_result_without_open_case_is_an_inbox_item(cast):
    notification = ingest_demis_bundle(receiving_office=cast.office_a, raw=_lab(kind="lab74")).notification
    assert notification.kind == Notification.Kind.LABORATORY_NEGATIVE
    assert notification.infection_case is None and notification.summary["interpretation"] == "neg"
    assert InfectionCase.objects.count() == 0 and LabResult.objects.count() == 0


def test_repeat_returns_the_existing_notification_and_changes_nothing(cast):
    raw = _lab()
    first = ingest_demis_bundle(receiving_office=cast.office_a, raw=raw)
    before = _counts()
    again = ingest_demis_bundle(receiving_office=cast.office_b, raw=raw)
    assert not again.created and again.notification.pk == first.notification.pk
    assert _counts() == before


def test_a_lost_race_on_the_bundle_identifier_answers_with_the_stored_one(cast, monkeypatch):
    raw = _lab()
    first = ingest_demis_bundle(receiving_office=cast.office_a, raw=raw)
    before = _counts()
    monkeypatch.setattr(ingestion, "_stored", lambda identifier: None)  # the check ran before the other commit
    again = ingest_demis_bundle(receiving_office=cast.office_a, raw=raw)
    assert not again.created and again.notification.pk == first.notification.pk
    assert _counts() == before


def test_a_lost_race_in_a_batch_falls_back_to_single_bundles(cast, monkeypatch):
    raws = list(synthetic_bundles(25, seed=21))
    first = ingest_demis_bundles(receiving_office=cast.office_a, raws=raws)
    before = _counts()
    monkeypatch.setattr(ingestion, "_known", lambda identifiers: {})  # both checks ran before the other commit
    monkeypatch.setattr(ingestion, "_stored", lambda identifier: None)
    again = ingest_demis_bundles(receiving_office=cast.office_a, raws=raws)
    assert again.created == [] and [n.pk for n in again.existing] == [n.pk for n in first.created]
    assert _counts() == before


def test_routing_forwards_to_the_responsible_platform_office(cast):
    _authority("9.99.0.02.", "Gesundheitsamt Beispielkreis", ["12345"], office=cast.office_b)
    notification = ingest_demis_bundle(receiving_office=cast.office_a, raw=_lab()).notification
    assert notification.office == cast.office_b and notification.person.office == cast.office_b
    assert notification.infection_case.office == cast.office_b
    forwarding = Forwarding.objects.get()
    assert (forwarding.from_office, forwarding.to_office, forwarding.to_code) == (
        cast.office_a,
        cast.office_b,
        "9.99.0.02.",
    )
    assert AuditEvent.objects.get(action="infection.notification.receive").office == cast.office_b


@pytest.mark.parametrize(
    ("setup", "reason", "code"),
    [
        (lambda cast: None, "postal_code_unknown", ""),
        (lambda cast: _authority("9.99.0.09.", "Gesundheitsamt Anderswo", ["12345"]), "not_on_platform", "9.99.0.09."),
        (
            lambda cast: (
                _authority("9.99.0.07.", "Amt Eins", ["12345"]),
                _authority("9.99.0.08.", "Amt Zwei", ["12345"]),
            ),
            "ambiguous",
            "",
        ),
    ],
)
def test_routing_keeps_what_it_cannot_forward(cast, setup, reason, code):
    setup(cast)
    notification = ingest_demis_bundle(receiving_office=cast.office_a, raw=_lab()).notification
    assert notification.office == cast.office_a
    assert notification.summary["routing"]["reason"] == reason and notification.responsible_code == code
    assert Forwarding.objects.count() == 0


def test_a_batch_is_routed_in_three_queries_however_many_postal_codes(cast, django_assert_max_num_queries):
    from oegd.infection.ingestion import route_notifications

    codes = [f"{10000 + number}" for number in range(40)]
    _authority("9.99.0.02.", "Gesundheitsamt Beispielkreis", codes[:20], office=cast.office_b)
    _authority("9.99.0.09.", "Gesundheitsamt Anderswo", codes[20:30])
    residences = [(code, "Musterstadt") for code in codes] + [("", ""), ("123", "")]
    with django_assert_max_num_queries(3):
        routes = route_notifications(receiving_office=cast.office_a, residences=residences)
    assert {routes[(code, "Musterstadt")].office for code in codes[:20]} == {cast.office_b}
    assert {routes[(code, "Musterstadt")].reason for code in codes[20:30]} == {"not_on_platform"}
    assert {routes[(code, "Musterstadt")].reason for code in codes[30:]} == {"postal_code_unknown"}
    assert routes[("", "")].reason == routes[("123", "")].reason == "postal_code_missing"


def test_responsible_receiving_office_keeps_it(cast):
    _authority("9.99.0.01.", "Gesundheitsamt Musterstadt", ["12345"], office=cast.office_a)
    notification = ingest_demis_bundle(receiving_office=cast.office_a, raw=_lab()).notification
    assert notification.office == cast.office_a and notification.summary["routing"]["outcome"] == "responsible"
    assert notification.responsible_code == "9.99.0.01."


def test_staff_forward_a_notification_by_hand(cast):
    _authority("9.99.0.02.", "Gesundheitsamt Beispielkreis", ["20095"], office=cast.office_b)
    notification = ingest_demis_bundle(receiving_office=cast.office_a, raw=_lab()).notification
    old_case = notification.infection_case
    moved = forward_notification(
        actor=cast.clerk_a, notification=notification, to_office=cast.office_b, reason="Person moved to Beispielkreis"
    )
    assert moved.office == cast.office_b and moved.state == Notification.State.NEW
    assert moved.person.office == cast.office_b and moved.person != old_case.person
    assert moved.infection_case.office == cast.office_b
    assert LabResult.objects.get(notification=moved).infection_case == moved.infection_case
    forwarding = Forwarding.objects.get()
    assert (forwarding.from_office, forwarding.to_office, forwarding.forwarded_by) == (
        cast.office_a,
        cast.office_b,
        cast.clerk_a,
    )
    assert forwarding.reason == "Person moved to Beispielkreis"
    assert moved.responsible_code == "9.99.0.02." and moved.summary["routing"]["reason"] == "manual"
    assert Event.objects.filter(infection_case=old_case, code="notification.forwarded").exists()
    assert AuditEvent.objects.filter(action="infection.notification.forward", actor=cast.clerk_a).count() == 1
    assert verify_chain() is None


def test_forwarding_by_hand_refuses_without_reason_or_to_the_same_office(cast):
    notification = ingest_demis_bundle(receiving_office=cast.office_a, raw=_lab()).notification
    before = _counts()
    with pytest.raises(DomainError):
        forward_notification(actor=cast.clerk_a, notification=notification, to_office=cast.office_b, reason=" ")
    with pytest.raises(DomainError):
        forward_notification(actor=cast.clerk_a, notification=notification, to_office=cast.office_a, reason="x")
    assert _counts() == before


def test_bulk_ingestion_stores_a_batch_once(cast):
    raws = list(synthetic_bundles(150, seed=11, postal_codes=["12345"], kinds=("lab", "lab73", "lab74", "dis")))
    batch = [*raws, raws[3], b"{broken", raws[7]]  # repeats inside the batch and a refused one
    result = ingest_demis_bundles(receiving_office=cast.office_a, raws=batch)
    assert len(result.created) == 150
    assert [index for index, _ in result.refused] == [151]
    assert [n.pk for n in result.existing] == [result.created[3].pk, result.created[7].pk]
    assert Notification.objects.count() == 150
    assert AuditEvent.objects.filter(action="infection.notification.receive").count() == 150
    assert verify_chain() is None
    follow_ups = Notification.objects.filter(state=Notification.State.ASSIGNED).count()
    assert follow_ups > 0  # repeated persons joined their open case
    assert Person.objects.count() < Notification.objects.filter(person__isnull=False).count()

    before = _counts()
    again = ingest_demis_bundles(receiving_office=cast.office_a, raws=raws)
    assert again.created == [] and len(again.existing) == 150
    assert _counts() == before


def test_bulk_and_single_paths_agree(cast):
    persons = [ANNA, replace(ANNA, given_name="Jörg", family_name="Weiß", sex="male", birth_date=date(1970, 1, 2))]
    raws = [_lab(person=p, seed=n, when=datetime(2026, 3, 1, tzinfo=BERLIN) + timedelta(days=n)) for n, p in
            enumerate(persons * 2)]  # fmt: skip
    ingest_demis_bundles(receiving_office=cast.office_a, raws=raws)
    assert Person.objects.count() == 2 and InfectionCase.objects.count() == 2
    assert LabResult.objects.count() == 4


def test_ingest_demis_files_command(cast, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    for number, raw in enumerate(synthetic_bundles(5, seed=3)):
        (tmp_path / f"bundle-{number}.json").write_bytes(raw)
    (tmp_path / "broken.json").write_bytes(b"{")
    out, err = StringIO(), StringIO()
    call_command("ingest_demis_files", str(tmp_path), "--office", cast.office_a.slug, stdout=out, stderr=err)
    assert "6 files: 5 new, 0 known, 1 refused" in out.getvalue()
    assert "broken.json" in err.getvalue() and Notification.objects.count() == 5
