# FacePass: `make run` serves on http://localhost:8000 with demo data; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-installed
TEST_STAMP := $(VENV)/.test-installed
PORT ?= 8000

.PHONY: run test lint format setup system-packages bench soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUN_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(TEST_STAMP): requirements.txt requirements-test.txt bench/requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@ $(RUN_STAMP)

setup: $(RUN_STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py create_pixora_demo
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

# The dev server, a Celery worker (and beat) on a filesystem broker, and a demo Pixora API (scripts/run_local.py).
run: export DEBUG ?= true
run: export PORT := $(PORT)
run: setup
	$(BIN)/python scripts/run_local.py

# Debian packages the end-to-end tests use (nginx, Chromium, wrk); installed when we are root with apt-get.
system-packages:
	@bash scripts/system-packages.sh

test: $(TEST_STAMP) system-packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=project_config.settings_test
	$(BIN)/pytest

# FacePass, the peer (bench/peers/) and the floors side by side: writes bench/results/latest.md and latest.json;
# then face search (indexing, selfie to result, the search step): bench/results/faces-latest.md and .json.
# BENCH_DURATION and BENCH_WARMUP (seconds) set the length of each run; see bench/README.md for the rest.
bench: $(TEST_STAMP) system-packages
	$(BIN)/python -m bench
	$(BIN)/python -m bench.faces

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(TEST_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles facepass.sqlite3 pixora_demo.sqlite3 artifacts .pytest_cache .ruff_cache .mypy_cache .broker .celerybeat-schedule*

# A few minutes of mixed load on nginx + the app server with faults injected in turn, then a longer schemathesis run;
# writes reliability/results/latest.md. Starts its own PostgreSQL, Redis and Pixora API (see reliability/soak.py).
soak: $(TEST_STAMP) system-packages
	$(BIN)/python -m reliability.soak
