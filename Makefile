# The two commands of the README: `make run` (demo on SQLite) and `make test` (the whole suite
# on PostgreSQL). Both install what is missing first, so a fresh machine works.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 8000
# uv from PATH when it works here, else a private copy in .tools/ (installed on first use)
UV := $(shell uv --version >/dev/null 2>&1 && echo uv || echo .tools/bin/uv)
PY := .venv/bin/python
MANAGE := $(PY) manage.py
export DATABASE_URL_TEST ?= postgres://postgres@127.0.0.1:5432/oegd

help:
	@echo "make run    – set up and start the demo at http://127.0.0.1:$(PORT) (SQLite, demo data)"
	@echo "make test   – lint and run the whole test suite on PostgreSQL"
	@echo "make bench  – load benchmark against the production server setup"
	@echo "make bench-forms – form server: 200-item questionnaire, submissions per second"
	@echo "make bench-appointments – free slots (50 types x 40 staff x 90 days), bookings under contention"
	@echo "make bench-messaging – team inbox of a team with 100,000 conversations"
	@echo "make bench-cases – worklists and case search at 1,000,000 cases / 5,000,000 tasks, task completions"
	@echo "make bench-infection-ingest – DEMIS ingestion of 100,000 synthetic § 7.1 bundles, bundles per second"
	@echo "make bench-infection-directory – infection case directory and inbox at 1,000,000 cases / notifications"
	@echo "make bench-person-matching – duplicate detection precision/recall, match_persons throughput at 200,000 persons"

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv

.venv/.synced: pyproject.toml uv.lock | $(if $(filter uv,$(UV)),,.tools/bin/uv)
	$(UV) sync --frozen
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: .venv/.synced node_modules/.installed

# Debian's Chromium for the browser tests (Playwright cannot download browsers here), and
# HarfBuzz-Subset, which WeasyPrint uses for the receipt PDFs (it falls back to fontTools without).
browser:
	@command -v chromium >/dev/null || { (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || { echo "chromium could not be installed"; [ "$$CI" != "true" ] || exit 1; }; }
	@dpkg -s libharfbuzz-subset0 >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libharfbuzz-subset0 >/dev/null 2>&1 || echo "libharfbuzz-subset0 not installed (receipts still work)"

compilemessages: .venv/.synced
	$(MANAGE) compilemessages -v 0 --ignore=.venv --ignore=.tools --ignore=node_modules --ignore=var

run: install compilemessages
	$(MANAGE) migrate --noinput -v 0
	$(MANAGE) collectstatic --noinput -v 0
	$(MANAGE) load_demo
	@echo "Starting web server, task worker and scheduler on http://127.0.0.1:$(PORT) (Ctrl+C stops all)"
	@trap 'kill 0' EXIT INT TERM; \
	  $(MANAGE) worker & \
	  $(MANAGE) run_scheduler & \
	  $(MANAGE) runserver --noreload 127.0.0.1:$(PORT)

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check src benchmarks
	.venv/bin/mypy
	$(MANAGE) makemigrations --check --dry-run -v 1

test: install browser compilemessages lint
	OEGD_TESTING=1 DATABASE_URL=$(DATABASE_URL_TEST) .venv/bin/pytest -n 2 --dist loadfile -q

bench: install compilemessages
	$(PY) benchmarks/run_http_bench.py

bench-forms: install compilemessages
	$(PY) benchmarks/run_forms_bench.py

bench-appointments: install compilemessages
	$(PY) benchmarks/run_appointments_bench.py

bench-messaging: install compilemessages
	$(PY) benchmarks/run_messaging_bench.py

bench-cases: install compilemessages
	$(PY) benchmarks/run_cases_bench.py

bench-infection-ingest: install compilemessages
	$(PY) benchmarks/run_infection_ingest_bench.py

bench-infection-directory: install compilemessages
	$(PY) benchmarks/run_infection_directory_bench.py

bench-person-matching: install compilemessages
	$(PY) benchmarks/run_person_matching_bench.py

.PHONY: help install browser compilemessages run lint test bench bench-forms bench-appointments bench-messaging bench-cases bench-infection-directory bench-person-matching bench-infection-ingest
