"""One migration history, in order: a single initial revision that builds exactly what
`store.models` declares, on SQLite and PostgreSQL (and, on PostgreSQL, the audit head's
checking functions), goes down to nothing and up again, and is what `flare db upgrade`
applies to an empty database."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from click.testing import CliRunner, Result
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from bot.cli import main
from store.crypto import generate_master_key_spec
from store.db import make_engine
from store.migrate import INITIAL, SQUASHED, alembic_config, upgrade
from store.models import Base
from store.readiness import migration_heads, schema_heads

AUDIT_FUNCTIONS = {"flare_audit_advance", "flare_audit_head"}
PARTIAL_INDEXES = {
    "ix_concerns_retention_closed",
    "ix_concerns_retention_unclosed",
    "ix_concerns_shredded",
    "ix_follow_ups_open_due",
}


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def _audit_functions(engine: Engine) -> set[str]:
    """The audit head's SECURITY DEFINER functions that PUBLIC may not execute."""
    query = text(
        "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = current_schema() AND p.proname LIKE 'flare_audit_%' "
        "AND p.prosecdef AND p.proacl IS NOT NULL AND NOT EXISTS "
        "(SELECT FROM aclexplode(p.proacl) a WHERE a.grantee = 0)"
    )
    with engine.connect() as conn:
        return set(conn.execute(query).scalars())


def _index_definitions(engine: Engine) -> dict[str, str]:
    if engine.dialect.name == "postgresql":
        query = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
    else:
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    with engine.connect() as conn:
        return {name: definition for name, definition in conn.exec_driver_sql(query).all()}


def _assert_at_head(engine: Engine) -> None:
    assert schema_heads(engine) == migration_heads() and len(migration_heads()) == 1
    assert _differences(engine) == []
    definitions = _index_definitions(engine)
    assert all(" WHERE " in definitions[name] for name in PARTIAL_INDEXES)
    if engine.dialect.name == "postgresql":
        assert _audit_functions(engine) == AUDIT_FUNCTIONS


def test_the_history_is_one_initial_revision_then_a_line_to_a_single_head() -> None:
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    oldest_first = list(reversed(list(scripts.walk_revisions())))
    assert (oldest_first[0].revision, oldest_first[0].down_revision) == ("0001", None)
    for parent, child in itertools.pairwise(oldest_first):
        assert child.down_revision == parent.revision, child.revision  # in order, no branch
        assert int(child.revision) > int(parent.revision), child.revision
    head = oldest_first[-1].revision
    assert scripts.get_heads() == [head]
    assert migration_heads() == frozenset({head})
    assert not SQUASHED & {r.revision for r in oldest_first}  # old stamps stay unambiguous


def test_the_schema_is_what_the_models_declare(engine: Engine) -> None:
    _assert_at_head(engine)


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.mark.postgres
def test_postgresql_audit_head_functions_check_the_chain(pg_engine: Engine) -> None:
    assert _audit_functions(pg_engine) == AUDIT_FUNCTIONS
    with pg_engine.begin() as conn:
        head = conn.execute(text("SELECT head_seq, head_hash FROM flare_audit_head()")).one()
        assert tuple(head) == (0, "0" * 64)
        with pytest.raises(DBAPIError, match="only moves forward"), conn.begin_nested():
            conn.execute(text("SELECT flare_audit_advance(0, :h)"), {"h": "0" * 64})
        with pytest.raises(DBAPIError, match="must name the newest event"), conn.begin_nested():
            conn.execute(text("SELECT flare_audit_advance(1, :h)"), {"h": "f" * 64})


def test_downgrade_to_base_then_upgrade_again(engine: Engine) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert schema_heads(engine) == frozenset()
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            left = conn.execute(text("SELECT proname FROM pg_proc WHERE proname LIKE 'flare_%'"))
            assert list(left) == []
    upgrade(engine)
    _assert_at_head(engine)


def downgrade_to_the_squash(engine: Engine) -> None:
    """The schema a database had at the pre-squash head: the initial revision's."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, INITIAL)
        connection.execute(text("UPDATE alembic_version SET version_num = '0012'"))


def test_a_database_at_the_head_before_the_squash_is_restamped_not_rebuilt(
    engine: Engine,
) -> None:
    downgrade_to_the_squash(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": "a"})
    upgrade(engine)
    _assert_at_head(engine)
    with engine.connect() as conn:  # the data stayed: nothing was dropped and made again
        assert conn.execute(text("SELECT hash FROM audit_head")).scalar() == "a"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database with nothing in it: no tables, no alembic_version."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    else:
        engine = make_engine(request.getfixturevalue("pg_url"))
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    assert inspect(engine).get_table_names() == []
    yield engine
    engine.dispose()


def _flare_db_upgrade(engine: Engine, tmp_path: Path, *args: str) -> list[Result]:
    """`flare db upgrade` twice, as an operator runs it in production."""
    env = {
        "FLARE_ENV": "production",
        "FLARE_PUBLIC_URL": "https://flare.example",
        "FLARE_MASTER_KEYS": generate_master_key_spec("prod1"),
        "FLARE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "FLARE_VAR_DIR": str(tmp_path / "var"),
    }
    try:
        return [
            CliRunner().invoke(main, ["db", "upgrade", *args], env=env, catch_exceptions=False)
            for _ in range(2)
        ]
    finally:
        structlog.reset_defaults()


def test_flare_db_upgrade_builds_an_empty_production_database(
    empty_database: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    first, again = _flare_db_upgrade(empty_database, tmp_path)
    assert first.exit_code == 0, first.output
    assert first.stdout.strip().endswith("is at head")
    assert again.exit_code == 0, again.output  # a second run has nothing to do
    _assert_at_head(empty_database)


@pytest.mark.parametrize("stamp", ["0009", "9999"])
def test_a_revision_this_release_does_not_know_stops_flare_db_upgrade_in_one_line(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stamp: str
) -> None:
    """An older revision from before the squash, or one a newer release made."""
    monkeypatch.chdir(tmp_path)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": stamp})
    result, _ = _flare_db_upgrade(engine, tmp_path)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"flare: the database is at revision {stamp}, which this release does not know: a "
        "newer release migrated it, or it predates the squash into 0001 (upgrade it to 0012 "
        "with an earlier release first)"
    ]
    assert schema_heads(engine) == frozenset({stamp})  # nothing changed


def test_flare_db_upgrade_to_a_revision_that_does_not_exist_is_one_line(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result, _ = _flare_db_upgrade(engine, tmp_path, "--revision", "0012")
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("flare: cannot upgrade to 0012: ")
    _assert_at_head(engine)
