# Plugin Prompt Admin: `make run` serves a demo on 127.0.0.1:5000, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(PY) -m flask --app app
DEMO_PLUGINS ?= 500
PORT ?= 5000
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
TEST_CACHE_URL ?= redis://127.0.0.1:6379/0
# pytest exits 5 when a run selects no test: that is not a failure of the suite.
PYTEST = $(PY) -m pytest $(PYTEST_ARGS); status=$$?; [ $$status -eq 5 ] && status=0; exit $$status

.PHONY: run prepare lint test test-fast test-sqlite test-postgres serve-prod bench clean

## The runtime requirements only (make run, make serve-prod).
$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

## Plus the test, browser and lint tools (make test, make lint).
$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

## Migrate the embedded SQLite database, build the compressed static files, seed demo data once, print the
## demo admin login (created once; its password is kept in instance/demo_password and printed on every start).
prepare: $(VENV)/.installed
	$(FLASK) db upgrade
	$(FLASK) assets
	$(FLASK) seed --plugins $(DEMO_PLUGINS) --if-empty --demo-login --port $(PORT)

run: prepare
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

## ruff (lint and format) and mypy; make test runs it first.
lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## Lint, then the whole suite: SQLite with the in-process cache, then PostgreSQL with Redis.
test: lint
	$(MAKE) test-sqlite test-postgres

## The quick loop: SQLite and the in-process cache, no browser, no extra processes (about a minute).
test-fast: $(VENV)/.dev-installed
	env -u DATABASE_URL -u CACHE_URL sh -c '$(PY) -m pytest -m "not browser and not slow" $(PYTEST_ARGS)'

test-sqlite: $(VENV)/.dev-installed
	env -u DATABASE_URL -u CACHE_URL sh -c '$(PYTEST)'

test-postgres: $(VENV)/.dev-installed
	DATABASE_URL=$(TEST_DATABASE_URL) CACHE_URL=$(TEST_CACHE_URL) sh -c '$(PYTEST)'

## gunicorn against DATABASE_URL / CACHE_URL (see README, Production).
serve-prod: $(VENV)/.installed
	$(FLASK) db upgrade
	$(FLASK) assets
	$(VENV)/bin/gunicorn --workers $${WORKERS:-2} --bind $${BIND:-127.0.0.1:8000} app:app

## Seed BENCH_PLUGINS (100000) plugins into SQLite (or DATABASE_URL), time the main pages under gunicorn.
bench: $(VENV)/.dev-installed
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) instance .pytest_cache
