# Flare: `make run` starts the demo (FLARE_ENV=demo: without it Flare is production);
# `make test` runs every check. Both set up .venv first.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: venv run test lint typecheck pytest bench browser clean teams-tools teams-playground

$(UV):
	@$(PYTHON) -m venv .tools
	@.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

venv: $(UV)
	@$(UV) sync --frozen --quiet

run: venv
	@FLARE_ENV=demo $(BIN)/flare serve

# Microsoft's Teams pieces (Agents Playground, adaptivecards), pinned in tools/teams/package-lock.json.
TEAMS_TOOLS := tools/teams/node_modules/.package-lock.json
$(TEAMS_TOOLS): tools/teams/package.json tools/teams/package-lock.json
	@cd tools/teams && npm ci --no-audit --no-fund --loglevel=error

teams-tools: $(TEAMS_TOOLS)

# Flare in demo mode with two demo people in Microsoft 365 Agents Playground (docs/teams.md).
teams-playground: venv teams-tools
	@FLARE_ENV=demo $(BIN)/flare demo teams-playground

lint: venv
	$(BIN)/ruff check bot handlers store tests
	$(BIN)/ruff format --check bot handlers store tests

typecheck: venv
	$(BIN)/mypy bot handlers store tests

pytest: venv
	$(BIN)/pytest $(PYTEST_ARGS)

test: venv teams-tools
	$(BIN)/ruff check bot handlers store tests
	$(BIN)/mypy bot handlers store tests
	$(BIN)/pytest $(PYTEST_ARGS)

browser: venv
	$(BIN)/pytest -s -m browser tests/web/test_browser.py tests/web/test_browser_signin.py

# BENCH_ARGS, e.g. "--only store --scale 0.1" (python -m tests.bench --help)
bench: venv
	$(BIN)/python -m tests.bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .tools .mypy_cache .ruff_cache .pytest_cache
