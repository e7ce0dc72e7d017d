"""Run Alembic migrations from code (used by `flare db upgrade` and the tests).

The history is one initial revision, `0001`: everything before 2026-11-28 was squashed into
it while no production database existed. A database stamped with the last head before the
squash (`0012`) already has 0001's schema, so upgrading re-stamps it instead of failing to
find a revision that no longer exists.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, text

MIGRATIONS = Path(__file__).parent / "migrations"
INITIAL = "0001"
HEAD_BEFORE_SQUASH = "0012"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        _adopt_squashed_history(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _adopt_squashed_history(connection: Connection) -> None:
    """A database at the pre-squash head has the initial revision's schema: stamp it so."""
    if MigrationContext.configure(connection).get_current_heads() == (HEAD_BEFORE_SQUASH,):
        connection.execute(
            text("UPDATE alembic_version SET version_num = :initial"), {"initial": INITIAL}
        )
