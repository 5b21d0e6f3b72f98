"""DEMIS ingestion benchmark: synthetic § 7.1 laboratory bundles into PostgreSQL, bundles per second.

    make bench-infection-ingest                                          # 100,000 bundles, ~10 minutes
    .venv/bin/python benchmarks/run_infection_ingest_bench.py --bundles 5000   # a quick check

The bundles (``oegd.infection.synthetic``): profile-conformant § 7.1 laboratory notifications with
German names, 30 % of them further results of a person notified before (40 % of those with a typo
in the name), so that matching, linking to the open case and the review queue are exercised.
Postal codes: five of the measured office, one of a neighbouring platform office (forwarded, § 11),
one unknown to the directory. Fresh database ``oegd_bench_infection`` (dropped afterwards).

Measured in one process (Django + psycopg + PostgreSQL on the same machine):

- bulk path: ``ingest_demis_bundles`` in batches of ``--batch`` over ``--slices`` slices of the
  bundles (e.g. 5 × 20,000); bundles/s per slice, the median reported. Everything is stored as in
  production: parse and check, route, match persons, cases, lab results, events, encrypted raw
  bundle, one audit event per notification.
- HTTP path: ``POST /fhir/$process-notification`` one bundle at a time with an API token through
  Django's test client (``--http`` bundles), the full request cycle without a network.
- baseline in the same run: ``fhir.resources`` (R4B) ``Bundle.model_validate_json`` on a sample of
  the same bundles (``--fhir-sample``, in slices, median): the bare parse-and-validate rate.

Targets: at least 500 bundles/s on 2 cores, and at least 40 % of the bare fhir.resources rate.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

TARGET_RATE = 500
TARGET_SHARE = 0.40
OWN_CODES = ["12340", "12341", "12342", "12343", "12344"]
FORWARD_CODE = "12350"
UNKNOWN_CODE = "99999"


def setup_offices():
    from oegd.core.models import Office
    from oegd.core.services import create_api_client
    from oegd.directory.models import HealthAuthority, ResponsibilityEntry

    own = Office.objects.create(slug="musterstadt", name="Gesundheitsamt Musterstadt", rki_code="9.99.0.01.")
    other = Office.objects.create(slug="beispielkreis", name="Gesundheitsamt Beispielkreis", rki_code="9.99.0.02.")
    for office, codes in ((own, OWN_CODES), (other, [FORWARD_CODE])):
        authority = HealthAuthority.objects.create(code=office.rki_code, name=office.name)
        ResponsibilityEntry.objects.bulk_create(
            ResponsibilityEntry(authority=authority, kind=ResponsibilityEntry.Kind.POSTAL_CODE, value=c, normalized=c)
            for c in codes
        )
    _client, token = create_api_client(actor=None, office=own, name="DEMIS", scopes=["demis"])
    return own, token


def bundles(count: int, seed: int):
    from oegd.infection.synthetic import synthetic_bundles

    codes = OWN_CODES * 3 + [FORWARD_CODE, UNKNOWN_CODE]  # ~88 % own, 6 % forwarded, 6 % unknown
    return synthetic_bundles(count, seed=seed, postal_codes=codes, kinds=("lab",), repeat_share=0.3, typo_share=0.4)


def measure(args: argparse.Namespace) -> dict:
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from fhir.resources.R4B.bundle import Bundle

    from oegd.cases.models import Person
    from oegd.core.audit import SystemActor, verify_chain
    from oegd.infection.ingestion import ingest_demis_bundles
    from oegd.infection.models import Forwarding, InfectionCase, LabResult, Notification, PersonMatch

    call_command("migrate", verbosity=0)
    office, token = setup_offices()
    actor = SystemActor("benchmark")
    source = bundles(args.bundles + args.http, seed=args.seed)
    slice_size = args.bundles // args.slices

    bulk_rates, fhir_rates, refused = [], [], 0
    fhir_per_slice = max(1, args.fhir_sample // args.slices)
    for number in range(args.slices):
        chunk = [next(source) for _ in range(slice_size)]
        started = time.perf_counter()
        for start in range(0, len(chunk), args.batch):
            result = ingest_demis_bundles(
                receiving_office=office, raws=chunk[start : start + args.batch], source="pull", actor=actor
            )
            refused += len(result.refused)
        elapsed = time.perf_counter() - started
        bulk_rates.append(len(chunk) / elapsed)
        sample = chunk[:: max(1, len(chunk) // fhir_per_slice)][:fhir_per_slice]
        started = time.perf_counter()
        for raw in sample:
            Bundle.model_validate_json(raw)
        fhir_rates.append(len(sample) / (time.perf_counter() - started))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(
            f"slice {number + 1}/{args.slices}: bulk {bulk_rates[-1]:.0f}/s, fhir.resources {fhir_rates[-1]:.0f}/s",
            flush=True,
        )

    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ACCEPT_LANGUAGE": "en"}
    http_bundles = [next(source) for _ in range(args.http)]
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    for raw in http_bundles:
        response = client.post("/fhir/$process-notification", data=raw, content_type="application/fhir+json", **headers)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    http_rate = len(http_bundles) / (time.perf_counter() - started)
    started = time.perf_counter()
    for raw in http_bundles[: min(200, len(http_bundles))]:  # repeats: answered 200, nothing stored
        response = client.post("/fhir/$process-notification", data=raw, content_type="application/fhir+json", **headers)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    repeat_rate = min(200, len(http_bundles)) / (time.perf_counter() - started)

    total = slice_size * args.slices + args.http
    counts = {
        "notifications": Notification.objects.count(),
        "persons": Person.objects.count(),
        "infection cases": InfectionCase.objects.count(),
        "lab results": LabResult.objects.count(),
        "linked to an open case (assigned)": Notification.objects.filter(state="assigned").count(),
        "person to review": Notification.objects.filter(state="review").count(),
        "review candidates (PersonMatch)": PersonMatch.objects.count(),
        "forwarded (§ 11)": Forwarding.objects.count(),
        "refused": refused,
    }
    assert counts["notifications"] == total, counts
    chain_ok = verify_chain() is None
    bulk = statistics.median(bulk_rates)
    bare = statistics.median(fhir_rates)
    return {
        "bundles": total,
        "bulk_rates": [round(r, 1) for r in bulk_rates],
        "fhir_rates": [round(r, 1) for r in fhir_rates],
        "bulk_median": round(bulk, 1),
        "fhir_median": round(bare, 1),
        "share_of_fhir": round(bulk / bare, 2),
        "http_rate": round(http_rate, 1),
        "http_repeat_rate": round(repeat_rate, 1),
        "http_statuses": statuses,
        "counts": counts,
        "audit_chain_intact": chain_ok,
        "targets_met": bulk >= TARGET_RATE and bulk / bare >= TARGET_SHARE,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundles", type=int, default=100_000, help="bundles through the bulk path")
    parser.add_argument("--slices", type=int, default=5, help="slices measured separately (median reported)")
    parser.add_argument("--batch", type=int, default=1000, help="bundles per ingest_demis_bundles call")
    parser.add_argument("--http", type=int, default=2000, help="bundles posted one by one to the endpoint")
    parser.add_argument("--fhir-sample", type=int, default=5000, help="bundles validated with fhir.resources")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db-name", default="oegd_bench_infection")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args()

    from harness import fresh_database, machine, write_results

    with fresh_database(args.db_name):
        measured = measure(args)

    result = {"machine": machine(), **vars(args), **measured}
    slice_size = args.bundles // args.slices
    lines = ["| DEMIS ingestion (PostgreSQL) | value | target |", "|---|---:|---:|"]
    lines += [
        f"| bulk path, bundles/s (median of {args.slices} × {slice_size:,}; batches of {args.batch}) "
        f"| {measured['bulk_median']:.0f} | ≥ {TARGET_RATE} |",
        f"| bulk path per slice | {', '.join(f'{r:.0f}' for r in measured['bulk_rates'])} | |",
        f"| fhir.resources R4B `Bundle.model_validate_json`, bundles/s (median, {args.fhir_sample:,} of the same) "
        f"| {measured['fhir_median']:.0f} | |",
        f"| bulk path as share of the bare fhir.resources rate | {measured['share_of_fhir']:.0%} "
        f"| ≥ {TARGET_SHARE:.0%} |",
        f"| HTTP `POST /fhir/$process-notification`, one by one ({args.http:,}), bundles/s "
        f"| {measured['http_rate']:.0f} | |",
        f"| HTTP repeats (200, nothing stored), bundles/s | {measured['http_repeat_rate']:.0f} | |",
        f"| HTTP answers | {', '.join(f'{k}: {v}' for k, v in sorted(measured['http_statuses'].items()))} | |",
    ]
    lines += [f"| {name} | {value:,} | |" for name, value in measured["counts"].items()]
    lines.append(f"| audit chain intact | {'yes' if measured['audit_chain_intact'] else 'NO'} | yes |")
    table = "\n".join(lines)
    load = os.getloadavg()[0]
    summary = (
        f"{measured['bundles']:,} synthetic § 7.1 bundles (30 % follow-ups of known persons); load average "
        f"{load:.1f} when the run ended (other work on the machine slows every figure alike)"
    )
    write_results(args.output, "infection-ingest", "DEMIS ingestion benchmark", summary, result, table)


if __name__ == "__main__":
    main()
