"""Appointments benchmark: free slots of 50 appointment types over 90 days, 40 staff members.

    .venv/bin/python benchmarks/run_appointments_bench.py            # about a minute
    .venv/bin/python benchmarks/run_appointments_bench.py --runs 1   # quicker

Part 1 (PostgreSQL, a fresh database ``oegd_bench_appointments``): one office with one location
(Europe/Berlin, holidays of DE-BE), 40 staff members working Mon-Fri 08:00-12:00 and 13:00-16:00
with qualifications spread over 5 kinds, 4 rooms, 50 appointment types (15-60 minutes, some with
buffers, some requiring a qualification or a room, a few group types) and existing claims that
occupy about 30 % of the working time. Measured: ``find_free_slots`` of each type over 90 days
(the whole calculation: its queries plus the Python part); p50 and p95 over the 50 types of the
median of ``--runs`` calls each. Baseline in the same run: one simple indexed query (the claims of
one resource on one day, counted).

Part 2 (same database): bookings per second under contention: 8 threads book at once, half of
the attempts aim at the ten most wanted starts; the run checks that no two active claims of one
resource overlap afterwards.

Results go to benchmarks/results/appointments-latest.{json,md}.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

STAFF = 40
ROOMS = 4
TYPES = 50
DAYS = 90
OCCUPANCY = 0.30
QUALIFICATIONS = ["physician", "vaccination", "sti-testing", "school-entry", "counselling"]
PLAN = [(clock(8), clock(12)), (clock(13), clock(16))]
# A Monday; "now" of every measurement, so the run does not depend on the day it is made.
NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)


def generate(seed: int = 43) -> dict:
    """The office, its people, plans, types and the claims (~30 % of working time taken)."""
    from zoneinfo import ZoneInfo

    from oegd.appointments.models import (
        Appointment,
        AppointmentType,
        Location,
        Resource,
        ResourceClaim,
        WorkingPlan,
    )
    from oegd.core.models import Office

    rng = random.Random(seed)
    office = Office.objects.create(slug="bench", name="Gesundheitsamt Benchmark")
    location = Location.objects.create(
        office=office, name="Hauptstelle", holiday_country="DE", holiday_subdivision="BE"
    )
    tz = ZoneInfo(location.time_zone)
    staff = []
    for number in range(STAFF):
        # Everyone has one or two kinds; each kind is held by 8 to 16 people.
        kinds = {QUALIFICATIONS[number % 5]} | ({QUALIFICATIONS[(number * 3) % 5]} if number % 2 else set())
        staff.append(
            Resource.objects.create(
                office=office,
                location=location,
                kind=Resource.Kind.STAFF,
                name=f"Mitarbeiter {number}",
                qualifications=sorted(kinds),
            )
        )
    rooms = [
        Resource.objects.create(office=office, location=location, kind=Resource.Kind.ROOM, name=f"Raum {n}")
        for n in range(ROOMS)
    ]
    WorkingPlan.objects.bulk_create(
        WorkingPlan(resource=person, weekday=weekday, start=start, end=end)
        for person in staff + rooms
        for weekday in range(5)
        for start, end in PLAN
    )

    types = []
    for number in range(TYPES):
        group = number % 12 == 11  # 4 group types
        types.append(
            AppointmentType(
                office=office,
                location=location,
                slug=f"type-{number}",
                texts={"de": {"name": f"Terminart {number}"}},
                duration_minutes=60 if group else (15, 20, 30, 45, 60)[number % 5],
                buffer_before_minutes=(0, 0, 5, 10)[number % 4],
                buffer_after_minutes=(0, 5, 0, 10, 15)[number % 5],
                slot_step_minutes=(15, 15, 30, 10)[number % 4],
                min_notice_minutes=120,
                horizon_days=DAYS + 10,
                capacity=rng.randint(10, 20) if group else 1,
                required_qualification=QUALIFICATIONS[number % 5] if number % 3 else "",
                needs_room=number % 7 == 0,
            )
        )
    AppointmentType.objects.bulk_create(types)
    types = list(AppointmentType.objects.select_related("location").filter(office=office).order_by("id"))

    # Claims: every working half hour of every staff member is taken with probability 0.3 (plus rooms).
    filler = types[0]
    appointments, spans = [], []
    day = NOW.astimezone(tz).date()
    for _ in range(DAYS + 1):
        if day.weekday() < 5:
            for person in staff + rooms:
                for start, end in PLAN:
                    moment = datetime.combine(day, start, tzinfo=tz)
                    while moment.time() < end:
                        if rng.random() < OCCUPANCY:
                            until = moment + timedelta(minutes=30)
                            appointments.append(
                                Appointment(
                                    office=office,
                                    appointment_type=filler,
                                    start=moment,
                                    end=until,
                                    name="Erika Muster",
                                    email="erika@example.org",
                                    language="de",
                                    manage_token_hash="0" * 64,
                                )
                            )
                            spans.append((person, moment, until))
                        moment += timedelta(minutes=30)
        day += timedelta(days=1)
    appointments = Appointment.objects.bulk_create(appointments, batch_size=2000)
    ResourceClaim.objects.bulk_create(
        (
            ResourceClaim(resource=person, appointment=appointment, start=start, end=end)
            for appointment, (person, start, end) in zip(appointments, spans, strict=True)
        ),
        batch_size=2000,
    )
    return {"types": types, "staff": staff, "claims": len(spans), "tz": tz}


def timed(function, repeat: int) -> tuple[float, object]:
    """Median milliseconds of ``repeat`` calls, and the last result."""
    samples, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), result


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def part_slots(runs: int) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from oegd.appointments.availability import find_free_slots
    from oegd.appointments.models import ResourceClaim

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    data = generate()
    generation_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    start, end = NOW, NOW + timedelta(days=DAYS)

    # Baseline: one simple indexed query, the claims of one resource on one day.
    person = data["staff"][0]
    day_start = datetime.combine(date(2026, 6, 2), clock(0), tzinfo=data["tz"])

    def baseline() -> int:
        return ResourceClaim.objects.filter(
            resource=person, start__gte=day_start, start__lt=day_start + timedelta(days=1)
        ).count()

    baseline()  # warm-up
    baseline_ms, _ = timed(baseline, runs * 20)

    find_free_slots(appointment_type=data["types"][0], start=start, end=end, now=NOW)  # warm-up
    per_type, counts, queries = [], [], []
    executed: list[str] = []

    def count_query(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    for kind in data["types"]:
        milliseconds, slots = timed(
            lambda kind=kind: find_free_slots(appointment_type=kind, start=start, end=end, now=NOW), runs
        )
        executed.clear()
        with connection.execute_wrapper(count_query):
            find_free_slots(appointment_type=kind, start=start, end=end, now=NOW)
        per_type.append(milliseconds)
        counts.append(len(slots))
        queries.append(len(executed))
    p50, p95 = percentile(per_type, 0.5), percentile(per_type, 0.95)
    return {
        "staff": STAFF,
        "rooms": ROOMS,
        "types": TYPES,
        "days": DAYS,
        "claims": data["claims"],
        "generation (s)": round(generation_s, 1),
        "baseline: count claims of one resource on one day (ms)": round(baseline_ms, 3),
        "find_free_slots over 90 days, p50 of 50 types (ms)": round(p50, 1),
        "find_free_slots over 90 days, p95 of 50 types (ms)": round(p95, 1),
        "find_free_slots max (ms)": round(max(per_type), 1),
        "p50 vs baseline": round(p50 / baseline_ms, 1),
        "slots per type, median": statistics.median(counts),
        "queries per call, max": max(queries),
        "per type (ms)": [round(value, 1) for value in per_type],
    }


@dataclass
class Round:
    """What the booking threads of one round share."""

    number: int
    go: Any
    wanted: list
    starts: list
    lock: Any
    counts: dict
    attempts: int


def book_in_round(round_: Round, thread: int) -> None:
    """One thread of a round: book as fast as possible, count the outcomes."""
    from django.db import connections

    from oegd.appointments import services

    rng = random.Random(round_.number * 100 + thread)
    round_.go.wait()
    try:
        for attempt in range(round_.attempts):
            kind, start = rng.choice(round_.wanted) if rng.random() < 0.5 else rng.choice(round_.starts)
            try:
                services.book_appointment(
                    actor=None,
                    appointment_type=kind,
                    start=start,
                    name="Bench",
                    email=f"r{round_.number}-t{thread}-a{attempt}@example.org",
                    language="de",
                )
                outcome = "booked"
            except services.BookingRefused as refused:
                outcome = "taken" if refused.code == "taken" else "other"
            with round_.lock:
                round_.counts[outcome] += 1
    finally:
        connections.close_all()


def part_bookings(runs: int, threads: int = 8, attempts_per_thread: int = 40) -> dict:
    """Bookings per second under contention: ``threads`` threads (each with its own connection)
    book, half of the time one of the ten most wanted starts, otherwise any free start of five
    types in the first week. Afterwards no two active claims of one resource may overlap."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import time_machine
    from django.db import connection

    from oegd.appointments.availability import find_free_slots
    from oegd.appointments.models import AppointmentType

    kinds = list(AppointmentType.objects.filter(capacity=1).select_related("location").order_by("pk")[:5])
    rounds = []
    with time_machine.travel(NOW, tick=True):
        for round_number in range(runs):
            starts = [
                (kind, slot.start)
                for kind in kinds
                for slot in find_free_slots(appointment_type=kind, start=NOW, end=NOW + timedelta(days=7))
            ]
            wanted = starts[:10]
            counts = {"booked": 0, "taken": 0, "other": 0}
            lock = threading.Lock()
            go = threading.Event()

            with ThreadPoolExecutor(max_workers=threads) as pool:
                round_ = Round(round_number, go, wanted, starts, lock, counts, attempts_per_thread)
                futures = [pool.submit(book_in_round, round_, number) for number in range(threads)]
                began = time.perf_counter()
                go.set()
                for future in futures:
                    future.result()
                elapsed = time.perf_counter() - began
            rounds.append({**counts, "seconds": elapsed})
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM appointments_resourceclaim a JOIN appointments_resourceclaim b
               ON a.resource_id = b.resource_id AND a.id < b.id AND a.active AND b.active
               AND tstzrange(a.start, a."end", '[)') && tstzrange(b.start, b."end", '[)')"""
        )
        overlaps = cursor.fetchone()[0]
    assert overlaps == 0, f"{overlaps} overlapping claims"
    attempts = threads * attempts_per_thread
    return {
        "threads": threads,
        "attempts per run": attempts,
        "attempts per second (median)": round(statistics.median(attempts / r["seconds"] for r in rounds), 1),
        "bookings per second (median)": round(statistics.median(r["booked"] / r["seconds"] for r in rounds), 1),
        "refused as taken (median share)": round(statistics.median(r["taken"] / attempts for r in rounds), 2),
        "other refusals (total)": sum(r["other"] for r in rounds),
        "overlapping claims afterwards": overlaps,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="calls per type; the median counts")
    parser.add_argument("--db-name", default="oegd_bench_appointments")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args()

    from harness import fresh_database, machine, write_results

    with fresh_database(args.db_name):
        slots = part_slots(args.runs)
        bookings = part_bookings(args.runs)

    result = {
        "machine": machine(),
        "runs": args.runs,
        "now": NOW.isoformat(),
        "free_slots_postgresql": slots,
        "bookings_postgresql": bookings,
    }
    lines = ["| free slots (PostgreSQL) | value |", "|---|---:|"]
    lines += [f"| {name} | {value} |" for name, value in slots.items() if name != "per type (ms)"]
    if bookings:
        lines += ["", "| bookings under contention (PostgreSQL) | value |", "|---|---:|"]
        lines += [f"| {name} | {value} |" for name, value in bookings.items()]
    table = "\n".join(lines)
    summary = f"median of {args.runs} calls per type"
    write_results(args.output, "appointments", "Appointments benchmark", summary, result, table)


if __name__ == "__main__":
    main()
