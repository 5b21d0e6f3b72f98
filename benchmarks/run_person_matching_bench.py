"""Person matching benchmark: precision, recall and F1 of duplicate detection, and matching throughput.

    make bench-person-matching                                                  # full size
    .venv/bin/python benchmarks/run_person_matching_bench.py --persons 2000 --base 20000   # quick check

Data: the seeded synthetic person set (``oegd.infection.synthetic_persons``): German, Turkish,
Polish, Ukrainian and Arabic-origin names with a skewed frequency, ~25 % duplicates with typos,
umlaut and transliteration variants, swapped names, birth date errors and moved addresses; ground
truth = records of one entity. Loaded with COPY into a fresh PostgreSQL database
``oegd_bench_persons`` (dropped afterwards unless ``--keep-db``).

(a) Online matcher (``match_persons``): the first 80 % of the set are the office's persons, the
other 20 % arrive in batches of 500. A pair (arriving record, stored record) is a true pair when
both are the same entity. Measured separately: sure matches (≥ AUTO_LINK), review candidates
(≥ REVIEW_FROM, < AUTO_LINK or ambiguous), and both together.

(b) Batch deduplication with splink (DuckDB, in memory) over the whole set with the trained model,
at REVIEW_FROM and at AUTO_LINK; all pairs of one entity are the truth.

(c) Throughput of ``match_persons`` on PostgreSQL: an office of ``--base`` persons (another seed),
batches of 500 arriving persons (a quarter of them duplicates of stored ones); persons per second,
ms per person, batch p50/p95 and the queries per batch.

Results: benchmarks/results/person-matching-latest.{json,md}.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

BATCH = 500


def prf(true_positive: int, predicted: int, actual: int) -> dict:
    precision = true_positive / predicted if predicted else 1.0
    recall = true_positive / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "pairs predicted": predicted,
        "true pairs found": true_positive,
        "true pairs": actual,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "F1": round(f1, 4),
    }


def copy_persons(office, records) -> list[int]:  # type: ignore[no-untyped-def]
    """COPY the records into cases_person for the office; returns their pks in order."""
    from django.db import connection

    from oegd.core.names import koelner_phonetik, normalise_name

    now = datetime.now(UTC)
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM cases_person")
        first = cursor.fetchone()[0] + 1
        columns = (
            "id, office_id, given_name, family_name, birth_date, street, postal_code, place, email, phone, sex, "
            "name_key, family_phonetic, given_phonetic, created_at, updated_at"
        )
        with cursor.cursor.copy(f"COPY cases_person ({columns}) FROM STDIN") as copy:
            for offset, record in enumerate(records):
                copy.write_row(
                    (
                        first + offset,
                        office.pk,
                        record.given_name,
                        record.family_name,
                        record.birth_date,
                        record.street,
                        record.postal_code,
                        record.place,
                        "",
                        "",
                        record.sex,
                        f"{normalise_name(record.family_name)}|{normalise_name(record.given_name)}"[:200],
                        koelner_phonetik(record.family_name)[:50],
                        koelner_phonetik(record.given_name)[:50],
                        now,
                        now,
                    )
                )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('cases_person', 'id'), (SELECT max(id) FROM cases_person))"
        )
        cursor.execute("ANALYZE cases_person")
    return list(range(first, first + len(records)))


def online_quality(office, dataset) -> dict:  # type: ignore[no-untyped-def]
    from oegd.infection.matching import match_persons

    records = dataset.records
    split = int(len(records) * 0.8)
    pks = copy_persons(office, records[:split])
    entity_of_pk = {pk: record.entity for pk, record in zip(pks, records[:split], strict=True)}
    stored_per_entity: dict[int, int] = {}
    for record in records[:split]:
        stored_per_entity[record.entity] = stored_per_entity.get(record.entity, 0) + 1
    arriving = records[split:]
    actual = sum(stored_per_entity.get(record.entity, 0) for record in arriving)
    arrivals_with_match = sum(1 for record in arriving if record.entity in stored_per_entity)
    sure = sure_true = review = review_true = candidate_pairs = candidate_pairs_true = 0
    started = time.perf_counter()
    for start in range(0, len(arriving), BATCH):
        batch = arriving[start : start + BATCH]
        outcomes = match_persons(office, [record.as_incoming() for record in batch])
        for record, outcome in zip(batch, outcomes, strict=True):
            if outcome.match is not None:
                sure += 1
                sure_true += entity_of_pk[outcome.match.pk] == record.entity
            elif outcome.candidates:
                review += 1
                right = [entity_of_pk[candidate.pk] == record.entity for candidate, _score in outcome.candidates]
                review_true += any(right)
                candidate_pairs += len(right)
                candidate_pairs_true += sum(right)
    elapsed = time.perf_counter() - started
    return {
        "stored persons": split,
        "arriving persons": len(arriving),
        "arriving persons with a stored duplicate": arrivals_with_match,
        "true (arriving, stored) pairs": actual,
        "sure match (>= AUTO_LINK)": prf(sure_true, sure, arrivals_with_match),
        "review candidates (no sure match)": prf(review_true, review, arrivals_with_match),
        "sure match or review": prf(sure_true + review_true, sure + review, arrivals_with_match),
        "review candidate pairs": {"pairs": candidate_pairs, "true": candidate_pairs_true},
        "seconds": round(elapsed, 2),
    }


def batch_quality(dataset) -> dict:  # type: ignore[no-untyped-def]
    from oegd.infection.matching import AUTO_LINK, REVIEW_FROM, predict_duplicate_pairs, records_of_synthetic

    records = records_of_synthetic(dataset.records)
    truth = dataset.true_pairs()
    started = time.perf_counter()
    pairs = predict_duplicate_pairs(list(enumerate(records)), threshold=REVIEW_FROM)
    elapsed = time.perf_counter() - started
    result = {"persons": len(records), "seconds": round(elapsed, 2)}
    for label, threshold in (("at REVIEW_FROM", REVIEW_FROM), ("at AUTO_LINK", AUTO_LINK)):
        predicted = {(min(a, b), max(a, b)) for a, b, p in pairs if p >= threshold}
        result[f"{label} ({threshold})"] = prf(len(predicted & truth), len(predicted), len(truth))
    sweep = {}
    for threshold in (0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999):
        predicted = {(min(a, b), max(a, b)) for a, b, p in pairs if p >= threshold}
        row = prf(len(predicted & truth), len(predicted), len(truth))
        sweep[str(threshold)] = {key: row[key] for key in ("pairs predicted", "precision", "recall", "F1")}
    result["threshold sweep"] = sweep
    return result


def throughput(office, base: int, seed: int, batches: int) -> dict:  # type: ignore[no-untyped-def]
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from oegd.infection.matching import match_persons
    from oegd.infection.synthetic_persons import synthetic_persons

    dataset = synthetic_persons(base + batches * BATCH, duplicate_share=0.25, seed=seed)
    records = dataset.records
    started = time.perf_counter()
    copy_persons(office, records[:base])
    load_seconds = time.perf_counter() - started
    arriving = [record.as_incoming() for record in records[base:]]
    match_persons(office, arriving[:BATCH])  # warm the caches (weights, page cache)
    timings = []
    queries = []
    linked = 0
    for start in range(0, len(arriving), BATCH):
        batch = arriving[start : start + BATCH]
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            outcomes = match_persons(office, batch)
            timings.append(time.perf_counter() - began)
        queries.append(len(captured))
        linked += sum(1 for outcome in outcomes if outcome.match or outcome.candidates)
    from oegd.infection.matching import candidate_query, records_of_incoming

    sql, params = candidate_query(office, records_of_incoming(arriving[-BATCH:]))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")  # as match_persons runs it
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    total = sum(timings)
    persons = len(arriving)
    ordered = sorted(timings)
    return {
        "stored persons": base,
        "load seconds (COPY)": round(load_seconds, 1),
        "batches": len(timings),
        "batch size": BATCH,
        "persons per second": round(persons / total),
        "ms per person": round(1000 * total / persons, 3),
        "batch p50 (ms)": round(1000 * statistics.median(timings), 1),
        "batch p95 (ms)": round(1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
        "queries per batch (max)": max(queries),
        "arriving persons with a match or candidates": linked,
        "plan": plan,
    }


def render(result: dict) -> str:
    lines = ["## (a) Online matcher (match_persons)", ""]
    online = result["online"]
    lines.append(
        f"{online['stored persons']:,} stored, {online['arriving persons']:,} arriving in batches of {BATCH} "
        f"({online['arriving persons with a stored duplicate']:,} of them with a stored duplicate)."
    )
    lines += [
        "",
        "Counted per arriving person: predicted = it got a sure match (or, without one, review candidates); "
        "right = the match (or one of the candidates) is the same person; actual = arriving persons with a "
        "stored duplicate.",
        "",
        "| | persons predicted | right | actual | precision | recall | F1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for key in ("sure match (>= AUTO_LINK)", "review candidates (no sure match)", "sure match or review"):
        row = online[key]
        lines.append(
            f"| {key} | {row['pairs predicted']:,} | {row['true pairs found']:,} | {row['true pairs']:,} | "
            f"{row['precision']:.3f} | {row['recall']:.3f} | {row['F1']:.3f} |"
        )
    pairs = online["review candidate pairs"]
    lines += [
        "",
        f"Review candidate pairs: {pairs['pairs']:,}, of them the same person: {pairs['true']:,}.",
        "",
        "## (b) Batch deduplication with splink (DuckDB)",
        "",
        f"{result['batch']['persons']:,} persons, {result['batch']['seconds']} s.",
        "",
        "| threshold | pairs predicted | true found | true pairs | precision | recall | F1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, row in result["batch"].items():
        if isinstance(row, dict) and key != "threshold sweep":
            lines.append(
                f"| {key} | {row['pairs predicted']:,} | {row['true pairs found']:,} | {row['true pairs']:,} | "
                f"{row['precision']:.3f} | {row['recall']:.3f} | {row['F1']:.3f} |"
            )
    lines += [
        "",
        "Threshold sweep (splink batch):",
        "",
        "| threshold | pairs | precision | recall | F1 |",
        "|---|---|---|---|---|",
    ]
    for threshold, row in result["batch"]["threshold sweep"].items():
        lines.append(
            f"| {threshold} | {row['pairs predicted']:,} | {row['precision']:.3f} | {row['recall']:.3f} "
            f"| {row['F1']:.3f} |"
        )
    speed = result["throughput"]
    lines += [
        "",
        "## (c) Throughput of match_persons on PostgreSQL",
        "",
        "| stored persons | batches of 500 | persons/s | ms per person | batch p50 (ms) | batch p95 (ms) "
        "| queries per batch |",
        "|---|---|---|---|---|---|---|",
        f"| {speed['stored persons']:,} | {speed['batches']} | {speed['persons per second']:,} | "
        f"{speed['ms per person']} | {speed['batch p50 (ms)']} | {speed['batch p95 (ms)']} | "
        f"{speed['queries per batch (max)']} |",
        "",
        "The blocking query of the last batch, EXPLAIN (ANALYZE, BUFFERS):",
        "",
        f"```text\n{speed['plan']}\n```",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=20_000, help="synthetic set for precision/recall")
    parser.add_argument("--base", type=int, default=200_000, help="stored persons for the throughput run")
    parser.add_argument("--batches", type=int, default=10, help="batches of 500 in the throughput run")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--db-name", default="oegd_bench_persons")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args()

    from harness import fresh_database, machine, write_results

    load_before = os.getloadavg()
    with fresh_database(args.db_name, keep=args.keep_db):
        from django.core.management import call_command

        call_command("migrate", verbosity=0, stdout=io.StringIO())
        from oegd.core.models import Office
        from oegd.infection.matching import AUTO_LINK, REVIEW_FROM
        from oegd.infection.synthetic_persons import synthetic_persons

        quality_office = Office.objects.create(slug="bench-quality", name="Gesundheitsamt Qualität")
        speed_office = Office.objects.create(slug="bench-speed", name="Gesundheitsamt Durchsatz")
        dataset = synthetic_persons(args.persons, duplicate_share=0.25, seed=args.seed)
        print(f"Online matcher on {args.persons:,} synthetic persons ...", flush=True)
        online = online_quality(quality_office, dataset)
        print(online, flush=True)
        print("Batch deduplication with splink ...", flush=True)
        batch = batch_quality(dataset)
        print(batch, flush=True)
        print(f"Throughput against {args.base:,} stored persons ...", flush=True)
        speed = throughput(speed_office, args.base, args.seed + 1, args.batches)
        print({key: value for key, value in speed.items() if key != "plan"}, flush=True)

    result = {
        "machine": machine(),
        "load average before/after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "thresholds": {"AUTO_LINK": AUTO_LINK, "REVIEW_FROM": REVIEW_FROM},
        "synthetic persons": args.persons,
        "seed": args.seed,
        "online": online,
        "batch": batch,
        "throughput": speed,
    }
    summary = (
        f"PostgreSQL on the same machine; thresholds AUTO_LINK {AUTO_LINK}, REVIEW_FROM {REVIEW_FROM}; "
        f"seed {args.seed}; load average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    write_results(args.output, "person-matching", "Person matching benchmark", summary, result, render(result))


if __name__ == "__main__":
    main()
