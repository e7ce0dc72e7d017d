"""The PostgreSQL application role from `flare db roles --apply`: audit rows are append-only.

Flare runs as the role and raises, acknowledges and audits as usual; the role's UPDATE,
DELETE and TRUNCATE of audit events fail, and so does any head move that does not extend the
chain. The owner's UPDATE and DELETE meet the trigger. The role's name is random and it is
dropped afterwards, since roles belong to the whole PostgreSQL cluster.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from bot.cli import main
from handlers.concern.raising import RaiseConcern, Raised, raise_concern
from handlers.deadlines import WorkingCalendar
from handlers.follow_through.acknowledge import Acknowledged, acknowledge
from handlers.values import Category, FamilyInformed, LawfulBasis, Severity
from store import audit
from store.crypto import KeyRing, generate_master_key_spec
from store.db import make_engine, session_factory
from store.migrate import upgrade
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock
from tests.directory import seed_directory

pytestmark = pytest.mark.postgres
UowFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True)
class AppRole:
    name: str
    engine: Engine  # connected as the application role
    owner: Engine  # connected as the owner (the tests' superuser)


@pytest.fixture
def app_role(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppRole]:
    owner = make_engine(pg_url)
    with owner.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    upgrade(owner)
    name, password = f"flare_app_{secrets.token_hex(4)}", secrets.token_urlsafe(18)
    monkeypatch.setenv("FLARE_TEST_APP_PASSWORD", password)
    env = {
        "FLARE_ENV": "test",
        "FLARE_DATABASE_URL": owner.url.render_as_string(hide_password=False),
        "FLARE_MASTER_KEYS": generate_master_key_spec("role1"),
        "FLARE_VAR_DIR": str(tmp_path / "var"),
    }
    args = ["db", "roles", "--role", name, "--password-env", "FLARE_TEST_APP_PASSWORD"]
    try:
        result = CliRunner().invoke(main, [*args, "--apply"], env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert password not in result.output
        again = CliRunner().invoke(main, [*args, "--apply"], env=env, catch_exceptions=False)
        assert again.exit_code == 0, again.output  # idempotent: run it after every upgrade
        as_app = owner.url.set(username=name, password=password)
        engine = make_engine(as_app.render_as_string(hide_password=False))
        yield AppRole(name, engine, owner)
        engine.dispose()
    finally:
        with owner.begin() as conn:
            if conn.scalar(text("SELECT count(*) FROM pg_roles WHERE rolname = :n"), {"n": name}):
                conn.exec_driver_sql(f'DROP OWNED BY "{name}"')
                conn.exec_driver_sql(f'DROP ROLE "{name}"')
        owner.dispose()


def _refused(engine: Engine, *statements: str, **params: object) -> str:
    """Run statements in one transaction, which must fail; the database's refusal, as text."""
    with pytest.raises(DBAPIError) as refused, engine.begin() as conn:
        for sql in statements:
            conn.execute(text(sql), params)
    return str(refused.value.orig)


def _raise_and_acknowledge(engine: Engine) -> UowFactory:
    ring = KeyRing.parse(generate_master_key_spec("role2"))
    sessions = session_factory(engine)

    def uow_factory() -> UnitOfWork:
        return UnitOfWork(sessions, ring)

    clock = FakeClock(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    d = seed_directory(uow_factory, clock.now())
    cmd = RaiseConcern(
        raiser_id=d.people["dev"],
        client_id=d.clients["C-1001"],
        category=Category.NEGLECT,
        severity=Severity.HIGH,
        noticed="noticed",
        rationale="rationale",
        lawful_basis=LawfulBasis.PUBLIC_TASK,
        family_informed=FamilyInformed.YES,
        submission_key="role-1",
    )
    raised = raise_concern(cmd, uow_factory(), clock, WorkingCalendar())
    assert isinstance(raised, Raised)
    acked = acknowledge(
        uow_factory(), concern_id=raised.concern_id, practitioner_id=d.people["chloe"], clock=clock
    )
    assert isinstance(acked, Acknowledged)
    return uow_factory


def test_flare_runs_as_the_app_role_and_its_audit_rows_cannot_be_changed(
    app_role: AppRole,
) -> None:
    uow_factory = _raise_and_acknowledge(app_role.engine)
    with app_role.engine.connect() as conn:
        assert conn.scalar(text("SELECT current_user")) == app_role.name
        events = conn.scalar(text("SELECT count(*) FROM audit_events"))
        head = conn.execute(text("SELECT seq, hash FROM audit_head")).one()
    assert events and events >= 3 and head[0] == events
    with uow_factory() as uow:
        assert audit.verify(uow.session).ok

    for sql in (
        "UPDATE audit_events SET detail = '{}' WHERE seq = 2",
        "DELETE FROM audit_events WHERE seq = 2",
        "TRUNCATE audit_events",
        "UPDATE audit_head SET seq = 1",
        "DELETE FROM audit_head",
        "SELECT * FROM audit_head FOR UPDATE",
    ):
        assert "permission denied" in _refused(app_role.engine, sql), sql
    with uow_factory() as uow:
        assert audit.verify(uow.session).checked == events


def test_the_app_role_moves_the_head_only_along_the_chain(app_role: AppRole) -> None:
    uow_factory = _raise_and_acknowledge(app_role.engine)
    with app_role.engine.connect() as conn:
        seq, digest = conn.execute(text("SELECT seq, hash FROM audit_head")).one()
    advance = "SELECT flare_audit_advance(:seq, :hash)"
    back = _refused(app_role.engine, advance, seq=1, hash="0" * 64)
    assert "only moves forward" in back
    ahead = _refused(app_role.engine, advance, seq=seq + 5, hash="f" * 64)
    assert "newest event" in ahead
    # A forged event that does not link to the head cannot become the head.
    forged = (
        "INSERT INTO audit_events (seq, at, action, detail, prev_hash, hash) "
        "VALUES (:seq, now(), 'concern.viewed', '{}', :prev, :hash)"
    )
    refused = _refused(app_role.engine, forged, advance, seq=seq + 1, prev="e" * 64, hash="d" * 64)
    assert "does not extend the chain" in refused
    with app_role.engine.connect() as conn:
        assert tuple(conn.execute(text("SELECT seq, hash FROM audit_head")).one()) == (
            seq,
            digest,
        )
    with uow_factory() as uow:
        assert audit.verify(uow.session).ok


def test_even_the_owner_meets_the_append_only_trigger(app_role: AppRole) -> None:
    _raise_and_acknowledge(app_role.engine)
    for sql in (
        "UPDATE audit_events SET action = 'concern.raised' WHERE seq = 2",
        "DELETE FROM audit_events WHERE seq = 2",
        "TRUNCATE audit_events",
    ):
        assert "append-only" in _refused(app_role.owner, sql), sql
