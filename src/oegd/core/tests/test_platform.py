"""Settings, security headers, health endpoints, task backends and the scheduler."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from oegd.core.crypto import generate_key
from oegd.core.management.commands.run_scheduler import enqueue_due_jobs
from oegd.core.tests.factories import login_staff

ROOT = Path(settings.BASE_DIR)
PRODUCTION_ENV = {
    "OEGD_MODE": "production",
    "DEBUG": "0",
    "SECRET_KEY": "x" * 20 + generate_key(),
    "OEGD_DATA_KEYS": "k1:" + generate_key(),
    "OEGD_PSEUDONYM_KEY": generate_key(),
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/oegd",
    "ALLOWED_HOSTS": "gesundheitsamt.example",
}


def _manage(*args, env):
    drop = ("OEGD_", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    base = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_without_secrets():
    env = {**PRODUCTION_ENV}
    del env["SECRET_KEY"]
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "Production mode refuses to start: set SECRET_KEY" in result.stderr


def test_production_refuses_demo_keys():
    result = _manage("check", env={**PRODUCTION_ENV, "OEGD_DATA_KEYS": settings.DEMO_DATA_KEY})
    assert result.returncode != 0 and "OEGD_DATA_KEYS" in result.stderr


def test_check_deploy_passes_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp and "object-src 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "no-store" not in response.get("Cache-Control", "")  # public start page may be cached


@pytest.mark.django_db
def test_pages_with_personal_data_are_not_stored(client, cast):
    client.force_login(cast.citizen)
    assert client.get("/my/")["Cache-Control"] == "no-store"
    login_staff(client, cast.admin_a)
    assert client.get("/staff/")["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_health_endpoints(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "tasks": "ok"}


@pytest.mark.django_db
def test_readyz_reports_a_missing_task_queue(client, settings):
    settings.TASK_BACKEND = "redis"
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0"}}
    import django_rq.queues

    django_rq.queues.get_redis_connection.cache_clear() if hasattr(
        django_rq.queues.get_redis_connection, "cache_clear"
    ) else None
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["tasks"] == "unavailable"


@pytest.mark.django_db(transaction=True)
def test_database_task_backend_runs_enqueued_work(settings):
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    from oegd.core.tasks import verify_audit_chain

    result = verify_audit_chain.enqueue()
    assert DBTaskResult.objects.filter(id=result.id, status="READY").exists()
    call_command("db_worker", batch=True, queue_name="default", startup_delay=False, stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert DBTaskResult.objects.get(id=result.id).status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)
def test_redis_task_backend_runs_enqueued_work():
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail("Redis is required under CI")
        pytest.skip("Redis not reachable on 127.0.0.1:6379")
    env = {"TASK_BACKEND": "redis", "REDIS_URL": "redis://127.0.0.1:6379/15", "DATABASE_URL": settings_db_url()}
    script = (
        "import django; django.setup();"
        "from oegd.core.tasks import clear_expired_sessions as t; r = t.enqueue(); print(r.id)"
    )
    base = {k: v for k, v in os.environ.items() if k not in ("TASK_BACKEND",)}
    enq = subprocess.run(
        [sys.executable, "-c", script],
        env={**base, **env, "DJANGO_SETTINGS_MODULE": "oegd.settings", "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    job_id = enq.stdout.strip().splitlines()[-1]
    work = _manage("worker", "--burst", env={**env, "OEGD_TESTING": "1"})
    assert work.returncode == 0, work.stderr
    assert f"Job OK ({job_id})" in work.stderr + work.stdout


def settings_db_url():
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    # The test database exists while the test runs (transaction=True keeps data visible).
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db
def test_scheduler_enqueues_each_job_once_per_interval():
    first = enqueue_due_jobs()
    assert set(first) == {
        "clear_expired_sessions",
        "verify_audit_chain",
        "delete_expired_drafts",
        "send_due_reminders",
        "apply_case_retention",
        "fire_process_timers",
        "resume_waiting_tasks",
        "find_duplicate_persons",
        "pull_demis",
    }
    assert enqueue_due_jobs() == []
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert set(enqueue_due_jobs()) == {"send_due_reminders", "fire_process_timers", "pull_demis"}
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        assert set(enqueue_due_jobs()) == {
            "clear_expired_sessions",
            "send_due_reminders",
            "fire_process_timers",
            "resume_waiting_tasks",
            "pull_demis",
        }


@pytest.mark.django_db
def test_scripts_carry_the_per_response_csp_nonce(client):
    import re

    first, second = client.get("/"), client.get("/")
    nonces = []
    for response in (first, second):
        nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
        assert f'nonce="{nonce}"' in response.content.decode()
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


@pytest.mark.django_db
def test_staff_pages_fall_back_to_german_for_citizen_languages(client, cast):
    login_staff(client, cast.admin_a)
    arabic = client.get("/staff/", headers={"accept-language": "ar"})
    assert '<html lang="de" dir="ltr">' in arabic.content.decode()
    english = client.get("/staff/", headers={"accept-language": "en"})
    assert '<html lang="en" dir="ltr">' in english.content.decode()
    # the switcher offers only the staff languages there
    assert 'value="tr"' not in english.content.decode()
