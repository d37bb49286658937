# Beffroi — the two commands of the README: `make run` and `make test`.
SHELL := /bin/sh
HOST ?= 127.0.0.1
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
BEFFROI := $(BIN)/beffroi
PYTEST_ARGS ?=

.PHONY: run test lint types pytest bench messages clean help

help:
	@echo "make run    — install, migrate, load the demo commune, serve on http://$(HOST):$(PORT)"
	@echo "make test   — lint, types and the whole test suite"
	@echo "make bench  — benchmarks (results in bench/results, summary in BENCHMARKS.md)"

$(BIN)/python:
	@PY=$$(scripts/find-python) || exit 1; echo "Creating $(VENV) with $$PY"; "$$PY" -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

run: $(VENV)/.installed
	DEBUG=1 $(BEFFROI) migrate --noinput
	DEBUG=1 DEMO_GATEWAYS=$${DEMO_GATEWAYS:-1} PUBLIC_URL_SCHEME=$${PUBLIC_URL_SCHEME:-http} \
		PUBLIC_URL_PORT=$${PUBLIC_URL_PORT:-$(PORT)} $(BEFFROI) demo
	DEBUG=1 EMAIL_URL=$${EMAIL_URL:-console://} PUBLIC_URL_SCHEME=$${PUBLIC_URL_SCHEME:-http} \
		PUBLIC_URL_PORT=$${PUBLIC_URL_PORT:-$(PORT)} DEMO_GATEWAYS=$${DEMO_GATEWAYS:-1} \
		$(BEFFROI) serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/check_imports.py

types: $(VENV)/.installed
	$(BIN)/mypy beffroi

pytest: $(VENV)/.installed
	$(BIN)/pytest -n 2 --dist loadgroup --cov --cov-report=term:skip-covered $(PYTEST_ARGS)

test: lint types pytest

bench: $(VENV)/.installed
	$(BIN)/python -m bench $(BENCH_ARGS)

messages: $(VENV)/.installed
	cd beffroi && ../$(BEFFROI) makemessages -l fr -l en --no-obsolete --ignore 'tests/*' && ../$(BEFFROI) makemessages -d djangojs -l fr -l en --no-obsolete --ignore 'core/static/vendor/*'
	cd beffroi && ../$(BEFFROI) compilemessages

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .coverage
