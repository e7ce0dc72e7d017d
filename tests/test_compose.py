"""compose.yaml parses, runs only commands `flare` has, and sets only variables Flare reads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
import yaml

from bot.cli import main
from bot.config import ENV_NAMES

ROOT = Path(__file__).resolve().parents[1]
FLARE_VARIABLES = set(ENV_NAMES.values())
POSTGRES_VARIABLES = {"POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD"}
INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}")


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def _resolve(command: list[str]) -> click.Command:
    """The click command an argv names; fails on an unknown command or option."""
    assert command[0] == "flare", command
    found: click.Command = main
    args = command[1:]
    while isinstance(found, click.Group) and args and not args[0].startswith("-"):
        assert args[0] in found.commands, f"flare has no command {command}"
        found, args = found.commands[args[0]], args[1:]
    options = {opt for param in found.params for opt in param.opts}
    for arg in args:
        if arg.startswith("-"):
            assert arg in options, f"{' '.join(command)}: no option {arg}"
    ctx = found.make_context("flare", list(args), resilient_parsing=False)
    assert ctx is not None
    return found


def test_services_are_postgres_a_one_shot_migration_two_web_replicas_and_a_worker() -> None:
    services = _compose()["services"]
    assert set(services) == {"postgres", "migrate", "web", "worker"}
    assert services["migrate"]["command"] == ["flare", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    assert services["web"]["deploy"]["replicas"] == 2
    assert services["web"]["command"][:2] == ["flare", "serve"]
    assert services["worker"]["command"] == ["flare", "worker"]
    for name in ("web", "worker"):
        waits_for = services[name]["depends_on"]["migrate"]["condition"]
        assert waits_for == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert (ROOT / services["web"]["build"] / "Dockerfile").is_file()


def test_every_command_is_a_real_flare_command() -> None:
    for name, service in _compose()["services"].items():
        command = service.get("command")
        if command and command[0] == "flare":
            assert _resolve(command) is not None, name


def test_every_variable_is_one_flare_or_postgres_reads() -> None:
    compose = _compose()
    for name, service in compose["services"].items():
        known = POSTGRES_VARIABLES if name == "postgres" else FLARE_VARIABLES
        unknown = set(service.get("environment", {})) - known
        assert not unknown, f"{name} sets variables nothing reads: {unknown}"
    text = (ROOT / "compose.yaml").read_text()
    used = set(INTERPOLATION.findall(text))
    assert used <= FLARE_VARIABLES | POSTGRES_VARIABLES, used - FLARE_VARIABLES
    assert {"FLARE_PUBLIC_URL", "FLARE_MASTER_KEYS", "POSTGRES_PASSWORD"} <= used


def test_the_application_runs_in_production_against_the_postgres_service() -> None:
    services = _compose()["services"]
    for name in ("migrate", "web", "worker"):
        env = services[name]["environment"]
        assert env["FLARE_ENV"] == "production", name
        assert env["FLARE_DATABASE_URL"].startswith("postgresql://flare:"), name
        assert env["FLARE_DATABASE_URL"].endswith("@postgres:5432/flare"), name
    assert services["web"]["environment"]["FLARE_SERVE_WORKER"] == "false"


def test_the_image_gets_the_licence_its_package_declares() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^COPY .*\bLICENSE\b", dockerfile, re.MULTILINE)
    assert "LICENSE" not in (ROOT / ".dockerignore").read_text().split()
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
