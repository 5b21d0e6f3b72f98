#!/usr/bin/env python
"""HTTP load benchmark against the production server setup (gunicorn + PostgreSQL).

A reproducible run, from nothing to a results table:

1. create a fresh PostgreSQL database (``oegd_bench``), ``migrate``, ``load_demo``, ``collectstatic``;
2. start gunicorn with production settings (random keys generated for this run);
3. load every endpoint in ``ENDPOINTS`` with wrk: a warm-up, then N rounds of fixed duration,
   each round measuring every endpoint once, /healthz included, so the ratio to the ceiling is
   taken from numbers measured side by side;
4. print a Markdown table and write ``benchmarks/results/http-latest.{json,md}``;
5. stop gunicorn and drop the database, also on Ctrl+C or error.

Run it with ``make bench`` or ``.venv/bin/python benchmarks/run_http_bench.py [--quick]``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import drop_uploads

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "benchmarks"
RESULTS_DIR = BENCH_DIR / "results"
LUA_SCRIPT = BENCH_DIR / "wrk_report.lua"
SUBMIT_SCRIPT = BENCH_DIR / "wrk_submit.lua"
SUBMIT_PATH = "/fhir/QuestionnaireResponse"
SUBMIT_EXAMPLE = ROOT / "src/oegd/demo/questionnaires/examples/ifsg34-notification.response.json"
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
GUNICORN = VENV_BIN / "gunicorn"

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"

# The postal code asked for in the responsibility API; 12345 is shared by both demo offices.
DEMO_POSTAL_CODE = "12345"

# Headers wrk sends with every request: the start page is rendered in German.
REQUEST_HEADERS = {"Accept-Language": "de"}


@dataclass(frozen=True)
class Endpoint:
    """One URL under load. ``{postal_code}`` in the path is filled in from the demo data.

    When the path does not answer 200 (not built yet), the ``fallbacks`` are measured instead.
    """

    label: str
    path: str
    fallbacks: tuple[tuple[str, str], ...] = ()


# What is measured, in this order. Edit here to change the endpoint set.
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("Start page (template, German)", "/"),
    Endpoint(
        "Responsibility API",
        "/api/v1/directory/responsibility?postal_code={postal_code}",
        fallbacks=(
            ("FHIR CapabilityStatement", "/fhir/metadata"),
            ("OpenAPI schema", "/api/v1/openapi.json"),
        ),
    ),
    Endpoint("Health check (ceiling)", "/healthz"),
)
# The ceiling: a bare view through the same middleware stack; other endpoints are compared to it.
BASELINE_PATH = "/healthz"


@dataclass
class Target:
    label: str
    path: str
    runs: list[dict[str, Any]] = field(default_factory=list)
    warmup: dict[str, Any] | None = None
    # A POST target: its wrk script and the environment the script reads.
    script: Path | None = None
    script_env: dict[str, str] = field(default_factory=dict)


class BenchError(RuntimeError):
    """A step failed; the message says which and why."""


_STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[bench {time.monotonic() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


# --- options -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="measured rounds per endpoint (default 5)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured wrk run (default 10)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per endpoint (default 3)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk open connections (default 16)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument("--worker-threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    parser.add_argument("--quick", action="store_true", help="3 s x 3 runs, 1 s warm-up: a smoke test")
    parser.add_argument("--db-name", default="oegd_bench", help="database created and dropped (default oegd_bench)")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR, help="directory for http-latest.{json,md}")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.duration, args.warmup = 3, 3, 1
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.db_name):
        parser.error("--db-name: lower-case letters, digits and underscores only")
    if min(args.runs, args.duration, args.threads, args.connections, args.workers, args.worker_threads) < 1:
        parser.error("counts and durations must be at least 1")
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads (wrk needs one connection per thread)")
    return args


# --- environment and tools -----------------------------------------------------------------------


def production_env(db_name: str) -> dict[str, str]:
    """The environment of a production process, with keys generated for this run only."""
    data_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    env = dict(os.environ)
    for name in ("OEGD_TESTING", "DATABASE_URL_TEST", "SESSION_ENGINE", "TASK_BACKEND"):
        env.pop(name, None)
    env.update(
        {
            "OEGD_MODE": "production",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "OEGD_DATA_KEYS": f"k1:{data_key}",
            "OEGD_PSEUDONYM_KEY": secrets.token_urlsafe(32),
            "DATABASE_URL": f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{db_name}",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "BEHIND_TLS_PROXY": "0",
            "PYTHONPATH": "src",
            "DJANGO_SETTINGS_MODULE": "oegd.settings",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    if os.geteuid() != 0:
        raise BenchError("wrk is not installed; install it with `apt-get install -y wrk` (needs root).")
    log("wrk is missing; installing it with apt-get")
    apt_env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "-qq", "wrk"]
    if subprocess.run(install, env=apt_env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=apt_env, check=False, capture_output=True)
        result = subprocess.run(install, env=apt_env, capture_output=True, text=True)
        if result.returncode != 0:
            raise BenchError(f"apt-get install wrk failed:\n{result.stderr[-2000:]}")
    path = shutil.which("wrk")
    if not path:
        raise BenchError("wrk still not found after apt-get install")
    return path


def refusal_reason(text: str) -> str:
    """The ImproperlyConfigured message of a refusing production configuration, as a first line."""
    reasons = re.findall(r"ImproperlyConfigured: (.+)", text)
    return f"Reason: {reasons[-1]}\n" if reasons else ""


def manage(args: list[str], env: dict[str, str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if check and result.returncode != 0:
        output = result.stdout + result.stderr
        raise BenchError(
            f"manage.py {' '.join(args)} failed (exit {result.returncode}):\n{refusal_reason(output)}{output[-4000:]}"
        )
    return result


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- database ------------------------------------------------------------------------------------


def admin_connection():
    import psycopg

    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True)


def recreate_database(name: str) -> str:
    import psycopg
    from psycopg import sql

    try:
        with admin_connection() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.Error as exc:
        raise BenchError(f"PostgreSQL at {PG_HOST}:{PG_PORT} (user {PG_USER}): {exc}") from exc


def drop_database(name: str) -> None:
    from psycopg import sql

    with admin_connection() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def demo_postal_code(db_name: str) -> str:
    """DEMO_POSTAL_CODE if the demo data has it, else any postal code the directory knows."""
    import psycopg

    try:
        with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=db_name) as conn:
            rows = conn.execute(
                "SELECT value FROM directory_responsibilityentry WHERE kind = 'postal_code' ORDER BY id"
            ).fetchall()
    except psycopg.Error:
        return DEMO_POSTAL_CODE
    values = [row[0] for row in rows]
    if not values or DEMO_POSTAL_CODE in values:
        return DEMO_POSTAL_CODE
    return values[0]


def prepare_database(args: argparse.Namespace, env: dict[str, str], notes: list[str]) -> tuple[str, str]:
    """Create and fill the database; returns the PostgreSQL version and the demo school's token."""
    log(f"creating database {args.db_name}")
    pg_version = recreate_database(args.db_name)
    demo_output = ""
    log("migrate")
    manage(["migrate", "--noinput", "-v", "0"], env)

    if manage(["help", "load_demo"], env, check=False).returncode == 0:
        log("load_demo")
        result = manage(["load_demo"], env, check=False)
        if result.returncode != 0 and "production mode" in (result.stdout + result.stderr):
            # The demo loader refuses production mode on purpose; load the same data into the
            # same database (same data keys) from a development-mode process instead.
            result = manage(["load_demo"], dict(env, OEGD_MODE="development"))
            notes.append("load_demo refuses production mode; it was run with OEGD_MODE=development (same DB, keys).")
        elif result.returncode != 0:
            raise BenchError(f"manage.py load_demo failed:\n{(result.stdout + result.stderr)[-4000:]}")
        demo_output = result.stdout
    else:
        log("load_demo is not available; creating one Office instead")
        manage(
            [
                "shell",
                "-c",
                "from oegd.core.models import Office; "
                "Office.objects.get_or_create(slug='musterstadt', defaults={'name': 'Gesundheitsamt Musterstadt', "
                f"'postal_code': '{DEMO_POSTAL_CODE}', 'place': 'Musterstadt'}})",
            ],
            env,
        )
        notes.append("manage.py load_demo was not available: the database holds one Office only.")

    log("collectstatic")
    manage(["collectstatic", "--noinput", "-v", "0"], env)
    token = re.search(r"API token of the school[^:]*: (\S+)", demo_output)
    return pg_version, token.group(1) if token else ""


# --- gunicorn ------------------------------------------------------------------------------------


class Server:
    def __init__(self, args: argparse.Namespace, env: dict[str, str], workdir: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "gunicorn.log"
        self.command = [
            str(GUNICORN),
            "oegd.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.worker_threads),
            "--worker-tmp-dir",
            "/dev/shm" if Path("/dev/shm").is_dir() else tempfile.gettempdir(),
            "--graceful-timeout",
            "10",
        ]
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log(f"starting gunicorn on {self.base_url}")
        with open(self.log_path, "wb") as out:
            # Own session: a Ctrl+C in the terminal reaches this script, which then stops gunicorn cleanly.
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited with code {self.process.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                status, _, _ = http_get(self.base_url + BASELINE_PATH, timeout=2)
                if status == 200:
                    return
            time.sleep(0.3)
        raise BenchError(f"gunicorn did not answer {BASELINE_PATH} within 60 s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return refusal_reason(text) + text[-chars:]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        log("stopping gunicorn")
        self.process.send_signal(signal.SIGTERM)  # graceful shutdown of the master and its workers
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


def http_get(url: str, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=REQUEST_HEADERS)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


# --- endpoints and wrk ---------------------------------------------------------------------------


def resolve_targets(base_url: str, postal_code: str, notes: list[str]) -> list[Target]:
    """The endpoints to measure: every path must answer 200 once before it is put under load."""
    targets: list[Target] = []
    for endpoint in ENDPOINTS:
        path = endpoint.path.format(postal_code=postal_code)
        status, _, _ = http_get(base_url + path)
        if status == 200:
            targets.append(Target(endpoint.label, path))
            continue
        if not endpoint.fallbacks:
            raise BenchError(f"{path} answers {status}, expected 200")
        notes.append(f"{path} answers {status}; measured instead: " + ", ".join(p for _, p in endpoint.fallbacks))
        for label, fallback in endpoint.fallbacks:
            fallback_status, _, _ = http_get(base_url + fallback)
            if fallback_status != 200:
                raise BenchError(f"fallback {fallback} answers {fallback_status}, expected 200")
            targets.append(Target(label, fallback))
    if not any(target.path == BASELINE_PATH for target in targets):
        targets.append(Target("Health check (ceiling)", BASELINE_PATH))
    return targets


def submission_target(base_url: str, token: str, workdir: Path, notes: list[str]) -> Target | None:
    """The §34 notification POSTed by the demo school, each time as a new submission."""
    if not token:
        notes.append("No demo school token: the form submission was not measured.")
        return None
    example = json.loads(SUBMIT_EXAMPLE.read_text(encoding="utf-8"))
    drop_uploads(example["item"])  # the example points at an upload; the benchmark sends no file
    body = workdir / "submission.json"
    body.write_text(json.dumps(example), encoding="utf-8")
    request = urllib.request.Request(
        base_url + SUBMIT_PATH,
        data=body.read_bytes(),
        method="POST",
        headers={
            "Content-Type": "application/fhir+json",
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": "probe",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    if status != 201:
        raise BenchError(f"POST {SUBMIT_PATH} answers {status}, expected 201")
    return Target(
        "Form submission (FHIR QuestionnaireResponse, §34)",
        SUBMIT_PATH,
        script=SUBMIT_SCRIPT,
        script_env={"OEGD_BENCH_BODY": str(body), "OEGD_BENCH_TOKEN": token, "OEGD_BENCH_REPORT": str(LUA_SCRIPT)},
    )


def check_start_page(base_url: str, notes: list[str]) -> dict[str, Any]:
    status, headers, body = http_get(base_url + "/")
    html = body.decode("utf-8", errors="replace")
    lang = re.search(r"<html[^>]*\blang=\"([^\"]+)\"", html)
    info = {
        "status": status,
        "bytes": len(body),
        "content_language": headers.get("Content-Language", ""),
        "html_lang": lang.group(1) if lang else "",
        "german_catalogue_compiled": (ROOT / "src/oegd/locale/de/LC_MESSAGES/django.mo").is_file(),
    }
    if not info["german_catalogue_compiled"]:
        notes.append(
            "src/oegd/locale/de/LC_MESSAGES/django.mo is missing: the start page ran with lang=de but without "
            "compiled German translations (run `make compilemessages` first)."
        )
    return info


def run_wrk(wrk: str, url: str, args: argparse.Namespace, seconds: int, target: Target | None = None) -> dict[str, Any]:
    command = [
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(target.script if target is not None and target.script else LUA_SCRIPT),
    ]
    for name, value in REQUEST_HEADERS.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    script_env = dict(os.environ, **(target.script_env if target is not None else {}))
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=script_env)
    match = re.search(r"^WRK_RESULT (\{.*\})$", result.stdout, re.MULTILINE)
    if result.returncode != 0 or not match:
        raise BenchError(f"wrk failed for {url} (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
    data = json.loads(match.group(1))
    data["errors"] = sum(data[key] for key in data if key.startswith("errors_"))
    return data


def measure(wrk: str, base_url: str, targets: list[Target], args: argparse.Namespace) -> None:
    total = len(targets) * (args.warmup + args.runs * args.duration)
    log(f"load: {len(targets)} endpoints, warm-up {args.warmup} s, {args.runs} x {args.duration} s (~{total} s)")
    for target in targets:
        if args.warmup:
            target.warmup = run_wrk(wrk, base_url + target.path, args, args.warmup, target)
    for round_no in range(1, args.runs + 1):
        for target in targets:
            data = run_wrk(wrk, base_url + target.path, args, args.duration, target)
            target.runs.append(data)
            log(
                f"round {round_no}/{args.runs} {target.path}: {data['rps']:.0f} req/s, "
                f"p50 {data['p50_us'] / 1000:.2f} ms, p95 {data['p95_us'] / 1000:.2f} ms"
            )


# --- report --------------------------------------------------------------------------------------


def summarise(targets: list[Target], notes: list[str]) -> list[dict[str, Any]]:
    baseline = next(target for target in targets if target.path == BASELINE_PATH)
    rows = []
    for target in targets:
        # Ratio per round against /healthz of the same round, then the median of those ratios.
        ratios = [run["rps"] / base["rps"] for run, base in zip(target.runs, baseline.runs, strict=True)]
        rows.append(
            {
                "label": target.label,
                "path": target.path,
                "rps": statistics.median(run["rps"] for run in target.runs),
                "p50_ms": statistics.median(run["p50_us"] for run in target.runs) / 1000,
                "p95_ms": statistics.median(run["p95_us"] for run in target.runs) / 1000,
                "p99_ms": statistics.median(run["p99_us"] for run in target.runs) / 1000,
                "ratio_vs_healthz": statistics.median(ratios),
                "rps_min": min(run["rps"] for run in target.runs),
                "rps_max": max(run["rps"] for run in target.runs),
                "requests": sum(run["requests"] for run in target.runs),
                "errors": sum(run["errors"] for run in target.runs),
                "runs": target.runs,
                "warmup": target.warmup,
            }
        )
    for row in rows:
        if row["rps_min"] > 0 and row["rps_max"] / row["rps_min"] > 1.5:
            notes.append(
                f"{row['path']}: req/s varied from {row['rps_min']:.0f} to {row['rps_max']:.0f} across runs "
                "(more than 1.5x); the machine was probably not quiet."
            )
    return rows


def machine_info(pg_version: str, wrk: str, started: datetime) -> dict[str, Any]:
    import django

    cpu_model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    versions = {}
    for name, command in (("gunicorn", [str(GUNICORN), "--version"]), ("wrk", [wrk, "--version"])):
        output = subprocess.run(command, capture_output=True, text=True, check=False)
        text = (output.stdout + output.stderr).strip()
        versions[name] = text.splitlines()[0].split(" Copyright")[0].strip() if text else ""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "date_utc": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": cpu_model or platform.processor(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": pg_version,
        "gunicorn": versions["gunicorn"],
        "wrk": versions["wrk"],
        "git_commit": commit,
        "loadavg_before": None,
        "loadavg_after": None,
    }


def render_markdown(report: dict[str, Any]) -> str:
    machine, config = report["machine"], report["config"]
    lines = [
        f"# HTTP benchmark ({machine['date_utc']})",
        "",
        f"gunicorn {config['workers']} workers x {config['worker_threads']} threads, production settings, "
        f"PostgreSQL {machine['postgresql']}; wrk {config['wrk_threads']} threads, {config['connections']} "
        f"connections, {config['runs']} runs x {config['duration_s']} s after {config['warmup_s']} s warm-up. "
        "Medians over runs; ratio = req/s / req/s of /healthz in the same round.",
        "",
        "| Endpoint | Path | req/s | p50 ms | p95 ms | p99 ms | vs /healthz | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in report["results"]:
        lines.append(
            f"| {row['label']} | `{row['path']}` | {row['rps']:.0f} | {row['p50_ms']:.2f} | {row['p95_ms']:.2f} "
            f"| {row['p99_ms']:.2f} | {row['ratio_vs_healthz']:.2f} | {row['errors']} |"
        )
    lines += [
        "",
        f"Machine: {machine['nproc']} CPUs ({machine['cpu_model']}), Python {machine['python']}, "
        f"Django {machine['django']}, PostgreSQL {machine['postgresql']}, {machine['gunicorn']}, {machine['wrk']}, "
        f"commit {machine['git_commit'] or '?'}, load average before/after {machine['loadavg_before']} / "
        f"{machine['loadavg_after']}.",
    ]
    if report["notes"]:
        lines += ["", "Notes:", ""] + [f"- {note}" for note in report["notes"]]
    return "\n".join(lines) + "\n"


def write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


# --- main ----------------------------------------------------------------------------------------


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.now(UTC)
    # Ctrl+C and SIGTERM end the run through `finally` (also when started with SIGINT ignored, e.g. `cmd &`).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)
    os.chdir(ROOT)
    notes: list[str] = []
    env = production_env(args.db_name)
    server: Server | None = None
    db_created = False
    workdir = Path(tempfile.mkdtemp(prefix="oegd-bench-"))
    try:
        wrk = ensure_wrk()
        loadavg_before = os.getloadavg()
        db_created = True  # from here on the database may exist and is dropped in `finally`
        pg_version, school_token = prepare_database(args, env, notes)
        postal_code = demo_postal_code(args.db_name)

        server = Server(args, env, workdir)
        server.start()
        start_page = check_start_page(server.base_url, notes)
        targets = resolve_targets(server.base_url, postal_code, notes)
        submission = submission_target(server.base_url, school_token, workdir, notes)
        if submission is not None:
            targets.insert(-1, submission)
        measure(wrk, server.base_url, targets, args)

        machine = machine_info(pg_version, wrk, started)
        machine["loadavg_before"] = [round(value, 2) for value in loadavg_before]
        machine["loadavg_after"] = [round(value, 2) for value in os.getloadavg()]
        if loadavg_before[0] > 0.5 * (machine["nproc"] or 1):
            notes.append(
                f"The machine was busy before the run (1-min load average {loadavg_before[0]:.2f} on "
                f"{machine['nproc']} CPUs): other processes competed for CPU; treat the figures as noisy."
            )
        report = {
            "machine": machine,
            "config": {
                "workers": args.workers,
                "worker_threads": args.worker_threads,
                "wrk_threads": args.threads,
                "connections": args.connections,
                "runs": args.runs,
                "duration_s": args.duration,
                "warmup_s": args.warmup,
                "quick": args.quick,
                "headers": REQUEST_HEADERS,
                "postal_code": postal_code,
                "gunicorn_command": server.command[1:],
            },
            "start_page": start_page,
            "results": summarise(targets, notes),
            "notes": notes,
        }
        markdown = render_markdown(report)
        args.output.mkdir(parents=True, exist_ok=True)
        write_atomically(args.output / "http-latest.json", json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        write_atomically(args.output / "http-latest.md", markdown)
        print(markdown)
        log(f"written: {args.output / 'http-latest.json'} and http-latest.md")
        return 0
    except BenchError as exc:
        log(f"FAILED: {exc}")
        return 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        # Cleanup must not be cut short by a second Ctrl+C.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if server is not None:
            server.stop()
        if db_created and not args.keep_db:
            try:
                drop_database(args.db_name)
                log(f"dropped database {args.db_name}")
            except Exception as exc:  # noqa: BLE001 - report and go on cleaning up
                log(f"could not drop database {args.db_name}: {exc}")
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
