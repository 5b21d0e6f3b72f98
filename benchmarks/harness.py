"""What the in-process benchmarks share: a fresh PostgreSQL database with Django set up on it,
dropped afterwards, and the results written as JSON and Markdown."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from oegd.forms.tests.filling import drop_uploads  # noqa: E402 - one copy for tests and benchmarks

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
__all__ = ["drop_uploads", "fresh_database", "load_generated", "loaded_info", "machine", "write_results"]


def _drop(name: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def fresh_database(name: str, *, keep: bool = False, reuse: bool = False) -> Iterator[bool]:
    """Create database ``name``, point Django at it (set up once per process), drop it afterwards.

    ``keep``: leave it for a look afterwards. ``reuse``: take an existing database of that name as
    it is (for benchmarks whose data takes minutes to load); yields whether it existed.
    """
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        existed = reuse and bool(admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())
        if not existed:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    os.environ.update(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{name}",
        DJANGO_SETTINGS_MODULE="oegd.settings",
        DEBUG="0",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        MEDIA_ROOT="/tmp/oegd-bench-media",
    )
    import django

    django.setup()
    from django.db import connections

    try:
        yield existed
    finally:
        connections.close_all()
        if not keep:
            _drop(name)


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def write_results(output: str | Path, name: str, title: str, summary: str, result: dict, table: str) -> None:
    """Print the table; write ``<name>-latest.json`` and ``<name>-latest.md`` into ``output``."""
    print(table)
    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}-latest.json").write_text(json.dumps(result, indent=2) + "\n")
    (folder / f"{name}-latest.md").write_text(
        f"# {title}\n\n{os.cpu_count()} CPUs, Python {platform.python_version()}, {summary}.\n\n{table}\n"
    )


def load_generated(generate: Any, *, cases: int, seed: int) -> dict[str, Any]:
    """Run a COPY data generator (``generate(dsn=, cases=, seed=)``) into the migrated benchmark
    database and remember what it loaded in the database comment, for ``--reuse-db`` runs."""
    import time

    from django.db import connection

    settings = connection.settings_dict
    dsn = f"host={settings['HOST']} port={settings['PORT'] or 5432} user={settings['USER']} dbname={settings['NAME']}"
    started = time.perf_counter()
    loaded = generate(dsn=dsn, cases=cases, seed=seed)
    info = {
        "counts": loaded.counts,
        "timings": {**loaded.timings, "load in total (s)": round(time.perf_counter() - started, 1)},
        "loaded_at": loaded.now.isoformat(),
        "seed": seed,
    }
    with connection.cursor() as cursor:
        cursor.execute(f"COMMENT ON DATABASE {settings['NAME']} IS %s", [json.dumps(info)])
    return info


def loaded_info() -> dict[str, Any] | None:
    """What ``load_generated`` put into this database, or None for a database it did not load."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()"
        )
        comment = cursor.fetchone()[0]
    return json.loads(comment) if comment else None
