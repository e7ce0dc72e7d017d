# Flare: `make run` starts the demo; `make test` runs every check. Both set up .venv first.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: venv run test lint typecheck pytest bench browser clean

$(UV):
	@$(PYTHON) -m venv .tools
	@.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

venv: $(UV)
	@$(UV) sync --frozen --quiet

run: venv
	@$(BIN)/flare serve

lint: venv
	$(BIN)/ruff check bot handlers store tests
	$(BIN)/ruff format --check bot handlers store tests

typecheck: venv
	$(BIN)/mypy bot handlers store

pytest: venv
	$(BIN)/pytest $(PYTEST_ARGS)

test: venv
	$(BIN)/ruff check bot handlers store tests
	$(BIN)/mypy bot handlers store
	$(BIN)/pytest $(PYTEST_ARGS)

browser: venv
	$(BIN)/pytest -s -m browser tests/web/test_browser.py

# BENCH_ARGS, e.g. "--only store --scale 0.1" (python -m tests.bench --help)
bench: venv
	$(BIN)/python -m tests.bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .tools .mypy_cache .ruff_cache .pytest_cache
