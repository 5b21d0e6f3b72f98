"""Synthetic case files for the case management benchmark: one state with ten offices, 1,000,000
cases and 5,000,000 tasks by default, loaded with PostgreSQL COPY (not the ORM) from a seeded
random generator, so every run builds the same data.

The shape (for 1,000,000 cases; everything scales with ``cases``):

- 10 offices, one big one with 30 % of the cases (300,000), the smallest with 4 %; six teams
  (Departments) per office; one staff member per 2,000 cases of the office (at least 12), each in
  one team (Membership.department).
- 9 case types (two versions each, the newer current), one library process definition each.
- ~800,000 persons (0.8 per case: some have several cases), 1.12 subjects per case; family names
  as skewed as in Germany (the most common ~0.5 %) with a long tail.
- cases over the last five years, ids ascending with the opening date; about 17 % still open (most
  of the recent ones, a few old ones); priorities 10/65/18/7 % low/normal/high/urgent.
- 5 tasks per case on average (exactly ``5 × cases``), named after the case type's steps; the
  tasks of closed cases are done (3 % cancelled); open cases have their last task (a third also the
  one before it, a parallel branch) open or on hold (8 %), so ~5 % of all tasks are live. Live
  tasks: the step's team, 55 % assigned to someone of the team, 8 % with neither team nor
  assignee (the office's unassigned pile), 85 % with a due date between 12 days ago and 48 days
  ahead (so ~17 % are overdue).
- 2 progress entries per case, tags on 40 % of the cases, one process instance per case (no
  workflow state: these processes are not runnable; the completion benchmark opens its own cases).
- Task rows lie in the table in the order they were last written (as in production: a live task
  where it was inserted, a done one where its completion wrote the new row version), not grouped
  by case; that decides how many table pages a worklist query touches.

Secondary indexes and constraints of the bulk tables are dropped before the load and rebuilt from
their own definitions afterwards (the schema ends up exactly as migrated), then VACUUM ANALYZE.
"""

from __future__ import annotations

import bisect
import itertools
import json
import random
import time
from array import array
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

TEAMS = [
    "Sachbearbeitung",
    "Ärztlicher Dienst",
    "Infektionsschutz",
    "Hygiene",
    "Kinder- und Jugendgesundheit",
    "Sozialpsychiatrischer Dienst",
]
S, A, I, H, K, P = TEAMS  # noqa: E741 - the teams by initial
OFFICE_WEIGHTS = [300, 150, 110, 90, 80, 70, 60, 50, 50, 40]
CASES_PER_STAFF = 2000
PRIORITIES = [(1, 10), (2, 65), (3, 18), (4, 7)]
BULK_TABLES = [
    "cases_person",
    "cases_case",
    "cases_casesubject",
    "cases_case_tags",
    "cases_caseentry",
    "cases_task",
    "cases_processinstance",
]


def _words(text: str) -> list[str]:
    return text.split()


PLACES = _words(
    "Altdorf Bergheim Birkenau Brunnthal Dornstadt Eichenau Elsdorf Falkenberg Feldkirch Friedland "
    "Grünwald Hainburg Hohenfels Kirchberg Lindau Marienfeld Mühlhausen Neustadt Oberhausen Rosenthal "
    "Schönberg Seefeld Sonnenbühl Steinbach Talheim Unterau Waldkirch Weißenburg Wiesental Zell"
)
STREETS = _words(
    "Hauptstraße Schulstraße Bahnhofstraße Gartenweg Lindenallee Kirchplatz Mühlenweg Bergstraße Rosenweg "
    "Wiesenweg Ringstraße Parkstraße Feldstraße Birkenweg Marktplatz"
)
COMMON_FAMILY = _words(
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer "
    "Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt "
    "Werner Schmitz Krause Meier Lehmann Schmid Schulze Maier Köhler Herrmann König Walter Mayer Huber "
    "Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn Schubert Vogel Friedrich Keller Günther Frank "
    "Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht Schuster Simon Ludwig Böhm Winter Kraus "
    "Martin Schumacher Krämer Vogt Stein Jäger Otto Sommer Groß Seidel Heinrich Brandt Haas Schreiber "
    "Graf Schulte Dietrich Ziegler Kuhn Kühn Pohl Engel Horn Busch Bergmann Thomas Voigt Sauer Arnold "
    "Wolff Pfeiffer Yılmaz Kaya Nowak Kowalski Popescu Hoxha Ivanov"
)
FAMILY_PREFIX = _words(
    "Hart Lind Wald Stein Berg Brun Eich Feld Has Kirch Rosen Sonn Tann Wies Alt Hoch Mittel Ober Unter "
    "Bach Dorn Hain Kamp Mühl Stock Brand Kessel Reit Schön Wend"
)
FAMILY_MIDDLE = ["", "en", "el", "er", "ing", "s", "au", "wies", "eck", "feld"]
FAMILY_SUFFIX = _words("mann meier berger huber bauer egger inger hofer ner ler mayr reiter wieser kamp hagen rath loh")
GIVEN = _words(
    "Anna Emma Mia Hannah Lena Lea Marie Sophie Laura Lara Julia Sarah Lisa Katharina Johanna Clara Paula "
    "Greta Ella Ida Frieda Maria Sabine Petra Monika Andrea Claudia Susanne Ursula Renate Elif Zeynep "
    "Ayşe Fatma Olena Noah Ben Paul Leon Finn Elias Luca Felix Jonas Max Lukas Tim Jan Niklas David "
    "Moritz Anton Emil Karl Oskar Thomas Michael Andreas Stefan Peter Frank Jürgen Klaus Wolfgang Dieter "
    "Mehmet Ahmet Mustafa Ali Jakub Oleksandr"
)
DISEASES = _words("Norovirus Windpocken Scharlach Keuchhusten Masern Kopflausbefall Rotavirus Mumps Impetigo Krätze")
REPORTABLE = _words("Salmonellose Campylobacter Influenza COVID-19 Tuberkulose Hepatitis-B Legionellose Shigellose")
INSTITUTION_KINDS = _words("Kita Kindergarten Grundschule Gesamtschule Hort Gymnasium Realschule")
INSTITUTION_NAMES = _words(
    "Sonnenschein Regenbogen Pusteblume Kunterbunt Löwenzahn Sternschnuppe Spatzennest Wirbelwind "
    "Am-Stadtpark Lindenhof Am-Mühlbach Sankt-Martin Villa-Kunterbunt Astrid-Lindgren Erich-Kästner "
    "Geschwister-Scholl"
)
TOPICS = _words("Impfberatung Schwangerschaftskonflikt Suchtberatung HIV/STI-Beratung Reisemedizin Schimmelbefall")
PURPOSES = _words("Dienstfähigkeit Prüfungsunfähigkeit Verbeamtung Reiseunfähigkeit Fahreignung")
POOLS = _words("Freibad Hallenbad Strandbad Therme Naturbad")
FINDINGS = _words("Legionellen Coliforme-Bakterien Blei Nitrat Pseudomonas")


@dataclass(frozen=True)
class Step:
    element_id: str
    name: str
    lane: str
    form: str = ""
    four_eyes_of: str = ""


@dataclass(frozen=True)
class CaseTypeSpec:
    slug: str
    name: str
    weight: int
    retention_days: int
    steps: tuple[Step, ...]
    title: str  # a format string over the names made in _title


CASE_TYPES = [
    CaseTypeSpec(
        "ifsg34-notification",
        "Meldung nach §34 IfSG",
        18,
        3650,
        (
            Step("assess", "Meldung bewerten", I, "task-assess-notification"),
            Step("measures", "Maßnahmen festlegen", I, "task-measures"),
            Step("inform_institution", "Einrichtung informieren", S),
            Step("follow_up", "Nachkontrolle", I),
            Step("close_check", "Abschluss prüfen", S),
        ),
        "{disease} in {institution}",
    ),
    CaseTypeSpec(
        "ifsg43-instruction",
        "Belehrung nach §43 IfSG",
        24,
        1825,
        (
            Step("check_documents", "Unterlagen prüfen", S, "task-check-documents"),
            Step("schedule", "Termin vergeben", S),
            Step("instruct", "Belehrung durchführen", A, "task-instruction"),
            Step("approve_certificate", "Bescheinigung freigeben", A, "", "instruct"),
            Step("send_certificate", "Bescheinigung versenden", S),
        ),
        "Belehrung §43 IfSG {family}, {given}",
    ),
    CaseTypeSpec(
        "counselling-request",
        "Beratungsanfrage",
        10,
        1095,
        (
            Step("triage", "Anfrage sichten", P, "task-triage"),
            Step("reply", "Antwort schreiben", P),
            Step("appointment", "Beratungstermin", P),
            Step("document", "Beratung dokumentieren", P, "task-counselling-notes"),
        ),
        "{topic}: {family}, {given}",
    ),
    CaseTypeSpec(
        "certificate-request",
        "Amtsärztliche Bescheinigung",
        8,
        3650,
        (
            Step("check_request", "Antrag prüfen", S),
            Step("examine", "Untersuchung", A, "task-examination"),
            Step("write_opinion", "Gutachten schreiben", A),
            Step("approve_opinion", "Gutachten freigeben", A, "", "write_opinion"),
            Step("send_opinion", "Gutachten versenden", S),
        ),
        "Amtsärztliche Bescheinigung {purpose} {family}, {given}",
    ),
    CaseTypeSpec(
        "pool-water-report",
        "Badewasserbefund",
        6,
        1825,
        (
            Step("review_findings", "Befund bewerten", H, "task-water-findings"),
            Step("order_measures", "Maßnahmen anordnen", H),
            Step("inform_operator", "Betreiber informieren", S),
        ),
        "Badewasserbefund {pool} {place}",
    ),
    CaseTypeSpec(
        "school-entry-anamnesis",
        "Schuleingangsuntersuchung",
        20,
        3650,
        (
            Step("invite", "Einladung versenden", S),
            Step("examine_child", "Untersuchung", K, "task-school-entry"),
            Step("report", "Befundbericht", K),
            Step("inform_parents", "Eltern informieren", S),
        ),
        "Schuleingangsuntersuchung {family}, {given}",
    ),
    CaseTypeSpec(
        "drinking-water",
        "Trinkwasserüberwachung",
        6,
        3650,
        (
            Step("review_report", "Befund prüfen", H),
            Step("inspect", "Ortsbesichtigung", H, "task-inspection"),
            Step("order_measures", "Maßnahmen anordnen", H),
            Step("follow_up", "Nachuntersuchung", H),
        ),
        "Trinkwasser {street} {place}: {finding}",
    ),
    CaseTypeSpec(
        "tb-contact-tracing",
        "Tuberkulose-Umgebungsuntersuchung",
        4,
        3650,
        (
            Step("identify_contacts", "Kontaktpersonen ermitteln", I),
            Step("invite_contacts", "Kontaktpersonen einladen", S),
            Step("screen", "Untersuchung", A, "task-tb-screening"),
            Step("evaluate", "Ergebnisse bewerten", A),
            Step("report_rki", "Meldung an Landesstelle", I),
        ),
        "TB-Umgebungsuntersuchung {family}",
    ),
    CaseTypeSpec(
        "disease-notification",
        "Meldung nach §6/§7 IfSG",
        4,
        3650,
        (
            Step("assess_report", "Meldung bewerten", I, "task-assess-notification"),
            Step("investigate", "Ermittlung", I),
            Step("transmit", "Übermittlung", I),
        ),
        "Meldung {reportable} {family}, {given}",
    ),
]
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass
class Loaded:
    """What the benchmark needs to know about the generated data."""

    now: datetime
    counts: dict[str, int]
    timings: dict[str, float]
    offices: list[Any]
    staff: list[tuple[Any, Any]] = field(default_factory=list)  # (user, office)
    case_types: list[str] = field(default_factory=list)


def _check_character(body: str) -> str:
    n, total, factor = 32, 0, 2
    for char in reversed(body):
        addend = factor * ALPHABET.index(char)
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


class _Clock:
    """Timestamps as whole seconds since midnight UTC six years ago, written as COPY text fast."""

    def __init__(self, now: datetime) -> None:
        self.base = datetime(now.year, now.month, now.day, tzinfo=UTC) - timedelta(days=6 * 366)
        self.now = int((now - self.base).total_seconds())
        days = self.now // 86400 + 11 * 366  # retention periods reach ten years ahead
        self.days = [(self.base + timedelta(days=d)).strftime("%Y-%m-%d") for d in range(days)]

    def text(self, seconds: int) -> str:
        day, rest = divmod(seconds, 86400)
        hour, rest = divmod(rest, 3600)
        minute, second = divmod(rest, 60)
        return f"{self.days[day]} {hour:02d}:{minute:02d}:{second:02d}+00"

    def date(self, seconds: int) -> str:
        return self.days[seconds // 86400]


def _pick(rng: random.Random, cumulative: list[float]) -> int:
    return bisect.bisect(cumulative, rng.random() * cumulative[-1])


@cache
def _match_keys(family: str, given: str) -> str:
    """The person's duplicate-detection columns (sex unknown), as ``Person.set_match_keys`` fills them."""
    from oegd.core.names import koelner_phonetik, normalise_name

    name_key = f"{normalise_name(family)}|{normalise_name(given)}"
    return f"\t{name_key}\t{koelner_phonetik(family)}\t{koelner_phonetik(given)}"


def _cumulative(weights: list[float]) -> list[float]:
    return list(itertools.accumulate(weights))


@contextmanager
def _without_secondary_structures(cursor: Any, tables: list[str]) -> Iterator[dict[str, float]]:
    """Drop the secondary indexes, unique and foreign-key constraints of ``tables`` for the load
    and rebuild them from their own definitions afterwards (COPY into a bare heap is far faster
    than maintaining a dozen indexes per row)."""
    cursor.execute(
        """SELECT c.conname, c.conrelid::regclass::text, pg_get_constraintdef(c.oid), c.contype
           FROM pg_constraint c WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('f', 'u')""",
        [tables],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x
           JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
           WHERE t.relname = ANY(%s) AND NOT EXISTS (
               SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.conrelid = x.indrelid
               AND c.contype IN ('p', 'u', 'x'))""",
        [tables],
    )
    indexes = cursor.fetchall()
    for name, table, _definition, _kind in sorted(constraints, key=lambda row: row[3] != "f"):
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    for table in tables:
        cursor.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
    timings: dict[str, float] = {}
    yield timings
    started = time.perf_counter()
    cursor.execute("SET maintenance_work_mem = '1GB'")
    for _name, definition in indexes:
        cursor.execute(definition)
    for name, table, definition, _kind in sorted(constraints, key=lambda row: row[3] == "f"):
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for table in tables:
        cursor.execute(f"ALTER TABLE {table} RESET (autovacuum_enabled)")
    timings["indexes and constraints rebuilt (s)"] = round(time.perf_counter() - started, 1)


class _Streams:
    """One connection per table, each with a COPY in progress, written in batches."""

    def __init__(self, stack: ExitStack, dsn: str, columns: dict[str, str]) -> None:
        import psycopg

        self.buffers: dict[str, list[str]] = {}
        self.copies: dict[str, Any] = {}
        self.connections = []
        for table, names in columns.items():
            connection = stack.enter_context(psycopg.connect(dsn))
            self.connections.append(connection)
            cursor = stack.enter_context(connection.cursor())
            self.copies[table] = stack.enter_context(cursor.copy(f"COPY {table} ({names}) FROM STDIN"))
            self.buffers[table] = []

    def flush(self) -> None:
        for table, lines in self.buffers.items():
            if lines:
                self.copies[table].write("".join(lines))
                lines.clear()


def generate(*, dsn: str, cases: int, seed: int = 4, now: datetime | None = None) -> Loaded:
    """Load the synthetic state into the (migrated, empty) database at ``dsn``."""
    import psycopg
    from django.contrib.auth.hashers import make_password

    from oegd.cases.models import CaseType, ProcessDefinition, Tag
    from oegd.core.models import Department, Membership, Office, Role, User

    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    clock = _Clock(now)
    timings: dict[str, float] = {}
    started = time.perf_counter()

    # The small tables through the ORM.
    total_weight = sum(OFFICE_WEIGHTS)
    office_cases = [cases * weight // total_weight for weight in OFFICE_WEIGHTS]
    office_cases[0] += cases - sum(office_cases)
    offices = [
        Office.objects.create(slug=f"bench-{number}", name=f"Gesundheitsamt {PLACES[number]}")
        for number in range(len(OFFICE_WEIGHTS))
    ]
    teams: list[dict[str, int]] = []
    staff_of_team: list[dict[str, list[int]]] = []
    staff: list[tuple[Any, Any]] = []
    password = make_password(None)
    for number, office in enumerate(offices):
        departments = {name: Department.objects.create(office=office, name=name).pk for name in TEAMS}
        teams.append(departments)
        people = User.objects.bulk_create(
            User(
                email=f"staff{number}-{index}@bench.example",
                full_name=f"{rng.choice(GIVEN)} {rng.choice(COMMON_FAMILY)}",
                kind=User.Kind.STAFF,
                password=password,
            )
            for index in range(max(12, office_cases[number] // CASES_PER_STAFF))
        )
        members: dict[str, list[int]] = {name: [] for name in TEAMS}
        memberships = []
        for index, person in enumerate(people):
            team = TEAMS[index % len(TEAMS)]
            members[team].append(person.pk)
            role = {S: Role.CLERK, A: Role.PHYSICIAN}.get(team, Role.SPECIALIST)
            memberships.append(Membership(user=person, office=office, department_id=departments[team], role=role))
            staff.append((person, office))
        Membership.objects.bulk_create(memberships)
        staff_of_team.append(members)
    tags = [[Tag.objects.create(office=office, name=f"Schlagwort {n}").pk for n in range(20)] for office in offices]
    bpmn = _placeholder_bpmn()
    type_versions: list[tuple[int, int]] = []  # (old version id, current version id) per case type
    definitions: list[int] = []
    for spec in CASE_TYPES:
        definitions.append(ProcessDefinition.objects.create(key=spec.slug, version=1, name=spec.name, bpmn_xml=bpmn).pk)
        versions = [
            CaseType.objects.create(
                slug=spec.slug,
                version=version,
                name=spec.name,
                process_key=spec.slug,
                milestones=[{"code": "received", "labels": {"de": "Eingegangen", "en": "Received"}}],
                retention_days=spec.retention_days,
                is_current=version == 2,
            ).pk
            for version in (1, 2)
        ]
        type_versions.append((versions[0], versions[1]))

    # Which cases are open, and how many tasks each has (exactly 5 per case overall).
    span = 5 * 365 * 86400
    first_case = clock.now - span
    open_flags = bytearray(cases)
    task_counts = array("b", bytes(cases))
    closed_ids = []
    for index in range(cases):
        age = (cases - index) * span // cases
        share = 0.95 if age < 90 * 86400 else 0.45 if age < 365 * 86400 else 0.07
        if rng.random() < share:
            open_flags[index] = 1
            task_counts[index] = rng.randint(1, 6)
        else:
            task_counts[index] = rng.randint(3, 7)
            closed_ids.append(index)
    missing = 5 * cases - sum(task_counts)
    step = 1 if missing > 0 else -1
    for index in rng.sample(closed_ids, min(abs(missing), len(closed_ids))):
        task_counts[index] += step

    # Persons, office by office (0.8 per case), names from a skewed list plus a long tail.
    # As in Germany: the most common name (Müller) ~0.5 %, the hundred most common ~15 % together.
    family_cumulative = _cumulative([1 / (rank + 1) ** 0.4 for rank in range(len(COMMON_FAMILY))])
    tail = [a + b + c for a in FAMILY_PREFIX for b in FAMILY_MIDDLE for c in FAMILY_SUFFIX]
    person_family: list[str] = []
    person_given: list[str] = []
    person_ranges = []
    with psycopg.connect(dsn) as connection:
        with connection.cursor() as cursor:
            with _without_secondary_structures(cursor, BULK_TABLES) as rebuilt:
                connection.commit()
                person_lines = []
                person_id = 0
                for number, office in enumerate(offices):
                    first = person_id + 1
                    for _ in range(max(1, office_cases[number] * 4 // 5)):
                        person_id += 1
                        family = (
                            COMMON_FAMILY[_pick(rng, family_cumulative)] if rng.random() < 0.15 else rng.choice(tail)
                        )
                        given = rng.choice(GIVEN)
                        person_family.append(family)
                        person_given.append(given)
                        born = f"{1940 + rng.randrange(80)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                        created = clock.text(rng.randrange(first_case, clock.now))
                        place = rng.choice(PLACES)
                        person_lines.append(
                            f"{person_id}\t{office.pk}\t{given}\t{family}\t{born}\t{rng.choice(STREETS)} "
                            f"{rng.randint(1, 120)}\t{rng.randint(10000, 99999)}\t{place}\t"
                            f"{given.lower()}.{family.lower()}{person_id}@example.org\t+49 {rng.randint(10**8, 10**9)}"
                            f"\t\\N\t{created}\t{created}\t{_match_keys(family, given)}\n"
                        )
                    person_ranges.append((first, person_id))
                with cursor.copy(
                    "COPY cases_person (id, office_id, given_name, family_name, birth_date, street, postal_code, "
                    "place, email, phone, user_id, created_at, updated_at, sex, name_key, family_phonetic, "
                    "given_phonetic) FROM STDIN"
                ) as copy:
                    for start in range(0, len(person_lines), 20000):
                        copy.write("".join(person_lines[start : start + 20000]))
                del person_lines
                connection.commit()
                counts = _load_cases(
                    dsn=dsn,
                    rng=rng,
                    clock=clock,
                    cases=cases,
                    first_case=first_case,
                    span=span,
                    office_cumulative=_cumulative(office_cases),
                    offices=[office.pk for office in offices],
                    teams=teams,
                    staff_of_team=staff_of_team,
                    tags=tags,
                    type_versions=type_versions,
                    definitions=definitions,
                    open_flags=open_flags,
                    task_counts=task_counts,
                    person_ranges=person_ranges,
                    person_family=person_family,
                    person_given=person_given,
                )
                counts["persons"] = person_id
                timings["generated and copied (s)"] = round(time.perf_counter() - started, 1)
            connection.commit()
            timings.update(rebuilt)
            for table in BULK_TABLES:
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            connection.commit()
        connection.autocommit = True
        started = time.perf_counter()
        connection.execute("VACUUM (ANALYZE)")
        timings["vacuum analyze (s)"] = round(time.perf_counter() - started, 1)
        counts["database size (MB)"] = connection.execute("SELECT pg_database_size(current_database())").fetchone()[
            0
        ] // (1024 * 1024)
    return Loaded(
        now=now,
        counts=counts,
        timings=timings,
        offices=offices,
        staff=staff,
        case_types=[spec.slug for spec in CASE_TYPES],
    )


def _load_cases(
    *,
    dsn: str,
    rng: random.Random,
    clock: _Clock,
    cases: int,
    first_case: int,
    span: int,
    office_cumulative: list[float],
    offices: list[int],
    teams: list[dict[str, int]],
    staff_of_team: list[dict[str, list[int]]],
    tags: list[list[int]],
    type_versions: list[tuple[int, int]],
    definitions: list[int],
    open_flags: bytearray,
    task_counts: array,
    person_ranges: list[tuple[int, int]],
    person_family: list[str],
    person_given: list[str],
) -> dict[str, int]:
    columns = {
        "cases_case": "id, office_id, identifier, reference, case_type, type_version_id, title, status, priority, "
        "team_id, assignee_id, due_at, subject_id, opened_at, closed_at, updated_at, legal_hold, retention_due_at, "
        "anonymised_at",
        "cases_casesubject": "id, case_id, role, person_id, institution_id",
        "cases_case_tags": "id, case_id, tag_id",
        "cases_caseentry": "id, case_id, kind, code, at, actor_id, actor_label, text",
        "cases_task": "id, office_id, case_id, engine_task_id, element_id, name, lane, form, four_eyes_of, team_id, "
        "assignee_id, status, priority, due_at, waiting_until, created_at, assigned_at, completed_at, "
        "completed_by_id, answers",
        "cases_processinstance": "id, case_id, definition_id, status, state, active_elements, completed_elements, "
        "next_timer_at, started_at, ended_at",
    }
    type_cumulative = _cumulative([spec.weight for spec in CASE_TYPES])
    priority_cumulative = _cumulative([weight for _, weight in PRIORITIES])
    references: set[int] = set()
    counts = dict.fromkeys(["cases", "open cases", "subjects", "tags on cases", "entries", "tasks"], 0)
    counts.update({"live tasks (open or on hold)": 0, "overdue open tasks": 0})
    ids = dict.fromkeys(["subject", "tag", "entry", "task"], 0)
    day = 86400
    N = "\\N"
    tasks: list[tuple[int, str]] = []  # (last written, COPY line)
    with ExitStack() as stack:
        streams = _Streams(stack, dsn, columns)
        out = streams.buffers
        for index in range(cases):
            case_id = index + 1
            number = bisect.bisect(office_cumulative, rng.random() * office_cumulative[-1])
            office = offices[number]
            spec_index = _pick(rng, type_cumulative)
            spec = CASE_TYPES[spec_index]
            opened = first_case + index * span // cases + rng.randrange(0, 3600)
            is_open = open_flags[index]
            priority = PRIORITIES[_pick(rng, priority_cumulative)][0]
            first, last = person_ranges[number]
            person = rng.randint(first, last)
            family, given = person_family[person - 1], person_given[person - 1]
            title = _title(rng, spec, family, given)
            while True:
                body_number = rng.getrandbits(40)
                if body_number not in references:
                    references.add(body_number)
                    break
            body = "".join(ALPHABET[(body_number >> shift) & 31] for shift in range(35, -1, -5))
            reference = f"{body[:4]}-{body[4:]}-{_check_character(body)}"
            office_teams, members = teams[number], staff_of_team[number]
            case_team_name = spec.steps[0].lane
            case_team = office_teams[case_team_name]
            case_assignee = rng.choice(members[case_team_name]) if rng.random() < 0.5 else None

            # Tasks, one after the other from the opening on.
            n = task_counts[index]
            budget = max(3600, (clock.now - opened) // (n + 1)) if is_open else 20 * day
            moment = opened + rng.randrange(60, 3600)
            live_from = n - (2 if n >= 2 and rng.random() < 0.35 else 1) if is_open else n
            for position in range(n):
                step = spec.steps[position % len(spec.steps)]
                ids["task"] += 1
                team_id = office_teams[step.lane]
                team_members = members[step.lane]
                created = moment
                if position >= live_from:
                    counts["live tasks (open or on hold)"] += 1
                    status, waiting, completed, completed_by = "open", N, N, N
                    if rng.random() < 0.08:
                        status, waiting = "waiting", clock.text(clock.now + rng.randrange(day, 20 * day))
                    roll = rng.random()
                    if roll < 0.08:
                        team, assignee, assigned = N, N, N
                    elif roll < 0.63:
                        team, assignee = team_id, rng.choice(team_members)
                        assigned = clock.text(min(clock.now, created + rng.randrange(60, day)))
                    else:
                        team, assignee, assigned = team_id, N, N
                    if rng.random() < 0.85:
                        due_seconds = clock.now + rng.randrange(-12 * day, 48 * day)
                        due = clock.text(due_seconds)
                        if due_seconds < clock.now and status == "open":
                            counts["overdue open tasks"] += 1
                    else:
                        due = N
                    created = min(created, clock.now - 60)
                else:
                    done_at = min(created + rng.randrange(600, budget), clock.now - 60)
                    if not is_open and rng.random() < 0.03:
                        status, completed_by, assignee = "cancelled", N, N
                    else:
                        status = "done"
                        completed_by = assignee = rng.choice(team_members)
                    team, waiting, completed = team_id, N, clock.text(done_at)
                    assigned = clock.text(created + rng.randrange(0, max(60, done_at - created)))
                    due = clock.text(created + 14 * day) if rng.random() < 0.4 else N
                    moment = done_at + rng.randrange(0, 3600)
                tasks.append(
                    (
                        created if completed is N else done_at,
                        f"{ids['task']}\t{office}\t{case_id}\t{rng.getrandbits(128):032x}\t{step.element_id}\t"
                        f"{step.name}\t{step.lane}\t{step.form}\t{step.four_eyes_of}\t{team}\t{assignee}\t"
                        f"{status}\t{priority}\t{due}\t{waiting}\t{clock.text(created)}\t{assigned}\t{completed}\t"
                        f"{completed_by}\t\n",
                    )
                )
            counts["tasks"] += n
            last_activity = min(moment, clock.now - 60)

            # The case itself, its process instance and progress entries.
            if is_open:
                counts["open cases"] += 1
                status, closed, retention = "open", N, N
                due = clock.text(clock.now + rng.randrange(-20 * day, 60 * day)) if rng.random() < 0.6 else N
                hold = "f"
                step_ids = [spec.steps[p % len(spec.steps)].element_id for p in range(n)]
                active, done_elements = step_ids[live_from:], step_ids[:live_from]
                timer = clock.text(clock.now + rng.randrange(day, 14 * day)) if rng.random() < 0.3 else N
                out["cases_processinstance"].append(
                    f"{case_id}\t{case_id}\t{definitions[spec_index]}\trunning\t{N}\t{json.dumps(active)}\t"
                    f"{json.dumps(done_elements)}\t{timer}\t{clock.text(opened)}\t{N}\n"
                )
                entry = ("system", "process.started", opened)
            else:
                status, closed = "closed", clock.text(last_activity)
                retention = clock.text(last_activity + spec.retention_days * day)
                due = clock.text(opened + 30 * day) if rng.random() < 0.3 else N
                hold = "t" if rng.random() < 0.001 else "f"
                out["cases_processinstance"].append(
                    f"{case_id}\t{case_id}\t{definitions[spec_index]}\tcompleted\t{N}\t[]\t"
                    f'["{spec.steps[-1].element_id}"]\t{N}\t{clock.text(opened)}\t{closed}\n'
                )
                entry = ("system", "case.closed", last_activity)
            version = type_versions[spec_index][0 if clock.now - opened > 2 * 365 * day else 1]
            out["cases_case"].append(
                f"{case_id}\t{office}\t{rng.getrandbits(128):032x}\t{reference}\t{spec.slug}\t{version}\t{title}\t"
                f"{status}\t{priority}\t{case_team}\t{case_assignee or N}\t{due}\t{N}\t{clock.text(opened)}\t"
                f"{closed}\t{clock.text(last_activity)}\t{hold}\t{retention}\t{N}\n"
            )
            for kind, code, at in (("inbox", "case.opened", opened), entry):
                ids["entry"] += 1
                out["cases_caseentry"].append(
                    f"{ids['entry']}\t{case_id}\t{kind}\t{code}\t{clock.text(at)}\t{N}\tSystem\t\n"
                )
            ids["subject"] += 1
            role = "affected" if spec.slug in ("school-entry-anamnesis", "tb-contact-tracing") else "applicant"
            out["cases_casesubject"].append(f"{ids['subject']}\t{case_id}\t{role}\t{person}\t{N}\n")
            if rng.random() < 0.12:
                ids["subject"] += 1
                out["cases_casesubject"].append(
                    f"{ids['subject']}\t{case_id}\tguardian\t{rng.randint(first, last)}\t{N}\n"
                )
            roll = rng.random()
            if roll < 0.4:
                for tag in rng.sample(tags[number], 2 if roll < 0.1 else 1):
                    ids["tag"] += 1
                    out["cases_case_tags"].append(f"{ids['tag']}\t{case_id}\t{tag}\n")
            if case_id % 5000 == 0:
                streams.flush()
        streams.flush()
        # Rows lie in the table in the order they were last written: a live task when it was
        # created, a done one when it was completed (its new row version).
        tasks.sort(key=lambda row: row[0])
        copy = streams.copies["cases_task"]
        for start in range(0, len(tasks), 20000):
            copy.write("".join(line for _, line in tasks[start : start + 20000]))
        del tasks
    counts["cases"] = cases
    counts["subjects"] = ids["subject"]
    counts["tags on cases"] = ids["tag"]
    counts["entries"] = ids["entry"]
    return counts


def _title(rng: random.Random, spec: CaseTypeSpec, family: str, given: str) -> str:
    words = {
        "family": family,
        "given": given,
        "disease": rng.choice(DISEASES),
        "reportable": rng.choice(REPORTABLE),
        "institution": f"{rng.choice(INSTITUTION_KINDS)} {rng.choice(INSTITUTION_NAMES)} {rng.choice(PLACES)}",
        "topic": rng.choice(TOPICS),
        "purpose": rng.choice(PURPOSES),
        "pool": rng.choice(POOLS),
        "place": rng.choice(PLACES),
        "street": f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
        "finding": rng.choice(FINDINGS),
    }
    return spec.title.format(**words)


def _placeholder_bpmn() -> str:
    """The library processes of the synthetic case types: a single user task. Synthetic process
    instances carry no workflow state; only the completion benchmark runs processes."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
        'targetNamespace="https://oegd.example/bench">\n'
        '  <bpmn:process id="bench" isExecutable="true">\n'
        '    <bpmn:startEvent id="start"/>\n'
        '    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>\n'
        '    <bpmn:userTask id="work" name="Bearbeiten"/>\n'
        '    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/>\n'
        '    <bpmn:endEvent id="end"/>\n'
        "  </bpmn:process>\n"
        "</bpmn:definitions>\n"
    )
