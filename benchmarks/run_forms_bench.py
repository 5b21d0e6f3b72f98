"""Form server benchmark: a 200-item questionnaire rendered and validated, and submissions per second.

    .venv/bin/python benchmarks/run_forms_bench.py            # about a minute
    .venv/bin/python benchmarks/run_forms_bench.py --runs 3   # quicker

Part 1 (in process, no database): load (fhir.resources R4B + our checks), render every page to
HTML, read a posted page back, and validate a complete response of a generated 200-item
Questionnaire. Baseline in the same run: ``json.loads`` of the same Questionnaire.

Part 2 (PostgreSQL, a fresh database ``oegd_bench_forms``): submissions end to end through the
whole Django stack (middleware, token auth, the REST API, validation, routing, case, encrypted
response, audit chain, confirmation e-mail task) with Django's test client, one after another.
Baseline in the same run: ``GET /healthz`` through the same stack.

Figures are medians of several runs; results go to benchmarks/results/forms-latest.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from harness import drop_uploads

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

TYPES = ["string", "integer", "decimal", "boolean", "date", "choice", "text", "quantity", "time", "open-choice"]


def questionnaire_200() -> dict:
    """20 pages of 10 questions each, every type, with constraints and enableWhen conditions."""
    pages = []
    for page in range(20):
        items = []
        for number in range(10):
            link_id = f"p{page}.q{number}"
            item_type = TYPES[number]
            item: dict = {
                "linkId": link_id,
                "type": item_type,
                "text": f"Frage {page}.{number}",
                "required": number < 3,
            }
            item["_text"] = {
                "extension": [
                    {
                        "url": "http://hl7.org/fhir/StructureDefinition/translation",
                        "extension": [
                            {"url": "lang", "valueCode": "en"},
                            {"url": "content", "valueString": f"Question {page}.{number}"},
                        ],
                    }
                ]
            }
            if item_type in ("choice", "open-choice"):
                item["answerOption"] = [
                    {"valueCoding": {"system": "urn:bench", "code": f"c{k}", "display": f"Option {k}"}}
                    for k in range(5)
                ]
            if item_type == "integer":
                item["extension"] = [
                    {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueInteger": 0},
                    {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": 120},
                ]
            if item_type == "string":
                item["maxLength"] = 100
            if item_type == "quantity":
                item["extension"] = [
                    {
                        "url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unitOption",
                        "valueCoding": {"system": "http://unitsofmeasure.org", "code": "kg", "display": "kg"},
                    }
                ]
            if number == 6:  # the text is asked only when the boolean says yes
                item["enableWhen"] = [{"question": f"p{page}.q3", "operator": "=", "answerBoolean": True}]
            items.append(item)
        pages.append({"linkId": f"p{page}", "type": "group", "text": f"Seite {page}", "item": items})
    return {"resourceType": "Questionnaire", "status": "active", "url": "urn:bench:200", "item": pages}


def answer_for(item: dict) -> dict:
    return {
        "string": {"valueString": "Muster"},
        "integer": {"valueInteger": 42},
        "decimal": {"valueDecimal": 1.5},
        "boolean": {"valueBoolean": True},
        "date": {"valueDate": "2020-05-01"},
        "choice": {"valueCoding": {"system": "urn:bench", "code": "c1", "display": "Option 1"}},
        "text": {"valueString": "Ein längerer Text."},
        "quantity": {
            "valueQuantity": {"value": 12.5, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}
        },
        "time": {"valueTime": "14:05:00"},
        "open-choice": {"valueString": "etwas anderes"},
    }[item["type"]]


def response_200(questionnaire: dict) -> dict:
    return {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": [
            {
                "linkId": page["linkId"],
                "item": [{"linkId": item["linkId"], "answer": [answer_for(item)]} for item in page["item"]],
            }
            for page in questionnaire["item"]
        ],
    }


def timed(function, repeat: int) -> float:
    """Median milliseconds of ``repeat`` calls."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def part_engine(runs: int) -> dict:
    from django.http import QueryDict

    from oegd.forms.questionnaire import load_questionnaire
    from oegd.forms.rendering import answers_from_post, pages_of, render_page
    from oegd.forms.tests.filling import post_data
    from oegd.forms.validation import validate_response

    questionnaire = questionnaire_200()
    text = json.dumps(questionnaire)
    response = response_200(questionnaire)
    definition = load_questionnaire(questionnaire)
    pages = pages_of(definition)
    assert sum(1 for item in definition.walk() if item.is_question) == 200
    assert validate_response(definition, response) == [], "the generated response must be valid"
    items = response["item"]
    post = QueryDict(mutable=True)
    for name, value in post_data(definition, pages[0], items).items():
        post.setlist(name, value if isinstance(value, list) else [value])
    read_back, problems = answers_from_post(definition=definition, page=pages[0], data=post)
    assert problems == [] and len(read_back[0]["item"]) == 10, "the posted page must read back whole"

    def render_all() -> None:
        for page in pages:
            render_page(definition=definition, page=page, items=items, issues=[], language="de")

    figures = {
        "baseline json.loads (ms)": timed(lambda: json.loads(text), runs * 20),
        "load_questionnaire (ms)": timed(lambda: load_questionnaire(text), runs * 4),
        "render all 20 pages (ms)": timed(render_all, runs * 2),
        "render one page (ms)": timed(
            lambda: render_page(definition=definition, page=pages[0], items=items, issues=[], language="de"), runs * 10
        ),
        "read one posted page (ms)": timed(
            lambda: answers_from_post(definition=definition, page=pages[0], data=post), runs * 10
        ),
        "validate_response, 200 answers (ms)": timed(lambda: validate_response(definition, response), runs * 10),
    }
    baseline = figures["baseline json.loads (ms)"]
    return {name: {"ms": round(value, 3), "vs baseline": round(value / baseline, 1)} for name, value in figures.items()}


def part_submissions(runs: int, per_run: int) -> dict:
    from django.core.management import call_command
    from django.test import Client

    from oegd.demo.data import load_demo

    call_command("migrate", verbosity=0)
    tokens = load_demo()
    example = json.loads(
        (ROOT / "src/oegd/demo/questionnaires/examples/ifsg34-notification.response.json").read_text(encoding="utf-8")
    )
    drop_uploads(example["item"])
    client = Client()
    headers = {"Authorization": f"Bearer {tokens.school}"}
    url = "/api/v1/forms/services/ifsg34-notification/submissions"
    counter = iter(range(10**9))

    def submit() -> None:
        response = client.post(
            url,
            {"response": example},
            content_type="application/json",
            headers={**headers, "Idempotency-Key": f"bench-{next(counter)}"},
        )
        assert response.status_code == 201, response.content[:500]

    def health() -> None:
        assert client.get("/healthz").status_code == 200

    submit()  # warm-up: caches, connections
    rates, health_rates = [], []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(per_run):
            submit()
        rates.append(per_run / (time.perf_counter() - start))
        start = time.perf_counter()
        for _ in range(per_run):
            health()
        health_rates.append(per_run / (time.perf_counter() - start))
    rate, baseline = statistics.median(rates), statistics.median(health_rates)
    return {
        "submissions per second (one client)": round(rate, 1),
        "ms per submission": round(1000 / rate, 2),
        "baseline GET /healthz per second": round(baseline, 1),
        "submission vs /healthz": round(rate / baseline, 3),
        "runs": [round(r, 1) for r in rates],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--submissions", type=int, default=100, help="submissions per run")
    parser.add_argument("--db-name", default="oegd_bench_forms")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args()

    from harness import fresh_database, machine, write_results

    with fresh_database(args.db_name):
        engine = part_engine(args.runs)
        submissions = part_submissions(args.runs, args.submissions)

    result = {
        "machine": machine(),
        "runs": args.runs,
        "engine_200_items": engine,
        "submissions_postgresql": submissions,
    }
    lines = ["| 200-item questionnaire | median ms | vs json.loads |", "|---|---:|---:|"]
    lines += [f"| {name} | {value['ms']} | {value['vs baseline']} |" for name, value in engine.items()]
    lines += ["", "| submissions end to end (PostgreSQL) | value |", "|---|---:|"]
    lines += [f"| {name} | {value} |" for name, value in submissions.items() if name != "runs"]
    table = "\n".join(lines)
    write_results(args.output, "forms", "Form server benchmark", f"median of {args.runs} runs", result, table)


if __name__ == "__main__":
    main()
