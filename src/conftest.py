"""Test set-up shared by every app: PostgreSQL required under CI, fast hashing, test e-mail."""

import os

import psycopg
import pytest

os.environ.setdefault("OEGD_TESTING", "1")

# Chromium, pages and axe-core for the browser tests of every app.
pytest_plugins = ["oegd.core.tests.browser_fixtures"]


def pytest_configure(config):
    from pathlib import Path

    from django.conf import settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != "django.db.backends.postgresql":
        if os.environ.get("CI") == "true":
            raise pytest.UsageError("CI=true: the suite must run on PostgreSQL (set DATABASE_URL).")
        return
    db = settings.DATABASES["default"]
    try:
        psycopg.connect(
            host=db["HOST"],
            port=db["PORT"] or 5432,
            user=db["USER"],
            password=db["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL is not reachable at {db['HOST']}:{db['PORT']}: {exc}"
        if os.environ.get("CI") == "true":
            raise pytest.UsageError(message) from exc
        pytest.exit(message, returncode=3)


@pytest.fixture(autouse=True)
def _test_settings(settings):
    from django.utils import translation

    translation.activate("en")  # tests read English unless they ask for another language; requests leave theirs active
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def cast(db):
    from oegd.core.tests.factories import Cast

    return Cast()
