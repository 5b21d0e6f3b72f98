"""Synthetic infection protection data for the case directory benchmark: 1,000,000 infection cases
(Meldefälle) with their persons and one DEMIS notification each by default, loaded with PostgreSQL
COPY (not the ORM) from a seeded random generator, so every run builds the same data.

The shape (for 1,000,000 cases; everything scales with ``cases``):

- 5 offices, the big one with 50 % of the cases (500,000), then 20/15/10/5 %; one clerk per
  5,000 cases of the office (at least 12).
- persons: 0.85 per case (some people are notified more than once), family names skewed as in
  Germany (``cases_data.COMMON_FAMILY`` for 15 %, a long tail of composed names); 8 % of the
  cases are non-nominal (§ 7.3: no person, sex, month of birth and postal code only).
- cases over the last three years, ids ascending with the notification date; diseases weighted
  like German notification numbers (COVID-19, influenza, norovirus, RSV, campylobacter, …); about
  12 % still open (most of the last six weeks), classification mostly C / D / E for closed cases,
  "not yet assessed" for new ones; 60 % of the open cases assigned to a clerk.
- one notification per case (received a few minutes after it was notified; state ASSIGNED for
  cases older than a week, NEW/REVIEW for the rest), its bundle an encrypted ~2.5 KB FHIR JSON,
  stored out of line (TOAST) like real ones, the same ciphertext for every row (the lists never
  read it: the ``bundle`` column is deferred).

Columns come from the models themselves (``field.column``), so fields added later get their
model default; secondary indexes and constraints are dropped for the load and rebuilt afterwards
(``cases_data._without_secondary_structures``), then VACUUM ANALYZE.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cases_data import (
    COMMON_FAMILY,
    FAMILY_MIDDLE,
    FAMILY_PREFIX,
    FAMILY_SUFFIX,
    GIVEN,
    PLACES,
    STREETS,
    _cumulative,
    _pick,
    _without_secondary_structures,
)

OFFICE_WEIGHTS = [50, 20, 15, 10, 5]
CASES_PER_CLERK = 5000
BULK_TABLES = ["cases_person", "infection_infectioncase", "infection_notification"]
# (catalogue key, DEMIS pathogen code, weight)
DISEASES = [
    ("cvd", "cvdp", 40),
    ("inv", "invp", 18),
    ("nor", "norp", 10),
    ("rsv", "rsvp", 8),
    ("cam", "camp", 6),
    ("rtv", "rtvp", 4),
    ("sal", "salp", 3),
    ("vzv", "vzvp", 3),
    ("ptv", "ptvp", 2),
    ("hev", "hevp", 1),
    ("tbc", "tbcp", 1),
    ("msv", "msvp", 0.3),
    ("hiv", "hivp", 1),
    ("lgl", "lglp", 0.5),
    ("men", "menp", 0.2),
]
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass
class Loaded:
    now: datetime
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    offices: list[Any] = field(default_factory=list)
    clerks: dict[int, list[Any]] = field(default_factory=dict)  # office id → users


def _reference(number: int) -> str:
    """A unique reference per case number: IF-XXXX-XXXX (base 32, scrambled so it does not count up)."""
    value = (number * 2_654_435_761) % (1 << 40)
    chars = []
    for _ in range(8):
        value, digit = divmod(value, 32)
        chars.append(ALPHABET[digit])
    code = "".join(chars)
    return f"IF-{code[:4]}-{code[4:]}"


class _Columns:
    """A model's columns in table order, with COPY text for the model defaults of the ones a row
    does not set."""

    def __init__(self, model: Any) -> None:
        self.fields = list(model._meta.concrete_fields)
        self.names = [f.column for f in self.fields]
        self.defaults: dict[str, str] = {}
        for f in self.fields:
            if f.has_default():  # constants, and callables such as list, dict (timezone.now: set per row)
                value = f.get_default()
                self.defaults[f.column] = "\\N" if isinstance(value, datetime) else _text(value)
            elif f.null:
                self.defaults[f.column] = "\\N"
            elif f.get_internal_type() in ("CharField", "TextField", "SlugField", "EmailField"):
                self.defaults[f.column] = ""

    def sql(self, table: str) -> str:
        return f"COPY {table} ({', '.join(self.names)}) FROM STDIN"

    def line(self, values: dict[str, str]) -> str:
        return "\t".join(values[name] if name in values else self.defaults[name] for name in self.names) + "\n"


def _text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def _bundle_token() -> str:
    """One encrypted bundle of realistic size (the lists never decrypt it)."""
    from oegd.infection.models import Notification

    entries = [
        {"fullUrl": f"urn:uuid:{index:08d}", "resource": {"resourceType": "Observation", "note": "x" * 180}}
        for index in range(10)
    ]
    plain = json.dumps({"resourceType": "Bundle", "type": "document", "entry": entries})
    return Notification._meta.get_field("bundle").get_prep_value(plain)


def generate(*, dsn: str, cases: int, seed: int = 7, now: datetime | None = None) -> Loaded:
    """Load the synthetic infection data into the (migrated, empty) database at ``dsn``."""
    import psycopg
    from django.contrib.auth.hashers import make_password

    from oegd.cases.models import Person
    from oegd.core.models import Membership, Office, Role, User
    from oegd.core.names import koelner_phonetik, normalise_name
    from oegd.infection.models import InfectionCase, Notification

    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    loaded = Loaded(now=now)
    started = time.perf_counter()

    total = sum(OFFICE_WEIGHTS)
    office_cases = [cases * weight // total for weight in OFFICE_WEIGHTS]
    office_cases[0] += cases - sum(office_cases)
    password = make_password(None)
    for number, share in enumerate(office_cases):
        office = Office.objects.create(
            slug=f"bench-infection-{number}", name=f"Gesundheitsamt {PLACES[number]}", rki_code=f"1.{number:02d}.0.0"
        )
        users = User.objects.bulk_create(
            User(
                email=f"clerk{number}-{index}@bench.example",
                full_name=f"{rng.choice(GIVEN)} {rng.choice(COMMON_FAMILY)}",
                kind=User.Kind.STAFF,
                password=password,
            )
            for index in range(max(12, share // CASES_PER_CLERK))
        )
        Membership.objects.bulk_create(Membership(user=user, office=office, role=Role.CLERK) for user in users)
        loaded.offices.append(office)
        loaded.clerks[office.pk] = users

    person_columns = _Columns(Person)
    case_columns = _Columns(InfectionCase)
    notification_columns = _Columns(Notification)
    token = _bundle_token()
    family_cumulative = _cumulative([1 / (rank + 1) ** 0.4 for rank in range(len(COMMON_FAMILY))])
    tail = [a + b + c for a in FAMILY_PREFIX for b in FAMILY_MIDDLE for c in FAMILY_SUFFIX]
    disease_cumulative = _cumulative([weight for _key, _code, weight in DISEASES])
    keys: dict[str, tuple[str, str]] = {}

    def match_keys(name: str) -> tuple[str, str]:
        if name not in keys:
            keys[name] = (normalise_name(name), koelner_phonetik(name)[:50])
        return keys[name]

    span = 3 * 365 * 86400
    start = now - timedelta(seconds=span)
    office_cumulative = _cumulative(office_cases)
    counts = {"offices": len(office_cases), "infection cases": cases, "notifications": cases}
    with psycopg.connect(dsn) as connection:
        with connection.cursor() as cursor:
            with _without_secondary_structures(cursor, BULK_TABLES) as rebuilt:
                connection.commit()
                # Persons: per office a pool, 0.85 per case; a case takes a fresh person mostly,
                # an earlier one sometimes (a second notification of the same person).
                person_id = 0
                pools: list[list[int]] = []
                with cursor.copy(person_columns.sql("cases_person")) as copy:
                    lines = []
                    for number, office in enumerate(loaded.offices):
                        pool = []
                        for _ in range(max(1, office_cases[number] * 85 // 100)):
                            person_id += 1
                            family = (
                                COMMON_FAMILY[_pick(rng, family_cumulative)]
                                if rng.random() < 0.15
                                else rng.choice(tail)
                            )
                            given = rng.choice(GIVEN)
                            family_key, family_phonetic = match_keys(family)
                            given_key, given_phonetic = match_keys(given)
                            created = (start + timedelta(seconds=rng.randrange(span))).isoformat()
                            lines.append(
                                person_columns.line(
                                    {
                                        "id": str(person_id),
                                        "office_id": str(office.pk),
                                        "given_name": given,
                                        "family_name": family,
                                        "birth_date": f"{1935 + rng.randrange(88)}-{rng.randint(1, 12):02d}-"
                                        f"{rng.randint(1, 28):02d}",
                                        "street": f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
                                        "postal_code": f"{rng.randint(10000, 99999)}",
                                        "place": rng.choice(PLACES),
                                        "sex": rng.choice(("female", "male")),
                                        "name_key": f"{family_key}|{given_key}"[:200],
                                        "family_phonetic": family_phonetic,
                                        "given_phonetic": given_phonetic,
                                        "created_at": created,
                                        "updated_at": created,
                                    }
                                )
                            )
                            pool.append(person_id)
                            if len(lines) >= 20000:
                                copy.write("".join(lines))
                                lines.clear()
                        pools.append(pool)
                    copy.write("".join(lines))
                connection.commit()
                counts["persons"] = person_id

                # Cases and their notifications, in notification order (ids ascend with time).
                case_lines: list[str] = []
                notification_lines: list[str] = []
                used = [0] * len(pools)
                states_new = (Notification.State.NEW, Notification.State.NEW, Notification.State.REVIEW)
                with ExitCopies(dsn) as (case_copy, notification_copy):
                    for index in range(cases):
                        case_id = index + 1
                        office_number = _pick(rng, office_cumulative)
                        office = loaded.offices[office_number]
                        at = start + timedelta(seconds=(index * span) // cases + rng.randrange(60))
                        age_days = (now - at).days
                        key, pathogen, _weight = DISEASES[_pick(rng, disease_cumulative)]
                        non_nominal = key == "hiv" or rng.random() < 0.07
                        pool = pools[office_number]
                        person = "\\N"
                        if not non_nominal:
                            if used[office_number] < len(pool) and rng.random() < 0.87:
                                person = str(pool[used[office_number]])
                                used[office_number] += 1
                            else:
                                person = str(pool[rng.randrange(max(1, used[office_number]))])
                        is_open = rng.random() < (0.9 if age_days < 42 else 0.3 if age_days < 120 else 0.03)
                        if age_days < 7:
                            classification = "pending" if rng.random() < 0.7 else rng.choice("CDE")
                        else:
                            classification = rng.choices(("C", "D", "E", "B", "A", "X"), (50, 20, 20, 4, 3, 3))[0]
                        assignee = (
                            str(rng.choice(loaded.clerks[office.pk]).pk) if is_open and rng.random() < 0.6 else "\\N"
                        )
                        stamp = at.isoformat()
                        case_lines.append(
                            case_columns.line(
                                {
                                    "id": str(case_id),
                                    "office_id": str(office.pk),
                                    "reference": _reference(case_id),
                                    "person_id": person,
                                    "disease": key,
                                    "pathogen": pathogen,
                                    "status": "open" if is_open else "closed",
                                    "classification": classification,
                                    "non_nominal": "t" if non_nominal else "f",
                                    "sex": rng.choice(("female", "male")),
                                    "birth_month": f"{1935 + rng.randrange(88)}-{rng.randint(1, 12):02d}"
                                    if non_nominal
                                    else "",
                                    "postal_code": f"{rng.randint(10000, 99999)}",
                                    "notified_at": stamp,
                                    "assignee_id": assignee,
                                    "created_at": stamp,
                                    "updated_at": stamp,
                                    "closed_at": "\\N" if is_open else (at + timedelta(days=14)).isoformat(),
                                }
                            )
                        )
                        received = (at + timedelta(minutes=rng.randrange(1, 30))).isoformat()
                        state = rng.choice(states_new) if age_days < 7 and rng.random() < 0.5 else "assigned"
                        identifier = f"urn:uuid:bench-{case_id:010d}"
                        notification_lines.append(
                            notification_columns.line(
                                {
                                    "id": str(case_id),
                                    "office_id": str(office.pk),
                                    "bundle_identifier": identifier,
                                    "bundle_sha256": f"{case_id:064x}",
                                    "bundle": token,
                                    "kind": "lab73" if non_nominal else "lab",
                                    "state": state,
                                    "source": "push",
                                    "disease": key,
                                    "pathogen": pathogen,
                                    "notified_at": stamp,
                                    "received_at": received,
                                    "notifier": f"Labor {PLACES[case_id % len(PLACES)]}",
                                    "residence_postal_code": "",
                                    "responsible_code": office.rki_code,
                                    "person_id": person,
                                    "infection_case_id": str(case_id) if state == "assigned" else "\\N",
                                    "assignee_id": assignee if state != "assigned" else "\\N",
                                    "summary": "{}",
                                }
                            )
                        )
                        if len(case_lines) >= 20000:
                            case_copy.write("".join(case_lines))
                            notification_copy.write("".join(notification_lines))
                            case_lines.clear()
                            notification_lines.clear()
                    case_copy.write("".join(case_lines))
                    notification_copy.write("".join(notification_lines))
                loaded.timings["generated and copied (s)"] = round(time.perf_counter() - started, 1)
            connection.commit()
            loaded.timings.update(rebuilt)
            for table in BULK_TABLES:
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            connection.commit()
        connection.autocommit = True
        started = time.perf_counter()
        connection.execute("VACUUM (ANALYZE)")
        loaded.timings["vacuum analyze (s)"] = round(time.perf_counter() - started, 1)
        size = connection.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        counts["database size (MB)"] = size // (1024 * 1024)
    loaded.counts = counts
    return loaded


class ExitCopies:
    """Two connections, each with a COPY in progress (cases, notifications), committed on exit."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    def __enter__(self):
        import psycopg

        from oegd.cases.models import Person  # noqa: F401 - Django is set up by now
        from oegd.infection.models import InfectionCase, Notification

        self.connections = [psycopg.connect(self.dsn), psycopg.connect(self.dsn)]
        self.cursors = [connection.cursor() for connection in self.connections]
        sqls = [
            _Columns(InfectionCase).sql("infection_infectioncase"),
            _Columns(Notification).sql("infection_notification"),
        ]
        self.copies = [cursor.copy(sql) for cursor, sql in zip(self.cursors, sqls, strict=True)]
        return [copy.__enter__() for copy in self.copies]

    def __exit__(self, *exc):
        for copy in self.copies:
            copy.__exit__(*exc)
        for connection in self.connections:
            if exc[0] is None:
                connection.commit()
            connection.close()
        return False
