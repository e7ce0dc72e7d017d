"""Shared fixtures: a store on SQLite or PostgreSQL, fakes for the ports, a seeded directory.

PostgreSQL tests use a throwaway database per session at FLARE_TEST_PG (default
postgresql://postgres@127.0.0.1:5432/postgres). Locally they skip if it is unreachable; in CI
(CI=true) an unreachable PostgreSQL is a failure, never a skip.

Every test runs under `no_traceback_logged`: a test whose code (a server, a worker, a
listener thread) logs a record with an exception or a traceback, or lets an exception end a
thread, fails; a bad request is a 4xx, never a traceback. Only a test marked
`logs_traceback` (one that forces an error on purpose) is let through. `debug_logs`
captures everything Flare logs, structlog and the libraries, at DEBUG.
"""

from __future__ import annotations

import io
import logging
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
import structlog
from sqlalchemy import Engine

from bot.logging import FlareHandler, configure, reset_root_handler
from handlers.deadlines import WorkingCalendar
from store.crypto import KeyRing, generate_master_key_spec
from store.db import make_engine, session_factory
from store.migrate import upgrade
from store.unit_of_work import UnitOfWork
from tests.slack.fake_api import FakeSlackAPI

UowFactory = Callable[[], UnitOfWork]

PG_ADMIN_URL = os.environ.get("FLARE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@dataclass
class FakeClock:
    at: datetime = field(default_factory=lambda: datetime(2026, 11, 24, 10, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@dataclass
class FakeMinter:
    base: str = "https://flare.test"
    minted: list[str] = field(default_factory=list)

    def mint(self) -> str:
        token = secrets.token_urlsafe(32)
        self.minted.append(token)
        return token

    def url(self, token: str) -> str:
        return f"{self.base}/l/{token}"


def _pg_database() -> Iterator[str]:
    import psycopg

    name = f"flare_test_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(
            PG_ADMIN_URL.replace("+psycopg", ""), autocommit=True, connect_timeout=5
        )
    except psycopg.OperationalError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and unreachable: {exc}")
        pytest.skip("PostgreSQL not reachable (required in CI)")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def slack_payloads_are_valid() -> Iterator[None]:
    """Fails the test if any fake Slack API saw a body that breaks Slack's rules (slack_sdk's
    models or a documented Block Kit limit: tests/slack/block_kit_check.py). Autouse fixtures
    are set up first, so this runs after every other fixture's teardown: late listeners count.
    """
    yield
    refused = FakeSlackAPI.refused_anywhere()
    if refused:
        lines = "\n".join(str(v) for v in refused)
        pytest.fail(f"What Flare sent breaks Slack's rules:\n{lines}", pytrace=False)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    yield from _pg_database()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "flare.db"
        eng = make_engine(f"sqlite:///{path}")
    else:
        eng = make_engine(request.getfixturevalue("pg_url"))
        with eng.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing.parse(generate_master_key_spec("test1"))


@pytest.fixture
def uow_factory(engine: Engine, ring: KeyRing) -> UowFactory:
    sessions = session_factory(engine)
    return lambda: UnitOfWork(sessions, ring)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def minter() -> FakeMinter:
    return FakeMinter()


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


class TracebackCatcher(logging.Handler):
    """Records every log record that carries an exception or a printed traceback."""

    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.caught: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        if record.exc_info or record.exc_text or "Traceback (most recent call last)" in message:
            kind = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
            self.caught.append(
                f"{record.name}: {message.splitlines()[0] if message else ''} {kind}"
            )


@pytest.fixture(autouse=True)
def no_traceback_logged(request: pytest.FixtureRequest) -> Iterator[TracebackCatcher]:
    """Fail any test whose code (a server, a worker, a listener thread) logged a traceback
    or let an exception kill a thread: a bad request is a 4xx, never a traceback."""
    catcher = TracebackCatcher()
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    root.addHandler(catcher)
    previous_hook = threading.excepthook

    def thread_died(args: threading.ExceptHookArgs) -> None:
        catcher.caught.append(
            f"thread {getattr(args.thread, 'name', '?')}: {args.exc_type.__name__}"
        )
        previous_hook(args)

    threading.excepthook = thread_died
    try:
        yield catcher
    finally:
        threading.excepthook = previous_hook
        root.removeHandler(catcher)
        # What a test's `configure` (or `flare serve` in process) set on the root goes too.
        for handler in list(root.handlers):
            if handler not in handlers and isinstance(handler, FlareHandler):
                root.removeHandler(handler)
        root.setLevel(level)
    if catcher.caught and request.node.get_closest_marker("logs_traceback") is None:
        pytest.fail(f"a traceback was logged: {catcher.caught[:5]}", pytrace=False)


@pytest.fixture
def debug_logs() -> Iterator[io.StringIO]:
    """Everything Flare logs (structlog and the libraries' root handler) at DEBUG, as JSON."""
    buffer = io.StringIO()
    root = logging.getLogger()
    previous = root.level
    configure(json=True, level="DEBUG", stream=buffer)
    try:
        yield buffer
    finally:
        reset_root_handler()
        root.setLevel(previous)
        structlog.reset_defaults()
