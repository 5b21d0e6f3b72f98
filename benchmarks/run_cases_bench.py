"""Case management benchmark: worklists and case search at 1,000,000 cases and 5,000,000 tasks,
and task completions per second.

    make bench-cases                                                 # the full size, ~10 minutes
    .venv/bin/python benchmarks/run_cases_bench.py --cases 100000    # a tenth, for a quick check
    .venv/bin/python benchmarks/run_cases_bench.py --keep-db         # keep the loaded database ...
    .venv/bin/python benchmarks/run_cases_bench.py --reuse-db        # ... and measure it again

The data (``benchmarks/cases_data.py``): ten offices, one with 30 % of the cases, persons kept
apart from cases, 5 tasks per case of which ~5 % are open or on hold, loaded with COPY into a
fresh PostgreSQL database ``oegd_bench_cases`` (dropped afterwards unless ``--keep-db``).

Measured with the real selectors (``cases/selectors.py``), each ``--requests`` times with a random
staff member (so the big office's people make up a third of the requests) and random filters:

- the first worklist page: ``worklist(...)`` of a tab, 51 rows fetched as the view does (50 shown,
  one to know whether there is a next page) with everything the template shows (case, case type,
  team, assignee), sorted by due date; tabs mine, team, overdue, each without and with a filter
  (a case type and a priority); "page" adds the capped tab counts (``worklist_counts``) the view
  runs on every page;
- the case search (``search_cases``, all statuses): by reference prefix (4-7 characters, typed in
  lower case), by a person's family name, by a word of the title; "page" adds the capped count
  (1,000) of the case list;
- task completions per second: ``services.complete_task`` one after another on cases running a
  real three-step process (check documents → gateway → instruct → four-eyes approval with a 14-day
  timer → set_milestone service task → end), opened with ``services.open_case`` in the big office.
  Baseline in the same run: a plain primary-key fetch of a task.

p50/p95 in milliseconds, wall time in this process (Django + psycopg + PostgreSQL on the same
machine, data in the OS page cache after the load). The slowest query gets an
EXPLAIN (ANALYZE, BUFFERS) in the results: benchmarks/results/cases-latest.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

TARGET_P95_MS = 300
PROCESS_KEY = "bench-instruction"
PROCESS_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="bench_definitions"
    targetNamespace="https://oegd.example/bench">
  <bpmn:collaboration id="bench_collaboration">
    <bpmn:participant id="bench_office" name="Gesundheitsamt" processRef="bench_instruction" />
  </bpmn:collaboration>
  <bpmn:process id="bench_instruction" name="Belehrung (Benchmark)" isExecutable="true">
    <bpmn:laneSet id="bench_lanes">
      <bpmn:lane id="lane_clerks" name="Sachbearbeitung">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>check_documents</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>gateway_complete</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>request_documents</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>milestone_decision</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="lane_physicians" name="Ärztlicher Dienst">
        <bpmn:flowNodeRef>instruct</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>approve</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>approval_deadline</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>escalate</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="check_documents" name="Unterlagen prüfen" />
    <bpmn:exclusiveGateway id="gateway_complete" name="Unterlagen vollständig?" default="flow_incomplete" />
    <bpmn:userTask id="request_documents" name="Unterlagen nachfordern" />
    <bpmn:userTask id="instruct" name="Belehrung durchführen" />
    <bpmn:userTask id="approve" name="Bescheinigung freigeben">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="fourEyesOf" value="instruct" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="approval_deadline" name="Frist 14 Tage" attachedToRef="approve">
      <bpmn:timerEventDefinition id="timer_14_days">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P14D"</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="escalate" name="Freigabe eskalieren" />
    <bpmn:serviceTask id="milestone_decision" name="Entscheidung mitteilen">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="set_milestone">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="code" type="str" value="&#34;decision_made&#34;" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="flow_start" sourceRef="start" targetRef="check_documents" />
    <bpmn:sequenceFlow id="flow_check" sourceRef="check_documents" targetRef="gateway_complete" />
    <bpmn:sequenceFlow id="flow_complete" sourceRef="gateway_complete" targetRef="instruct">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">documents_complete</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="flow_incomplete" sourceRef="gateway_complete" targetRef="request_documents" />
    <bpmn:sequenceFlow id="flow_request" sourceRef="request_documents" targetRef="check_documents" />
    <bpmn:sequenceFlow id="flow_instruct" sourceRef="instruct" targetRef="approve" />
    <bpmn:sequenceFlow id="flow_approve" sourceRef="approve" targetRef="milestone_decision" />
    <bpmn:sequenceFlow id="flow_deadline" sourceRef="approval_deadline" targetRef="escalate" />
    <bpmn:sequenceFlow id="flow_escalate" sourceRef="escalate" targetRef="milestone_decision" />
    <bpmn:sequenceFlow id="flow_end" sourceRef="milestone_decision" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


class QueryCounter:
    """Counts the SQL statements run inside ``with connection.execute_wrapper(counter)``."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


# --- the data ------------------------------------------------------------------------------------


def staff_sample() -> list[tuple[Any, Any]]:
    """(user, office) of every synthetic staff member, in a stable order."""
    from oegd.core.models import Membership

    memberships = (
        Membership.objects.filter(user__email__endswith="@bench.example")
        .select_related("user", "office")
        .order_by("user_id")
    )
    return [(membership.user, membership.office) for membership in memberships]


def case_sample(rng: random.Random, size: int) -> list[dict[str, Any]]:
    """Random cases (reference, title, office, a subject's family name) to search for."""
    from django.db.models import Max

    from oegd.cases.models import Case, CaseSubject

    highest = Case.objects.aggregate(Max("pk"))["pk__max"]
    ids = rng.sample(range(1, highest + 1), min(size, highest))
    rows = {row["pk"]: row for row in Case.objects.filter(pk__in=ids).values("pk", "office_id", "reference", "title")}
    for case_id, family in CaseSubject.objects.filter(case_id__in=ids, person__isnull=False).values_list(
        "case_id", "person__family_name"
    ):
        rows[case_id].setdefault("family", family)
    return [rows[pk] for pk in ids if pk in rows and "family" in rows[pk]]


# --- worklists and search ------------------------------------------------------------------------


def _touch_tasks(rows: list[Any]) -> None:
    """What cases/worklist.html reads of each row."""
    for task in rows:
        case = task.case
        (task.pk, task.name, case.reference, case.title, task.get_priority_display(), task.due_at, task.waiting_until)
        _ = case.type_version.name if case.type_version else case.case_type
        _ = task.team.name if task.team else "-"
        _ = (task.assignee.full_name or task.assignee.email) if task.assignee else "-"


def _touch_cases(rows: list[Any]) -> None:
    """What cases/list.html reads of each row."""
    for case in rows:
        (case.reference, case.case_type, case.title, case.opened_at, case.get_status_display())


def measure(
    name: str,
    requests: int,
    make: Callable[[random.Random], tuple[dict[str, Any], Callable[[], Any], Callable[[], Any]]],
    seed: int,
) -> dict[str, Any]:
    """``make(rng)`` returns (arguments, rows(), extra()) for one request: rows() fetches and touches
    the first page, extra() what else the page runs (capped counts). Warm-up first, then
    ``requests`` timed requests."""
    from django.db import connection

    rng = random.Random(seed)
    for _ in range(max(5, requests // 10)):
        _, rows, extra = make(rng)
        rows()
        extra()
    row_ms, page_ms, found, queries, slowest = [], [], [], [], (0.0, {})
    for _ in range(requests):
        arguments, rows, extra = make(rng)
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            result = rows()
            middle = time.perf_counter()
            extra()
            ended = time.perf_counter()
        row_ms.append((middle - started) * 1000)
        page_ms.append((ended - started) * 1000)
        found.append(len(result))
        queries.append(counter.count)
        if row_ms[-1] > slowest[0]:
            slowest = (row_ms[-1], arguments)
    return {
        "name": name,
        "rows p50 (ms)": round(percentile(row_ms, 0.5), 1),
        "rows p95 (ms)": round(percentile(row_ms, 0.95), 1),
        "rows max (ms)": round(max(row_ms), 1),
        "page p50 (ms)": round(percentile(page_ms, 0.5), 1),
        "page p95 (ms)": round(percentile(page_ms, 0.95), 1),
        "rows found, median": statistics.median(found),
        "queries per page, max": max(queries),
        "slowest": slowest[1],
    }


def worklist_scenarios(staff: list[tuple[Any, Any]], case_types: list[str]) -> list[tuple[str, Callable]]:
    from oegd.cases import selectors

    def scenario(view: str, filtered: bool, sort: str = "due") -> Callable:
        def make(rng: random.Random):
            user, office = rng.choice(staff)
            filters = (
                selectors.WorklistFilters(case_type=rng.choice(case_types), priority=rng.randint(1, 4))
                if filtered
                else selectors.WorklistFilters()
            )
            arguments = {
                "user": user.email,
                "office": office.slug,
                "view": view,
                "filters": {"case_type": filters.case_type, "priority": filters.priority},
                "sort": sort,
            }

            def rows() -> list[Any]:
                found = list(selectors.worklist(user=user, office=office, view=view, filters=filters, sort=sort)[:51])
                _touch_tasks(found[:50])
                return found[:50]

            return arguments, rows, lambda: selectors.worklist_counts(user=user, office=office, cap=100)

        return make

    return [
        ("worklist mine", scenario("mine", False)),
        ("worklist team", scenario("team", False)),
        ("worklist overdue", scenario("overdue", False)),
        ("worklist mine, case type + priority", scenario("mine", True)),
        ("worklist team, case type + priority", scenario("team", True)),
        ("worklist overdue, case type + priority", scenario("overdue", True)),
        ("worklist all open, sorted by priority", scenario("all", False, "-priority")),
    ]


TYPE_WORDS = {
    "Meldung",
    "nach",
    "Belehrung",
    "IfSG",
    "§43",
    "Amtsärztliche",
    "Bescheinigung",
    "Badewasserbefund",
    "Schuleingangsuntersuchung",
    "Trinkwasser",
    "TB-Umgebungsuntersuchung",
}


def search_scenarios(sample: list[dict[str, Any]], offices: dict[int, Any]) -> list[tuple[str, Callable]]:
    from oegd.cases import selectors

    def scenario(kind: str) -> Callable:
        def make(rng: random.Random):
            case = rng.choice(sample)
            office = offices[case["office_id"]]
            if kind == "reference":
                query = case["reference"][: rng.randint(4, 7)].lower()
            elif kind == "family":
                query = case["family"]
            else:
                words = [
                    word.strip(",:")
                    for word in case["title"].split()
                    if len(word.strip(",:")) >= 4 and word.strip(",:") not in TYPE_WORDS
                ]
                query = rng.choice(words) if words else case["title"].split()[0]
            arguments = {"office": office.slug, "query": query, "status": ""}
            found = selectors.search_cases(office=office, query=query, status="")

            def rows() -> list[Any]:
                result = list(found.select_related("type_version", "team", "assignee")[:51])
                _touch_cases(result[:50])
                return result[:50]

            return arguments, rows, lambda: selectors.capped_count(found, 1000)

        return make

    return [
        ("search: reference prefix", scenario("reference")),
        ("search: family name", scenario("family")),
        ("search: title word", scenario("title")),
    ]


def explain(result: dict[str, Any], staff: list[tuple[Any, Any]]) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the first-page query of the slowest request of ``result``."""
    from oegd.cases import selectors
    from oegd.core.models import Office

    arguments = result["slowest"]
    office = Office.objects.get(slug=arguments["office"])
    if "view" in arguments:
        user = next(user for user, _ in staff if user.email == arguments["user"])
        filters = selectors.WorklistFilters(**{k: v for k, v in arguments["filters"].items() if v})
        queryset = selectors.worklist(
            user=user, office=office, view=arguments["view"], filters=filters, sort=arguments["sort"]
        )
    else:
        queryset = selectors.search_cases(office=office, query=arguments["query"], status="").select_related(
            "type_version", "team", "assignee"
        )
    return queryset[:51].explain(analyze=True, buffers=True)


# --- task completions ----------------------------------------------------------------------------


def completions(cases: int, seed: int) -> dict[str, Any]:
    """Open ``cases`` cases running the three-step bench process in the big office and complete all
    their tasks one after another through services.complete_task, in runs of ~100 completions."""
    from django.db import connection

    from oegd.cases import services
    from oegd.cases.models import Case, CaseType, ProcessDefinition, ProcessInstance, Task
    from oegd.core.models import Department, Membership, Office, Role
    from oegd.forms.references import new_reference

    rng = random.Random(seed)
    office = Office.objects.get(slug="bench-0")
    clerk, physician, second_physician = (
        membership.user
        for membership in [
            Membership.objects.filter(office=office, department__name=team).order_by("user_id")[number]
            for team, number in (("Sachbearbeitung", 0), ("Ärztlicher Dienst", 0), ("Ärztlicher Dienst", 1))
        ]
    )
    assert Department.objects.filter(office=office, name="Sachbearbeitung").exists()
    assert Membership.objects.filter(user=clerk, role=Role.CLERK).exists()
    if not ProcessDefinition.objects.filter(key=PROCESS_KEY).exists():
        services.publish_process_definition(
            actor=clerk, key=PROCESS_KEY, name="Belehrung (Benchmark)", bpmn_xml=PROCESS_BPMN
        )
    CaseType.objects.get_or_create(
        slug=PROCESS_KEY, version=1, defaults={"name": "Belehrung (Benchmark)", "process_key": PROCESS_KEY}
    )

    # Baseline: a plain primary-key fetch of a task.
    highest = Task.objects.order_by("-pk").values_list("pk", flat=True).first()
    fetch_ms = []
    for _ in range(1000):
        pk = rng.randint(1, highest)
        started = time.perf_counter()
        Task.objects.filter(pk=pk).order_by().first()  # no ORDER BY due_at: a bare primary-key lookup
        fetch_ms.append((time.perf_counter() - started) * 1000)
    baseline_ms = statistics.median(fetch_ms)

    started = time.perf_counter()
    opened = [
        services.open_case(
            actor=clerk,
            office=office,
            case_type=PROCESS_KEY,
            title=f"Belehrung Benchmark {n}",
            reference=new_reference(),
        )
        for n in range(cases)
    ]
    open_seconds = time.perf_counter() - started

    runs = []
    queries = []
    state_bytes = None
    steps = [
        ("check_documents", clerk, {"documents_complete": True}),
        ("instruct", physician, {}),
        ("approve", second_physician, {}),
    ]
    for element_id, actor, variables in steps:
        tasks = list(
            Task.objects.filter(case__in=opened, element_id=element_id, status=Task.Status.OPEN).order_by("pk")
        )
        assert len(tasks) == cases, f"{len(tasks)} open {element_id} tasks for {cases} cases"
        for start in range(0, len(tasks), 100):
            batch = tasks[start : start + 100]
            counter = QueryCounter()
            began = time.perf_counter()
            with connection.execute_wrapper(counter):
                for task in batch:
                    services.complete_task(actor=actor, task=task, variables=variables)
            runs.append({"step": element_id, "completions": len(batch), "seconds": time.perf_counter() - began})
            queries.append(counter.count / len(batch))
        if state_bytes is None:  # while the processes run (the state is dropped when they end)
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY octet_length(state::text)) "
                    "FROM cases_processinstance WHERE case_id = ANY(%s) AND state IS NOT NULL",
                    [[case.pk for case in opened]],
                )
                state_bytes = cursor.fetchone()[0]
    finished = ProcessInstance.objects.filter(case__in=opened, status=ProcessInstance.Status.COMPLETED).count()
    assert finished == cases, f"only {finished} of {cases} processes completed"
    assert not Task.objects.filter(case__in=opened, status=Task.Status.OPEN).exists()
    rates = [run["completions"] / run["seconds"] for run in runs]
    median_rate = statistics.median(rates)
    return {
        "cases opened (open_case, each starting its process)": cases,
        "cases opened per second": round(cases / open_seconds, 1),
        "completions": sum(run["completions"] for run in runs),
        "runs": len(runs),
        "completions per second (median of runs)": round(median_rate, 1),
        "completions per second (slowest run)": round(min(rates), 1),
        "completions per second (fastest run)": round(max(rates), 1),
        "ms per completion (median)": round(1000 / median_rate, 1),
        "SQL statements per completion (mean)": round(statistics.mean(queries), 1),
        "baseline: task fetch by primary key (ms, median)": round(baseline_ms, 3),
        "completion vs baseline (x)": round((1000 / median_rate) / baseline_ms, 1),
        "stored workflow state while running (bytes, median)": int(state_bytes) if state_bytes else None,
        "per run": [{**run, "per second": round(run["completions"] / run["seconds"], 1)} for run in runs],
        "opened in total (incl. earlier runs)": Case.objects.filter(case_type=PROCESS_KEY).count(),
    }


# --- report --------------------------------------------------------------------------------------


def postgres_settings() -> dict[str, str]:
    from django.db import connection

    names = ["server_version", "shared_buffers", "work_mem", "effective_cache_size", "random_page_cost", "jit"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, setting, unit FROM pg_settings WHERE name = ANY(%s)", [names])
        return {name: f"{setting}{' × ' + unit if unit else ''}" for name, setting, unit in cursor.fetchall()}


def table_sizes() -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT relname, pg_size_pretty(pg_table_size(oid)), pg_size_pretty(pg_indexes_size(oid))
               FROM pg_class WHERE relname IN ('cases_case', 'cases_task', 'cases_person', 'cases_casesubject',
               'cases_caseentry') ORDER BY pg_total_relation_size(oid) DESC"""
        )
        return {name: f"{table} table + {indexes} indexes" for name, table, indexes in cursor.fetchall()}


def render(info: dict[str, Any], measured: list[dict[str, Any]], completed: dict[str, Any], plans: list[str]) -> str:
    counts, timings = info["counts"], info["timings"]
    lines = ["| data (PostgreSQL) | value |", "|---|---:|"]
    lines += [
        f"| {name} | {value:,} |" if isinstance(value, int) else f"| {name} | {value} |"
        for name, value in counts.items()
    ]
    lines += [f"| {name} | {value} |" for name, value in timings.items()]
    lines += [
        "",
        "| first page (51 rows + what the page shows) | rows p50 (ms) | rows p95 (ms) | rows max (ms) "
        "| page p50 (ms) | page p95 (ms) | rows found (median) | queries per page (max) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in measured:
        lines.append(
            f"| {row['name']} | {row['rows p50 (ms)']} | {row['rows p95 (ms)']} | {row['rows max (ms)']} | "
            f"{row['page p50 (ms)']} | {row['page p95 (ms)']} | {row['rows found, median']} | "
            f"{row['queries per page, max']} |"
        )
    if completed:
        lines += ["", "| task completions (services.complete_task, one after another) | value |", "|---|---:|"]
        lines += [f"| {name} | {value} |" for name, value in completed.items() if name != "per run"]
    for plan in plans:
        lines += ["", plan]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases to generate (tasks: 5 per case)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per measurement")
    parser.add_argument("--completion-cases", type=int, default=300, help="cases whose 3 tasks are completed")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--db-name", default="oegd_bench_cases")
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse-db", action="store_true", help="measure an existing (kept) database again")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args()

    from harness import fresh_database, load_generated, loaded_info, machine, write_results

    load_before = os.getloadavg()
    with fresh_database(args.db_name, keep=args.keep_db or args.reuse_db, reuse=args.reuse_db) as existed:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        info = loaded_info() if existed else None
        if info is None:
            print(f"Generating {args.cases:,} cases and {5 * args.cases:,} tasks ...", flush=True)
            from cases_data import generate

            info = load_generated(generate, cases=args.cases, seed=args.seed)
        else:
            print(f"Reusing the database loaded at {info['loaded_at']}", flush=True)
        print(json.dumps(info, indent=2), flush=True)

        from oegd.cases.models import Case
        from oegd.core.models import Office

        staff = staff_sample()
        case_types = sorted(set(Case.objects.filter(pk__lte=2000).values_list("case_type", flat=True)))
        offices = {office.pk: office for office in Office.objects.all()}
        sample = case_sample(random.Random(args.seed), 5000)
        measured = []
        for number, (name, make) in enumerate(
            worklist_scenarios(staff, case_types) + search_scenarios(sample, offices)
        ):
            measured.append(measure(name, args.requests, make, seed=args.seed * 100 + number))
            print(json.dumps({k: v for k, v in measured[-1].items() if k != "slowest"}), flush=True)
        worklists = [row for row in measured if row["name"].startswith("worklist")]
        searches = [row for row in measured if row["name"].startswith("search")]
        plans = []
        for title, rows in (("worklist", worklists), ("search", searches)):
            slowest = max(rows, key=lambda row: row["rows p95 (ms)"])
            plan = explain(slowest, staff)
            plans.append(
                f"Slowest {title} query ({slowest['name']}, its slowest request: "
                f"`{json.dumps(slowest['slowest'], ensure_ascii=False)}`), EXPLAIN (ANALYZE, BUFFERS):\n\n"
                f"```text\n{plan}\n```"
            )
        print("Completing tasks ...", flush=True)
        completed = completions(args.completion_cases, args.seed) if args.completion_cases else {}
        settings = postgres_settings()
        sizes = table_sizes()

    worst = max(row["rows p95 (ms)"] for row in worklists)
    worst_page = max(row["page p95 (ms)"] for row in worklists)
    result = {
        "machine": machine(),
        "load average before/after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "postgresql": settings,
        "table sizes": sizes,
        "requests per measurement": args.requests,
        "data": info,
        "target": f"worklist p95 < {TARGET_P95_MS} ms",
        "worklist rows p95, worst (ms)": worst,
        "worklist page p95, worst (ms)": worst_page,
        "target met": worst_page < TARGET_P95_MS,
        "measurements": measured,
        "completions": completed,
        "plans": plans,
    }
    table = render(info, measured, completed, plans)
    summary = (
        f"PostgreSQL {settings.get('server_version', '')} (shared_buffers {settings.get('shared_buffers', '')}), "
        f"{args.requests} requests per row with random staff and filters; worklist page p95 worst "
        f"{worst_page} ms (target {TARGET_P95_MS} ms); load average {load_before[0]:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after"
    )
    write_results(args.output, "cases", "Case management benchmark", summary, result, table)


if __name__ == "__main__":
    main()
