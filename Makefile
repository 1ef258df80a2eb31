# JAIM Membership. `make run` serves the portal with demo data; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run run-env prod-smoke faults test install lint format audit bench bench-smoke messages lock worker clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $@

install: $(VENV)/.installed

# The environment `make run` serves with (`make -s run-env PORT=8123` prints it): links in mails, PDFs, QR codes and
# the CSV point at the address it serves; without Redis, a worker with beat on kombu's filesystem:// transport.
RUN_SITE_URL = $(or $(JAIM_SITE_URL),http://$(HOST):$(PORT))
RUN_BROKER_URL = $(or $(CELERY_BROKER_URL),filesystem://)

run-env:
	@echo "JAIM_SITE_URL=$(RUN_SITE_URL)"
	@echo "CELERY_BROKER_URL=$(RUN_BROKER_URL)"

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@export JAIM_SITE_URL="$(RUN_SITE_URL)" CELERY_BROKER_URL="$(RUN_BROKER_URL)"; \
	echo "Starting a Celery worker with beat (broker $$CELERY_BROKER_URL): the scheduled jobs run"; \
	mkdir -p .celery; \
	$(BIN)/celery -A jaim worker --beat --schedule=.celery/beat-schedule --loglevel=INFO --concurrency=2 & \
	WORKER=$$!; trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	echo "Portal: $$JAIM_SITE_URL/   Admin: $$JAIM_SITE_URL/admin/"; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python manage.py makemigrations --check --dry-run >/dev/null || \
	  (echo "Models changed without a migration: run manage.py makemigrations"; exit 1)
	$(BIN)/pytest $(PYTEST_ARGS)

# The production smoke run (also part of `make test`): gunicorn with DJANGO_ENV=production, collectstatic, a worker
# with beat, a real SMTP server and S3-compatible store, against PostgreSQL and Redis (DATABASE_URL, CELERY_BROKER_URL).
prod-smoke: install
	$(BIN)/pytest tests/deploy -q -p no:randomly $(PYTEST_ARGS)

# The fault run (tests/faults/run.py; CI runs it after `make test`): production settings against a private PostgreSQL
# cluster and redis-server it starts on free ports, while scripted users submit applications and uploads and
# finance records payments: Redis stopped, PostgreSQL restarted, the Celery worker and a gunicorn worker SIGKILLed.
# Prints the figures (requests, errors by kind, mails, lost = 0). Needs Debian's postgresql and redis-server.
faults: install
	JAIM_FAULT_RUN=1 $(BIN)/pytest tests/faults -q -s -p no:randomly -p no:logging $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# bandit (offline; the suite runs it too) and pip-audit of requirements.lock (needs the advisory database over the
# network: says NOT AUDITED and fails when it cannot reach it). Justify findings in the code; see tools/audit.py.
audit: install
	$(BIN)/python tools/audit.py bandit deps

worker: install
	$(BIN)/celery -A jaim worker --beat --loglevel=INFO

messages: install
	$(BIN)/python manage.py makemessages -l en -l ja --no-location --ignore=.venv --ignore=tests
	$(BIN)/python manage.py compilemessages --ignore=.venv

# Benchmark on PostgreSQL (drops and recreates the database named in DATABASE_URL, which must contain "bench"):
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/jaim_bench make bench   [BENCH_ARGS="--n 10000 --rounds 1"]
# Writes bench/results.json and bench/RESULTS.md. Not part of `make test`; its smoke run (N=1,000) is.
BENCH_ARGS ?=
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

bench-smoke: install
	$(BIN)/pytest tests/bench -q $(PYTEST_ARGS)

lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf $(VENV) db.sqlite3 private staticfiles .pytest_cache
