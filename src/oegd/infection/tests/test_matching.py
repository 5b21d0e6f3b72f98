"""Online person matching: blocking, Fellegi–Sunter scores, office scoping, merged persons, query count."""

from datetime import date

import pytest

from oegd.cases.models import Person
from oegd.infection.matching import (
    REVIEW_FROM,
    IncomingPerson,
    birth_date_level,
    jaro_winkler,
    match_persons,
)

pytestmark = pytest.mark.django_db


def person(office, given, family, born, sex="female", street="Hauptstraße 5", postal_code="12345", **kwargs):
    return Person.objects.create(
        office=office,
        given_name=given,
        family_name=family,
        birth_date=born,
        sex=sex,
        street=street,
        postal_code=postal_code,
        place="Musterstadt",
        **kwargs,
    )


def incoming(given, family, born, sex="female", street="Hauptstraße 5", postal_code="12345"):
    return IncomingPerson(
        given_name=given,
        family_name=family,
        birth_date=born,
        sex=sex,
        street=street,
        postal_code=postal_code,
        place="Musterstadt",
    )


def test_jaro_winkler_matches_the_textbook_values():
    assert jaro_winkler("martha", "marhta") == pytest.approx(0.9611, abs=1e-4)
    assert jaro_winkler("dwayne", "duane") == pytest.approx(0.84, abs=1e-4)
    assert jaro_winkler("", "abc") == 0.0
    assert jaro_winkler("abc", "abc") == 1.0


def test_birth_date_levels():
    assert birth_date_level(date(1980, 3, 4), date(1980, 3, 4)) == "exact"
    assert birth_date_level(date(1980, 3, 4), date(1980, 4, 3)) == "day_month_swapped"
    assert birth_date_level(date(1980, 3, 4), date(1980, 3, 14)) == "one_part_differs"
    assert birth_date_level(date(1980, 3, 4), date(1981, 5, 4)) == "else"
    assert birth_date_level(None, date(1981, 5, 4)) == "null"


def test_exact_person_is_a_sure_match(cast):
    anna = person(cast.office_a, "Anna", "Schmidt", date(1980, 3, 4))
    [outcome] = match_persons(cast.office_a, [incoming("Anna", "Schmidt", date(1980, 3, 4))])
    assert outcome.match == anna
    assert outcome.candidates == []


@pytest.mark.parametrize(
    ("stored", "arriving"),
    [
        (("Hans", "Müller", date(1975, 6, 1)), ("Hans", "Mueller", date(1975, 6, 1))),
        (("Hans", "Müller", date(1975, 6, 1)), ("Hans", "Muller", date(1975, 6, 1))),
        (("Elif", "Yılmaz", date(1990, 11, 23)), ("Elif", "Yilmaz", date(1990, 11, 23))),
        (("Anna", "Meier", date(1980, 3, 4)), ("Anna", "Mayer", date(1980, 3, 4))),
        (("Anna", "Schmidt", date(1980, 3, 4)), ("Anna", "Schmidt", date(1980, 4, 3))),
        (("Anna", "Schmidt", date(1980, 3, 4)), ("Schmidt", "Anna", date(1980, 3, 4))),
    ],
)
def test_spelling_variants_are_found_with_a_high_score(cast, stored, arriving):
    existing = person(cast.office_a, *stored)
    person(cast.office_a, "Peter", "Zimmermann", stored[2], sex="male", street="Am Bach 1", postal_code="54321")
    [outcome] = match_persons(cast.office_a, [incoming(*arriving)])
    found = outcome.match or outcome.candidates[0][0]
    assert found == existing
    probability = 1.0 if outcome.match else outcome.candidates[0][1]
    assert probability >= REVIEW_FROM
    assert all(candidate.pk == existing.pk for candidate, _ in outcome.candidates)


def test_umlaut_variants_score_as_exact(cast):
    existing = person(cast.office_a, "Jürgen", "Müller", date(1975, 6, 1))
    [outcome] = match_persons(cast.office_a, [incoming("Juergen", "Mueller", date(1975, 6, 1))])
    assert outcome.match == existing


def test_a_different_person_with_the_same_birth_date_is_no_sure_match(cast):
    person(cast.office_a, "Anna", "Schmidt", date(1980, 3, 4))
    [outcome] = match_persons(cast.office_a, [incoming("Mehmet", "Öztürk", date(1980, 3, 4), sex="male")])
    assert outcome.match is None
    assert outcome.candidates == []


def test_same_name_other_birth_year_is_no_sure_match(cast):
    person(cast.office_a, "Anna", "Schmidt", date(1980, 3, 4))
    [outcome] = match_persons(cast.office_a, [incoming("Anna", "Schmidt", date(2011, 7, 19))])
    assert outcome.match is None


def test_other_offices_persons_are_never_returned(cast):
    person(cast.office_b, "Anna", "Schmidt", date(1980, 3, 4))
    [outcome] = match_persons(cast.office_a, [incoming("Anna", "Schmidt", date(1980, 3, 4))])
    assert outcome.match is None
    assert outcome.candidates == []


def test_merged_persons_are_never_returned(cast):
    kept = person(cast.office_a, "Anna", "Schmidt", date(1980, 3, 4))
    person(cast.office_a, "Anna", "Schmidt", date(1980, 3, 4), merged_into=kept)
    [outcome] = match_persons(cast.office_a, [incoming("Anna", "Schmidt", date(1980, 3, 4))])
    assert outcome.match == kept


def test_of_two_sure_matches_the_oldest_is_taken(cast):
    first = person(cast.office_a, "Anna", "Schmidt", date(1980, 3, 4))
    person(cast.office_a, "Anna", "Schmidt", date(1980, 3, 4))
    [outcome] = match_persons(cast.office_a, [incoming("Anna", "Schmidt", date(1980, 3, 4))])
    assert outcome.match == first
    assert outcome.candidates == []


def test_a_closer_record_scores_higher(cast):
    exact = person(cast.office_a, "Anna", "Schmidt", date(1980, 3, 4))
    typo = person(cast.office_a, "Anna", "Schmitt", date(1980, 3, 14), sex="male", street="Am Bach 1")
    [outcome] = match_persons(cast.office_a, [incoming("Anna", "Schmidt", date(1980, 3, 4))])
    assert outcome.match == exact
    [outcome] = match_persons(
        cast.office_a, [incoming("Anna", "Schmitt", date(1980, 3, 14), sex="", street="Am Bach 1")]
    )
    found = [(outcome.match, 1.0)] if outcome.match else outcome.candidates
    assert found[0][0] == typo


def test_person_without_birth_date_is_matched_by_names(cast):
    existing = person(cast.office_a, "Anna", "Schmidt", None)
    [outcome] = match_persons(cast.office_a, [incoming("Anna", "Schmidt", None)])
    assert (outcome.match or outcome.candidates[0][0]) == existing


def test_empty_batch():
    assert match_persons(None, []) == []


def test_batch_of_500_takes_a_bounded_number_of_queries(cast, django_assert_max_num_queries):
    from oegd.infection.synthetic_persons import synthetic_persons

    dataset = synthetic_persons(count=1000, seed=3)
    Person.objects.bulk_create([record.as_person(cast.office_a) for record in dataset.records[:500]])
    batch = [record.as_incoming() for record in dataset.records[500:]]
    # the blocking query (with SET LOCAL jit = off, in a savepoint here) and the matched Person rows
    with django_assert_max_num_queries(5):
        outcomes = match_persons(cast.office_a, batch)
    assert len(outcomes) == 500
    assert any(outcome.match or outcome.candidates for outcome in outcomes)


def test_the_portable_blocking_of_the_sqlite_demo_finds_what_the_postgresql_query_finds(cast):
    from oegd.infection.matching import _candidate_rows_portable, _record_of_incoming, candidate_rows

    office = cast.office_a
    person(office, "Anna", "Müller", date(1990, 5, 17))
    person(office, "Anna", "Mueller", date(1990, 5, 7))  # same year, a typo in the day
    person(office, "Müller", "Anna", date(1990, 5, 17))  # names swapped
    person(office, "Jonas", "Meier", date(1985, 3, 4))
    person(office, "Jonas", "Mayer", date(1985, 4, 3))  # day and month swapped
    person(office, "Jonas", "Meier", None)
    person(cast.office_b, "Anna", "Müller", date(1990, 5, 17))  # another office
    arriving = [
        incoming("Anna", "Muller", date(1990, 5, 17)),
        incoming("Jonas", "Maier", date(1985, 3, 4)),
        incoming("Jonas", "Meyer", None),
        incoming("Zoe", "Zander", date(2001, 1, 1)),
    ]
    records = [_record_of_incoming(p) for p in arriving]
    expected = sorted(candidate_rows(office, records))
    assert expected and {row[0] for row in expected} == {0, 1, 2}
    assert sorted(set(_candidate_rows_portable(office, records))) == expected
