"""Matching incoming persons against an office's person records (Personenabgleich, Dublettenprüfung).

Online: `match_persons` takes a batch of incoming persons (e.g. from DEMIS notifications), fetches
the candidates of the whole batch with one indexed query (blocking on birth date and on the
phonetic family name), and scores each pair with Fellegi–Sunter weights: per comparison the
log₂ of m/u of the level the pair falls into (m = how often true matches fall into it, u = how often
random pairs do). The m/u values come from a splink model trained on the synthetic person set
(`match_weights.json`, retrained by `manage.py train_person_matching`).

Batch: `find_duplicates` runs splink (DuckDB, in memory) over an office's persons and writes
pending `PersonMatch` rows for the review queue (nightly, and `manage.py find_duplicate_persons`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from oegd.cases.models import Person
from oegd.core.models import Office
from oegd.core.names import fold_text, koelner_phonetik, normalise_name

# Thresholds on the match probability (0–1).
AUTO_LINK = 0.95  # at or above: the same person, reuse the record
REVIEW_FROM = 0.5  # at or above (and below AUTO_LINK): a candidate for the review queue
MAX_CANDIDATES = 5  # review candidates returned per incoming person

WEIGHTS_FILE = Path(__file__).with_name("match_weights.json")
# Floors for trained m/u: a level the synthetic duplicates never show (a changed sex) still occurs in real data.
MIN_M_PROBABILITY = 0.01
MIN_U_PROBABILITY = 1e-6

# The comparisons and their levels, in the order splink evaluates them (first that applies wins).
# The same level names are used by the splink model (`splink_settings`) and the Python scorer.
COMPARISONS: dict[str, list[str]] = {
    "family_name": ["null", "exact", "swapped", "jw92", "jw85", "phonetic", "else"],
    "given_name": ["null", "exact", "swapped", "jw92", "jw85", "phonetic", "else"],
    "birth_date": ["null", "exact", "day_month_swapped", "one_part_differs", "else"],
    "sex": ["null", "exact", "else"],
    "postal_code": ["null", "exact", "else"],
    "street": ["null", "exact", "jw85", "else"],
}

# Fallback m/u per level when no trained weights file exists (hand-set, roughly what splink learns).
DEFAULT_WEIGHTS: dict = {
    "prior": 0.0001,
    "comparisons": {
        "family_name": {
            "exact": [0.86, 0.002],
            "swapped": [0.02, 0.00005],
            "jw92": [0.05, 0.002],
            "jw85": [0.03, 0.01],
            "phonetic": [0.02, 0.01],
            "else": [0.02, 0.976],
        },
        "given_name": {
            "exact": [0.86, 0.005],
            "swapped": [0.02, 0.00005],
            "jw92": [0.05, 0.004],
            "jw85": [0.03, 0.02],
            "phonetic": [0.02, 0.01],
            "else": [0.02, 0.96],
        },
        "birth_date": {
            "exact": [0.93, 0.0005],
            "day_month_swapped": [0.02, 0.00002],
            "one_part_differs": [0.04, 0.02],
            "else": [0.01, 0.98],
        },
        "sex": {"exact": [0.97, 0.5], "else": [0.03, 0.5]},
        "postal_code": {"exact": [0.75, 0.05], "else": [0.25, 0.95]},
        "street": {"exact": [0.7, 0.002], "jw85": [0.05, 0.01], "else": [0.25, 0.988]},
    },
}


@dataclass(frozen=True)
class IncomingPerson:
    """A person as a notification or form names them, before we know whether we already have them."""

    given_name: str
    family_name: str
    birth_date: date | None
    sex: str
    street: str
    postal_code: str
    place: str


@dataclass(frozen=True)
class MatchOutcome:
    """What matching found for one incoming person."""

    match: Person | None  # a sure match: reuse this person record
    candidates: list[tuple[Person, float]]  # uncertain matches for the review queue (probability 0–1), best first


# --- comparison -------------------------------------------------------------------------------------------------


@lru_cache(maxsize=200_000)
def jaro_winkler(a: str, b: str) -> float:
    """Jaro–Winkler similarity 0–1 (prefix scale 0.1, up to 4 characters), as DuckDB computes it."""
    if a == b:
        return 1.0
    len_a, len_b = len(a), len(b)
    if not len_a or not len_b:
        return 0.0
    window = max(max(len_a, len_b) // 2 - 1, 0)
    matched_b = [False] * len_b
    matches_a: list[str] = []
    for i, char in enumerate(a):
        for j in range(max(0, i - window), min(len_b, i + window + 1)):
            if not matched_b[j] and b[j] == char:
                matched_b[j] = True
                matches_a.append(char)
                break
    count = len(matches_a)
    if not count:
        return 0.0
    matches_b = [b[j] for j in range(len_b) if matched_b[j]]
    transpositions = sum(x != y for x, y in zip(matches_a, matches_b, strict=True)) // 2
    jaro = (count / len_a + count / len_b + (count - transpositions) / count) / 3
    prefix = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        prefix += 1
    return jaro + prefix * 0.1 * (1 - jaro)


def name_level(value: str, other: str, value_phonetic: str, other_phonetic: str, cross: str) -> str:
    """The level of a name comparison: `cross` is the other record's other name (for swapped names)."""
    if not value or not other:
        return "null"
    if value == other:
        return "exact"
    if value == cross:
        return "swapped"
    similarity = jaro_winkler(value, other)
    if similarity >= 0.92:
        return "jw92"
    if similarity >= 0.85:
        return "jw85"
    if value_phonetic and value_phonetic == other_phonetic:
        return "phonetic"
    return "else"


def birth_date_level(value: date | None, other: date | None) -> str:
    if value is None or other is None:
        return "null"
    if value == other:
        return "exact"
    if value.year == other.year and value.month == other.day and value.day == other.month:
        return "day_month_swapped"
    same = (value.year == other.year) + (value.month == other.month) + (value.day == other.day)
    return "one_part_differs" if same == 2 else "else"


def simple_level(value: str, other: str) -> str:
    if not value or not other:
        return "null"
    return "exact" if value == other else "else"


def street_level(value: str, other: str) -> str:
    if not value or not other:
        return "null"
    if value == other:
        return "exact"
    return "jw85" if jaro_winkler(value, other) >= 0.85 else "else"


def normalise_sex(value: str) -> str:
    value = (value or "").strip().lower()
    return value if value in ("female", "male", "other") else ""


_STREET_PARTS = re.compile(r"[a-z]+|[0-9]+")
_STREET_SUFFIX = re.compile(r"(str)(asse|\.)?\b")


@lru_cache(maxsize=100_000)
def normalise_street(value: str) -> str:
    """Lower-case ASCII street, "straße"/"strasse"/"str." alike: "Hauptstraße 5a" → "hauptstr 5 a"."""
    text = fold_text(value or "")
    return " ".join(_STREET_PARTS.findall(_STREET_SUFFIX.sub("str", text)))


@dataclass(frozen=True)
class _Record:
    """A person's compared fields, normalised once."""

    family: str
    given: str
    family_phonetic: str
    given_phonetic: str
    birth_date: date | None
    sex: str
    postal_code: str
    street: str


# Names repeat a lot: keep their normalised and phonetic forms.
_normalised = lru_cache(maxsize=100_000)(normalise_name)
_phonetic = lru_cache(maxsize=100_000)(koelner_phonetik)


def _record_of_incoming(person: IncomingPerson) -> _Record:
    return _Record(
        family=_normalised(person.family_name),
        given=_normalised(person.given_name),
        family_phonetic=_phonetic(person.family_name),
        given_phonetic=_phonetic(person.given_name),
        birth_date=person.birth_date,
        sex=normalise_sex(person.sex),
        postal_code=(person.postal_code or "").strip(),
        street=normalise_street(person.street),
    )


def _record_of_row(
    name_key: str,
    family_phonetic: str,
    given_phonetic: str,
    birth_date: date | None,
    sex: str,
    postal_code: str,
    street: str,
) -> _Record:
    family, _, given = name_key.partition("|")
    return _Record(
        family=family,
        given=given,
        family_phonetic=family_phonetic,
        given_phonetic=given_phonetic,
        birth_date=birth_date,
        sex=normalise_sex(sex),
        postal_code=(postal_code or "").strip(),
        street=normalise_street(street),
    )


def compare(a: _Record, b: _Record) -> dict[str, str]:
    """The level of each comparison for a pair of records."""
    return {
        "family_name": name_level(a.family, b.family, a.family_phonetic, b.family_phonetic, b.given),
        "given_name": name_level(a.given, b.given, a.given_phonetic, b.given_phonetic, b.family),
        "birth_date": birth_date_level(a.birth_date, b.birth_date),
        "sex": simple_level(a.sex, b.sex),
        "postal_code": simple_level(a.postal_code, b.postal_code),
        "street": street_level(a.street, b.street),
    }


# --- weights -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatchWeights:
    """Prior match weight and the log₂(m/u) of each comparison level (null levels weigh 0)."""

    prior_weight: float
    level_weights: dict[str, dict[str, float]]

    @classmethod
    def from_mu(cls, data: dict) -> MatchWeights:
        prior = min(max(float(data["prior"]), 1e-12), 1 - 1e-12)
        levels: dict[str, dict[str, float]] = {}
        for comparison, names in COMPARISONS.items():
            given = data["comparisons"].get(comparison, {})
            fallback = DEFAULT_WEIGHTS["comparisons"][comparison]
            levels[comparison] = {"null": 0.0}
            for name in names[1:]:
                m, u = given.get(name) or fallback[name]
                levels[comparison][name] = math.log2(max(m, 1e-9) / max(u, 1e-9))
        return cls(prior_weight=math.log2(prior / (1 - prior)), level_weights=levels)

    def probability(self, levels: dict[str, str]) -> float:
        weight = self.prior_weight + sum(self.level_weights[c][level] for c, level in levels.items())
        return 1.0 / (1.0 + 2.0 ** (-weight))


@lru_cache(maxsize=1)
def match_weights() -> MatchWeights:
    """The trained weights from `match_weights.json`, else the hand-set defaults."""
    if WEIGHTS_FILE.exists():
        return MatchWeights.from_mu(json.loads(WEIGHTS_FILE.read_text(encoding="utf-8")))
    return MatchWeights.from_mu(DEFAULT_WEIGHTS)


def match_probability(a: _Record, b: _Record, weights: MatchWeights | None = None) -> float:
    return (weights or match_weights()).probability(compare(a, b))


# --- online matching ---------------------------------------------------------------------------------------------

_FIELDS = ("pk", "name_key", "family_phonetic", "given_phonetic", "birth_date", "sex", "postal_code", "street")


def _swapped(day: date) -> date | None:
    if day.day > 12 or day.day == day.month:
        return None
    try:
        return day.replace(month=day.day, day=day.month)
    except ValueError:
        return None


# The blocking of a batch as one query: the batch is passed as arrays and unnested into rows `b`, each
# branch joins the person rows a Person index finds for it, and every result row names its incoming
# person (b.i). Branches:
#   1. the same birth date (or day and month swapped), and one phonetic name in common (also across:
#      swapped given and family name) – index person_match_block_birth;
#   2. the same phonetic family and given name, born in the same year (a typo in day or month) – index
#      person_match_block_name (office, family_phonetic, birth_date);
#   3. for an incoming person without birth date: the same phonetic family and given name.
_CANDIDATES_SQL = """
WITH b AS (
    SELECT * FROM unnest(
        %(i)s::int[], %(fp)s::text[], %(gp)s::text[], %(d)s::date[], %(d2)s::date[], %(lo)s::date[], %(hi)s::date[]
    ) AS b(i, fp, gp, d, d2, lo, hi)
)
SELECT b.i, {columns} FROM b
JOIN {table} p ON p.office_id = %(office)s AND p.birth_date IN (b.d, b.d2)
WHERE p.merged_into_id IS NULL
  AND (p.family_phonetic IN (b.fp, b.gp) OR p.given_phonetic IN (b.gp, b.fp))
UNION
SELECT b.i, {columns} FROM b
JOIN {table} p ON p.office_id = %(office)s AND p.family_phonetic = b.fp
    AND p.birth_date BETWEEN b.lo AND b.hi
WHERE p.merged_into_id IS NULL AND p.given_phonetic = b.gp
UNION
SELECT b.i, {columns} FROM b
JOIN {table} p ON p.office_id = %(office)s AND p.family_phonetic = b.fp AND p.given_phonetic = b.gp
WHERE b.d IS NULL AND p.merged_into_id IS NULL
"""


def candidate_query(office: Office, records: Sequence[_Record]) -> tuple[str, dict] | None:
    """The blocking query of a batch and its parameters (None when no record has a name to block on)."""
    from django.db import connection

    arrays: dict[str, list] = {"i": [], "fp": [], "gp": [], "d": [], "d2": [], "lo": [], "hi": []}
    for index, record in enumerate(records):
        if not record.family_phonetic and not record.given_phonetic:
            continue
        arrays["i"].append(index)
        arrays["fp"].append(record.family_phonetic or None)
        arrays["gp"].append(record.given_phonetic or None)
        arrays["d"].append(record.birth_date)
        arrays["d2"].append(_swapped(record.birth_date) if record.birth_date else None)
        arrays["lo"].append(date(record.birth_date.year, 1, 1) if record.birth_date else None)
        arrays["hi"].append(date(record.birth_date.year, 12, 31) if record.birth_date else None)
    if not arrays["i"]:
        return None
    table = connection.ops.quote_name(Person._meta.db_table)
    columns = ", ".join(f"p.{'id' if name == 'pk' else name}" for name in _FIELDS)
    return _CANDIDATES_SQL.format(table=table, columns=columns), {"office": office.pk, **arrays}


def candidate_rows(office: Office, records: Sequence[_Record]) -> list[tuple]:
    """One query for a whole batch: (incoming index, person pk, *compared fields) of the blocked
    candidates (this office, not merged)."""
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        return _candidate_rows_portable(office, records)
    query = candidate_query(office, records)
    if query is None:
        return []
    with transaction.atomic(), connection.cursor() as cursor:
        # The estimated cost of a big batch crosses jit_above_cost; compiling costs ~50 ms, more than
        # the index lookups it would speed up.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(*query)
        return cursor.fetchall()


def _candidate_rows_portable(office: Office, records: Sequence[_Record]) -> list[tuple]:
    """The same blocking as ``_CANDIDATES_SQL`` with one ORM query per record, for databases without
    arrays (the SQLite demo, where batches are small)."""
    from django.db.models import Q

    columns = ["id" if name == "pk" else name for name in _FIELDS]
    rows: list[tuple] = []
    for index, record in enumerate(records):
        family, given = record.family_phonetic, record.given_phonetic
        if not family and not given:
            continue
        branches = Q()
        if record.birth_date:
            days = [day for day in (record.birth_date, _swapped(record.birth_date)) if day]
            phonetic = [code for code in (family, given) if code]
            branches |= Q(birth_date__in=days) & (Q(family_phonetic__in=phonetic) | Q(given_phonetic__in=phonetic))
            branches |= Q(family_phonetic=family, given_phonetic=given, birth_date__year=record.birth_date.year)
        else:
            branches |= Q(family_phonetic=family, given_phonetic=given)
        found = Person.objects.filter(branches, office=office, merged_into__isnull=True).values_list(*columns)
        rows.extend((index, *row) for row in found)
    return rows


def score_batch(office: Office, incoming: Sequence[IncomingPerson]) -> list[list[tuple[int, float]]]:
    """Per incoming person: (person pk, match probability) of its candidates at or above REVIEW_FROM,
    best first."""
    weights = match_weights()
    records = [_record_of_incoming(person) for person in incoming]
    row_records: dict[int, _Record] = {}
    results: list[list[tuple[int, float]]] = [[] for _ in records]
    for index, pk, *fields in candidate_rows(office, records):
        row_record = row_records.get(pk)
        if row_record is None:
            row_record = row_records[pk] = _record_of_row(*fields)
        probability = weights.probability(compare(records[index], row_record))
        if probability >= REVIEW_FROM:
            results[index].append((pk, probability))
    for pairs in results:
        pairs.sort(key=lambda item: (-item[1], item[0]))
    return results


def match_persons(office: Office, incoming: Sequence[IncomingPerson]) -> list[MatchOutcome]:
    """Match a batch of incoming persons against the office's (not merged) persons: per incoming person
    a sure match (probability ≥ AUTO_LINK) or review candidates (≥ REVIEW_FROM), best first. When several
    records score as sure (duplicates of one another already stored), the best, on a tie the oldest, is the
    match; the nightly duplicate search brings the others to review. Two queries per batch: the blocked
    candidates, then the Person rows of those that scored."""
    if not incoming:
        return []
    scored = score_batch(office, incoming)
    wanted = {pk for pairs in scored for pk, _ in pairs[:MAX_CANDIDATES]}
    persons = Person.objects.in_bulk(sorted(wanted)) if wanted else {}
    outcomes: list[MatchOutcome] = []
    for pairs in scored:
        pairs = pairs[:MAX_CANDIDATES]
        if pairs and pairs[0][1] >= AUTO_LINK:
            outcomes.append(MatchOutcome(match=persons[pairs[0][0]], candidates=[]))
        else:
            outcomes.append(MatchOutcome(match=None, candidates=[(persons[pk], p) for pk, p in pairs]))
    return outcomes


# --- splink: training and batch deduplication ----------------------------------------------------------------------

_NAME_LEVEL_SQL = {
    "null": "{c}_l IS NULL OR {c}_r IS NULL",
    "exact": "{c}_l = {c}_r",
    "swapped": "{c}_l = {x}_r",
    "jw92": "jaro_winkler_similarity({c}_l, {c}_r) >= 0.92",
    "jw85": "jaro_winkler_similarity({c}_l, {c}_r) >= 0.85",
    "phonetic": "{c}_phonetic_l = {c}_phonetic_r",
}
_LEVEL_SQL: dict[str, dict[str, str]] = {
    "family_name": {k: v.format(c="family", x="given") for k, v in _NAME_LEVEL_SQL.items()},
    "given_name": {k: v.format(c="given", x="family") for k, v in _NAME_LEVEL_SQL.items()},
    "birth_date": {
        "null": "birth_date_l IS NULL OR birth_date_r IS NULL",
        "exact": "birth_date_l = birth_date_r",
        "day_month_swapped": "year(birth_date_l) = year(birth_date_r) AND month(birth_date_l) = day(birth_date_r)"
        " AND day(birth_date_l) = month(birth_date_r)",
        "one_part_differs": "(CAST(year(birth_date_l) = year(birth_date_r) AS INTEGER)"
        " + CAST(month(birth_date_l) = month(birth_date_r) AS INTEGER)"
        " + CAST(day(birth_date_l) = day(birth_date_r) AS INTEGER)) = 2",
    },
    "sex": {"null": "sex_l IS NULL OR sex_r IS NULL", "exact": "sex_l = sex_r"},
    "postal_code": {"null": "postal_code_l IS NULL OR postal_code_r IS NULL", "exact": "postal_code_l = postal_code_r"},
    "street": {
        "null": "street_l IS NULL OR street_r IS NULL",
        "exact": "street_l = street_r",
        "jw85": "jaro_winkler_similarity(street_l, street_r) >= 0.85",
    },
}
# Candidate pairs for batch deduplication (and the EM training blocks).
SPLINK_BLOCKING_RULES = [
    "l.birth_date = r.birth_date",
    "l.family_phonetic = r.family_phonetic AND year(l.birth_date) = year(r.birth_date)",
    "l.family_phonetic = r.family_phonetic AND l.given_phonetic = r.given_phonetic",
    "l.family = r.family AND l.given = r.given",
]
_TABLE_COLUMNS = (
    "unique_id",
    "family",
    "given",
    "family_phonetic",
    "given_phonetic",
    "birth_date",
    "sex",
    "postal_code",
    "street",
)


def splink_settings(weights: dict | None = None) -> dict:
    """The splink model: the comparisons of `COMPARISONS` as SQL, with m/u from `weights` when given."""
    comparisons = []
    for comparison, levels in COMPARISONS.items():
        trained = (weights or {}).get("comparisons", {}).get(comparison, {})
        comparison_levels = []
        for level in levels:
            entry: dict = {"label_for_charts": level}
            if level == "null":
                entry |= {"sql_condition": _LEVEL_SQL[comparison]["null"], "is_null_level": True}
            elif level == "else":
                entry["sql_condition"] = "ELSE"
            else:
                entry["sql_condition"] = _LEVEL_SQL[comparison][level]
            if level != "null" and level in trained:
                entry["m_probability"], entry["u_probability"] = trained[level]
            comparison_levels.append(entry)
        comparisons.append({"output_column_name": comparison, "comparison_levels": comparison_levels})
    settings: dict = {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": SPLINK_BLOCKING_RULES,
        "retain_intermediate_calculation_columns": False,
        "retain_matching_columns": False,
    }
    if weights:
        settings["probability_two_random_records_match"] = weights["prior"]
    return settings


def _splink_table(rows: Iterable[tuple[int, _Record]]):
    """An in-memory DuckDB connection with the records as table `persons` (empty text as NULL)."""
    import duckdb
    import pyarrow as pa

    columns: dict[str, list] = {name: [] for name in _TABLE_COLUMNS}
    for unique_id, record in rows:
        values = (
            unique_id,
            record.family,
            record.given,
            record.family_phonetic,
            record.given_phonetic,
            record.birth_date,
            record.sex,
            record.postal_code,
            record.street,
        )
        for name, value in zip(_TABLE_COLUMNS, values, strict=True):
            columns[name].append(value if value != "" else None)
    table = pa.table(
        {
            name: pa.array(
                values, type=pa.int64() if name == "unique_id" else pa.date32() if name == "birth_date" else pa.string()
            )
            for name, values in columns.items()
        }
    )
    connection = duckdb.connect(":memory:")
    connection.register("persons_arrow", table)
    connection.execute("CREATE TABLE persons AS SELECT * FROM persons_arrow")
    connection.unregister("persons_arrow")
    return connection


def _linker(connection, settings: dict):
    import logging

    from splink import DuckDBAPI, Linker

    logging.getLogger("splink").setLevel(logging.WARNING)
    db_api = DuckDBAPI(connection)
    return Linker(db_api.register("persons"), settings, log_level=None)


def train_match_weights(records: Sequence[_Record], *, seed: int = 1, max_pairs: float = 5e6) -> dict:
    """Train m/u per comparison level with splink: u by random sampling, m by EM on two blocks (same
    birth date; same phonetic family and given name), the prior from deterministic rules. Returns the
    weights as stored in `match_weights.json`."""
    connection = _splink_table(enumerate(records))
    linker = _linker(connection, splink_settings())
    linker.training.estimate_probability_two_random_records_match(
        ["l.family = r.family AND l.given = r.given AND l.birth_date = r.birth_date"], recall=0.6
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation("l.birth_date = r.birth_date")
    linker.training.estimate_parameters_using_expectation_maximisation(
        "l.family_phonetic = r.family_phonetic AND l.given_phonetic = r.given_phonetic"
    )
    model = linker.misc.save_model_to_json()
    weights: dict = {"prior": model["probability_two_random_records_match"], "comparisons": {}}
    for comparison in model["comparisons"]:
        levels: dict[str, list[float]] = {}
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            fallback_m, fallback_u = DEFAULT_WEIGHTS["comparisons"][comparison["output_column_name"]][
                level["label_for_charts"]
            ]
            m = max(m if m is not None else fallback_m, MIN_M_PROBABILITY)
            u = max(u if u is not None else fallback_u, MIN_U_PROBABILITY)
            levels[level["label_for_charts"]] = [m, u]
        weights["comparisons"][comparison["output_column_name"]] = levels
    connection.close()
    return monotonic(weights)


# Similarity levels from most to least similar: a less similar level never weighs more than a more
# similar one (without this, EM gives "Jaro-Winkler ≥ 0.92" more weight than "exact" for given names,
# because exact agreement on a common name like Anna is frequent among different persons too).
MONOTONIC_CHAINS = {
    "family_name": ("exact", "jw92", "jw85", "phonetic"),
    "given_name": ("exact", "jw92", "jw85", "phonetic"),
    "street": ("exact", "jw85"),
}


def monotonic(weights: dict) -> dict:
    """Raise u of a less similar level where its m/u would exceed that of the level above it."""
    for comparison, chain in MONOTONIC_CHAINS.items():
        levels = weights["comparisons"][comparison]
        for upper, lower in zip(chain, chain[1:], strict=False):
            (m_upper, u_upper), (m_lower, u_lower) = levels[upper], levels[lower]
            if m_lower / u_lower > m_upper / u_upper:
                levels[lower] = [m_lower, m_lower * u_upper / m_upper]
    return weights


def save_match_weights(weights: dict, path: Path = WEIGHTS_FILE) -> None:
    path.write_text(json.dumps(weights, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    match_weights.cache_clear()


def current_weights_data() -> dict:
    if WEIGHTS_FILE.exists():
        return json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    return DEFAULT_WEIGHTS


def predict_duplicate_pairs(
    rows: Iterable[tuple[int, _Record]], *, threshold: float = REVIEW_FROM
) -> list[tuple[int, int, float]]:
    """Pairs (id, id, probability) of likely duplicates among the records, scored by splink (DuckDB)."""
    connection = _splink_table(rows)
    linker = _linker(connection, splink_settings(current_weights_data()))
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    result = connection.execute(
        f"SELECT unique_id_l, unique_id_r, match_probability FROM {predictions.physical_name}"  # noqa: S608
    ).fetchall()
    connection.close()
    return [(int(left), int(right), float(probability)) for left, right, probability in result]


def office_person_records(office: Office) -> list[tuple[int, _Record]]:
    """The office's (not merged) persons as comparable records, from one values query."""
    rows = (
        Person.objects.filter(office=office, merged_into__isnull=True).values_list(*_FIELDS).iterator(chunk_size=10_000)
    )
    return [(pk, _record_of_row(*fields)) for pk, *fields in rows]


def find_duplicates(office: Office) -> int:
    """Batch duplicate search over an office's persons with splink: writes a pending PersonMatch for each
    pair at or above REVIEW_FROM not yet in the queue (in either direction, decided or not). The newer
    record is `person`, the older `candidate`. Returns the number of new review items."""
    from django.db import transaction

    from oegd.core import audit
    from oegd.core.audit import SystemActor
    from oegd.infection.models import PersonMatch

    pairs = predict_duplicate_pairs(office_person_records(office))
    if not pairs:
        return 0
    known: set[tuple[int, int]] = set()
    involved = sorted({pk for left, right, _ in pairs for pk in (left, right)})
    for start in range(0, len(involved), 5000):
        chunk = involved[start : start + 5000]
        for person_id, candidate_id in PersonMatch.objects.filter(person_id__in=chunk).values_list(
            "person_id", "candidate_id"
        ):
            known.add((min(person_id, candidate_id), max(person_id, candidate_id)))
    new = [
        PersonMatch(office=office, person_id=max(left, right), candidate_id=min(left, right), score=probability)
        for left, right, probability in pairs
        if (min(left, right), max(left, right)) not in known
    ]
    with transaction.atomic():
        created = PersonMatch.objects.bulk_create(new, ignore_conflicts=True, batch_size=2000)
        audit.record(
            SystemActor("person-duplicate-search"),
            "infection.person.duplicates_searched",
            office,
            office=office,
            purpose=f"{len(new)} new pairs",
        )
    return len(created)


def find_duplicates_in_all_offices() -> int:
    """The nightly job: batch duplicate search in every office that has persons."""
    total = 0
    for office in Office.objects.filter(pk__in=Person.objects.values("office_id").distinct()):
        total += find_duplicates(office)
    return total


def records_of_synthetic(records: Iterable) -> list[_Record]:  # SyntheticPerson
    """Synthetic persons as comparable records (training and benchmark)."""
    return [_record_of_incoming(record.as_incoming()) for record in records]


def records_of_incoming(incoming: Iterable[IncomingPerson]) -> list[_Record]:
    return [_record_of_incoming(person) for person in incoming]


def person_record(person: Person) -> _Record:
    """A saved person as a comparable record."""
    return _record_of_row(
        person.name_key,
        person.family_phonetic,
        person.given_phonetic,
        person.birth_date,
        person.sex,
        person.postal_code,
        person.street,
    )
