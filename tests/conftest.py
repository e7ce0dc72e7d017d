"""Shared fixtures: a store on SQLite or PostgreSQL, fakes for the ports, a seeded directory.

PostgreSQL tests use a throwaway database per session at FLARE_TEST_PG (default
postgresql://postgres@127.0.0.1:5432/postgres). Locally they skip if it is unreachable; in CI
(CI=true) an unreachable PostgreSQL is a failure, never a skip.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from handlers.deadlines import WorkingCalendar
from store.crypto import KeyRing, generate_master_key_spec
from store.db import make_engine, session_factory
from store.migrate import upgrade
from store.unit_of_work import UnitOfWork
from tests.slack.fake_api import FakeSlackAPI

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
def uow_factory(engine: Engine, ring: KeyRing):  # type: ignore[no-untyped-def]
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
