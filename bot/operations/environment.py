"""Opening the store for an operator command: every setting or start-up problem is one line."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, NoReturn

import click

from bot.config import SettingsError, load_settings

if TYPE_CHECKING:
    from bot.runtime import Runtime

SETTINGS_EXIT = 2


def fail(line: str, *, code: int = 1) -> NoReturn:
    """Print one line to stderr and stop."""
    click.echo(line, err=True)
    sys.exit(code)


def open_runtime(*, migrate: bool = True) -> Runtime:
    """Settings, key ring and a reachable database at the current schema, or one clear line.

    Outside production the schema is brought up to date (as `flare serve` does); in production
    migrations are the operator's explicit step, so a stale schema stops the command.
    """
    from bot import logging as flare_logging
    from bot.composition import build_runtime

    try:
        settings = load_settings()
        flare_logging.configure(json=settings.env == "production", level=settings.log_level)
        runtime = build_runtime(settings)
    except SettingsError as exc:
        fail(exc.line, code=SETTINGS_EXIT)
    ensure_reachable(runtime)
    if migrate and settings.env != "production":
        upgrade_schema(runtime)
    elif not schema_is_current(runtime):
        fail("flare: the database schema is not up to date; run `flare db upgrade` first")
    return runtime


def ensure_reachable(runtime: Runtime) -> None:
    """A database that cannot be reached is named in one line, not a traceback."""
    from sqlalchemy.exc import OperationalError

    try:
        runtime.ready()
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        fail(
            f"flare: cannot use the database named by FLARE_DATABASE_URL: {reason}",
            code=SETTINGS_EXIT,
        )


def upgrade_schema(runtime: Runtime, revision: str = "head") -> None:
    """Apply the migrations, or say in one line why this release cannot."""
    from alembic.util import CommandError

    from store.migrate import UnknownRevision, upgrade

    try:
        upgrade(runtime.engine, revision)
    except UnknownRevision as exc:
        fail(f"flare: {exc}")
    except CommandError as exc:  # e.g. --revision names one that does not exist
        fail(f"flare: cannot upgrade to {revision}: {exc}")


def schema_is_current(runtime: Runtime) -> bool:
    from store.readiness import schema_is_current as current

    return current(runtime.engine)


def claim_database(runtime: Runtime) -> None:
    """A long-running process on SQLite must be the only one: refuse a second in one line."""
    from store.single_process import DatabaseInUse, hold_single_process_lock

    try:
        hold_single_process_lock(runtime.engine)
    except DatabaseInUse as exc:
        fail(
            f"flare: the SQLite database {exc.path} is in use by another Flare process "
            f"(pid {exc.holder or 'unknown'}); SQLite mode runs one process: stop that one, "
            "or use PostgreSQL (FLARE_DATABASE_URL) to run several",
            code=SETTINGS_EXIT,
        )
