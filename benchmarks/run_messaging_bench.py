"""Messaging benchmark: the team inbox of a team with 100,000 conversations.

    .venv/bin/python benchmarks/run_messaging_bench.py             # about a minute
    .venv/bin/python benchmarks/run_messaging_bench.py --runs 3 --threads 20000   # quicker

PostgreSQL, a fresh database ``oegd_bench_messaging``: one office with four teams and 30 staff
members; the measured team holds ``--threads`` conversations (default 100,000), the other teams
20,000 more. 70 % are open; half are assigned; a fifth were started anonymously, the others by
one of 2,000 citizens; the last activity is spread over two years. Subjects are encrypted like in
production (bulk_create goes through the encrypted field).

Measured, each as the median over ``--runs`` runs of the p50/p95 of ``--samples`` calls:
``team_inbox`` (the selector behind ``/staff/messages/``: one query, 25 rows, subjects decrypted)
for the usual filters, the second page (keyset cursor), and the whole page through Django's test
client (session, permission check, query, template). Baseline in the same run: one plain indexed
count (the team's open conversations with activity on one day). The query plans are recorded so
the indexes in use are visible.

Results go to benchmarks/results/messaging-latest.{json,md}.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

TEAMS = ["Kinder- und Jugendgesundheit", "Infektionsschutz", "Hygiene", "Sozialpsychiatrischer Dienst"]
STAFF = 30
CITIZENS = 2000
OTHER_TEAMS_THREADS = 20_000
BATCH = 5000
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def generate(team_threads: int, seed: int = 61) -> dict:
    """The office, its teams and people, and the conversations (bulk_create, encrypted subjects)."""
    from django.contrib.auth.hashers import make_password

    from oegd.core.models import Department, Membership, Office, Role, User
    from oegd.messaging.models import Thread, Topic

    rng = random.Random(seed)
    office = Office.objects.create(slug="bench", name="Gesundheitsamt Benchmark")
    teams = [Department.objects.create(office=office, name=name) for name in TEAMS]
    topics = [
        Topic.objects.create(office=office, team=team, slug=f"topic-{n}", texts={"de": {"name": f"Thema {n}"}})
        for n, team in enumerate(teams)
    ]
    password = make_password(None)
    staff = User.objects.bulk_create(
        User(email=f"staff{n}@bench.example", full_name=f"Mitarbeiterin {n}", kind=User.Kind.STAFF, password=password)
        for n in range(STAFF)
    )
    Membership.objects.bulk_create(
        Membership(user=user, office=office, department=teams[n % len(teams)], role=Role.CLERK)
        for n, user in enumerate(staff)
    )
    citizens = User.objects.bulk_create(
        User(email=f"citizen{n}@bench.example", full_name=f"Bürgerin {n}", password=password) for n in range(CITIZENS)
    )
    span = int(timedelta(days=730).total_seconds())

    def thread(team_index: int, number: int) -> Thread:
        anonymous = rng.random() < 0.2
        moment = NOW - timedelta(seconds=rng.randrange(span))
        open_ = rng.random() < 0.7
        return Thread(
            office=office,
            team=teams[team_index],
            topic=topics[team_index],
            citizen=None if anonymous else rng.choice(citizens),
            started_anonymously=anonymous,
            confidential=anonymous,
            subject=f"Anfrage {number}: Impfung, Schule oder Beratung",
            status=Thread.Status.OPEN if open_ else Thread.Status.CLOSED,
            assignee=rng.choice(staff) if rng.random() < 0.5 else None,
            needs_reply=rng.random() < 0.4,
            created_at=moment - timedelta(days=rng.randrange(30)),
            last_message_at=moment,
            closed_at=None if open_ else moment,
        )

    plan = [(0, team_threads)] + [(index, OTHER_TEAMS_THREADS // 3) for index in range(1, len(teams))]
    created = 0
    for team_index, count in plan:
        for start in range(0, count, BATCH):
            Thread.objects.bulk_create([thread(team_index, created + n) for n in range(min(BATCH, count - start))])
            created += min(BATCH, count - start)
    return {"office": office, "team": teams[0], "staff": staff, "threads": created}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def sampled(function, samples: int) -> tuple[float, float]:
    """p50 and p95 (milliseconds) of ``samples`` calls."""
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return percentile(times, 0.5), percentile(times, 0.95)


def measure(runs: int, samples: int, team_threads: int) -> dict:
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from oegd.core.tests.factories import login_staff
    from oegd.messaging.models import Thread
    from oegd.messaging.selectors import InboxFilter, team_inbox

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    data = generate(team_threads)
    generation_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    office, team, me = data["office"], data["team"], data["staff"][0]
    day = NOW - timedelta(days=10)

    def baseline() -> int:
        return Thread.objects.filter(
            office=office,
            team=team,
            status=Thread.Status.OPEN,
            last_message_at__gte=day,
            last_message_at__lt=day + timedelta(days=1),
        ).count()

    first_page = team_inbox(user=me, office=office, wanted=InboxFilter(team=str(team.pk)))
    variants = {
        "team, open (first page)": InboxFilter(team=str(team.pk)),
        "team, open, awaiting answer": InboxFilter(team=str(team.pk), needs_reply=True),
        "team, open, unassigned": InboxFilter(team=str(team.pk), assignee="none"),
        "team, closed": InboxFilter(team=str(team.pk), status=Thread.Status.CLOSED),
        "all teams, open": InboxFilter(),
        "assigned to me, open": InboxFilter(assignee="me"),
    }
    calls = {
        name: (lambda wanted=wanted: team_inbox(user=me, office=office, wanted=wanted))
        for name, wanted in variants.items()
    }
    calls["team, open (second page)"] = lambda: team_inbox(
        user=me, office=office, wanted=variants["team, open (first page)"], cursor=first_page.next_cursor
    )

    client = Client()
    login_staff(client, me, office)
    url = f"/staff/messages/?team={team.pk}"
    assert client.get(url).status_code == 200
    calls["whole page /staff/messages/ (test client)"] = lambda: client.get(url)

    results: dict[str, dict[str, list[float]]] = {"baseline": {"p50": [], "p95": []}}
    results.update({name: {"p50": [], "p95": []} for name in calls})
    for function in [baseline, *calls.values()]:  # warm-up
        function()
    for _run in range(runs):
        p50, p95 = sampled(baseline, samples)
        results["baseline"]["p50"].append(p50)
        results["baseline"]["p95"].append(p95)
        for name, function in calls.items():
            p50, p95 = sampled(function, samples)
            results[name]["p50"].append(p50)
            results[name]["p95"].append(p95)

    executed: list[str] = []

    def count_query(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count_query):
        rows = team_inbox(user=me, office=office, wanted=variants["team, open (first page)"])
    selector_queries = len(executed)
    executed.clear()
    with connection.execute_wrapper(count_query):
        client.get(url)
    page_queries = len(executed)

    plans = {}
    for name, wanted in variants.items():
        queryset = (
            Thread.objects.filter(office=office, status=wanted.status)
            if wanted.assignee != "me"
            else Thread.objects.filter(office=office, status=wanted.status, assignee=me)
        )
        if wanted.team:
            queryset = queryset.filter(team=team)
        if wanted.assignee == "none":
            queryset = queryset.filter(assignee__isnull=True)
        if wanted.needs_reply:
            queryset = queryset.filter(needs_reply=True)
        plan = queryset.order_by("-last_message_at", "-id")[:26].explain()
        plans[name] = " | ".join(line.strip() for line in plan.splitlines()[:3])

    summary = {
        "threads in the measured team": team_threads,
        "threads in the office": data["threads"],
        "generation (s)": round(generation_s, 1),
        "rows on the first page": len(rows.threads),
    }
    for name, values in results.items():
        label = "baseline: count of the team's open threads on one day" if name == "baseline" else name
        summary[f"{label}, p50 (ms)"] = round(statistics.median(values["p50"]), 3)
        summary[f"{label}, p95 (ms)"] = round(statistics.median(values["p95"]), 3)
    first = "team, open (first page)"
    summary["first page p95 vs baseline p95"] = round(
        statistics.median(results[first]["p95"]) / statistics.median(results["baseline"]["p95"]), 1
    )
    summary["queries of team_inbox"] = selector_queries
    summary["queries of the whole page"] = page_queries
    return {"summary": summary, "plans": plans}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs; the median of their p50/p95 counts")
    parser.add_argument("--samples", type=int, default=50, help="calls per run and measurement")
    parser.add_argument("--threads", type=int, default=100_000, help="conversations in the measured team")
    parser.add_argument("--db-name", default="oegd_bench_messaging")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args()

    from harness import fresh_database, machine, write_results

    with fresh_database(args.db_name):
        measured = measure(args.runs, args.samples, args.threads)

    result = {"machine": machine(), "runs": args.runs, "samples": args.samples, **measured}
    lines = ["| team inbox (PostgreSQL) | value |", "|---|---:|"]
    lines += [f"| {name} | {value} |" for name, value in measured["summary"].items()]
    lines += ["", "| query plan (first lines) | plan |", "|---|---|"]
    lines += [f"| {name} | `{plan}` |" for name, plan in measured["plans"].items()]
    table = "\n".join(lines)
    load = os.getloadavg()[0]
    summary = (
        f"median over {args.runs} runs of the p50/p95 of {args.samples} calls each; "
        f"load average {load:.1f} when the run ended (other work on the machine slows every figure alike)"
    )
    write_results(args.output, "messaging", "Messaging benchmark", summary, result, table)


if __name__ == "__main__":
    main()
