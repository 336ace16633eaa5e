# CoachTwin tasks. Start everything: `just dev`. Every test: `just test`.
# The README's two commands bootstrap `just` itself into .venv first.

set shell := ["bash", "-euo", "pipefail", "-c"]
set dotenv-load := false

venv := justfile_directory() / ".venv"
py := venv / "bin/python"
# xdist workers each build their own database and take their own Redis database (tests/conftest.py).
pytest_args := "-q -p no:cacheprovider"
export PATH := venv / "bin" + ":" + justfile_directory() / ".tools/node_modules/.bin" + ":" + env_var("PATH")
export HF_HUB_OFFLINE := "1"
export TRANSFORMERS_OFFLINE := "1"
export ANONYMIZED_TELEMETRY := "False"
export REFLEX_TELEMETRY_ENABLED := "false"

default:
    @just --list

# Install everything the project needs (idempotent; skips what is already there).
setup:
    {{py}} .ci/setup.py

# API and creator hub together, on embedded defaults unless DATABASE_URL/REDIS_URL are set.
dev: setup
    {{venv}}/bin/coachtwin dev

# The API alone on 127.0.0.1:8000 (API_PORT overrides).
api: setup
    {{venv}}/bin/coachtwin api

# The creator hub alone (expects the API at PUBLIC_API_URL).
hub: setup
    {{venv}}/bin/coachtwin hub

# A background job worker (several can run against the same Redis and PostgreSQL).
worker: setup
    {{venv}}/bin/coachtwin worker

# Apply database migrations.
migrate: setup
    {{venv}}/bin/coachtwin migrate

# Every suite: lint, API tests (fast and slow) on two workers, then the browser suite; fails if any did.
test: setup lint
    status=0; \
    {{py}} -m pytest {{pytest_args}} -n 2 --dist loadfile tests || status=1; \
    {{py}} -m pytest {{pytest_args}} e2e || status=1; \
    exit $status

# Unit and integration tests that need no model or browser.
test-fast: setup
    {{py}} -m pytest {{pytest_args}} -n 2 --dist loadfile -m "not slow" tests

# The slow API tests alone (embedding model, corpora, schemathesis).
test-slow: setup
    {{py}} -m pytest {{pytest_args}} -n 2 --dist loadfile -m slow tests

# The browser suite alone (builds and starts the hub).
test-e2e: setup
    {{py}} -m pytest {{pytest_args}} e2e

# Benchmarks: JSON results and a short report under tests/bench/results/.
bench: setup
    {{py}} -m tests.bench.run

lint: setup
    {{venv}}/bin/ruff check backend common frontend tests e2e alembic
    {{venv}}/bin/ruff format --check backend common frontend tests e2e alembic
    {{venv}}/bin/mypy backend common frontend

# Regenerate the hub's copy of the API's contracts (frontend/api/contracts.py) after changing a schema.
contracts: setup
    {{py}} -m frontend.gen_contracts

# Re-pin the lock file from the current environment.
lock:
    {{venv}}/bin/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock
