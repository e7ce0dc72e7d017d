"""Run Alembic migrations from code (used by `flare db upgrade` and the tests).

The history is one initial revision, `0001`: everything before 2026-11-28 was squashed into
it while no production database existed. A database stamped with the last head before the
squash (`0012`) already has 0001's schema, so upgrading re-stamps it instead of failing to
find a revision that no longer exists. Any other revision this release does not know (an
older one from before the squash, or one a newer release made) stops the upgrade with
`UnknownRevision`, before anything changes.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

MIGRATIONS = Path(__file__).parent / "migrations"
INITIAL = "0001"
HEAD_BEFORE_SQUASH = "0012"
# The ids squashed away: a new revision never takes one, so no old stamp reads as a new one.
SQUASHED = frozenset({"0002", "0006", "0008", "0009", "0010", "0011", HEAD_BEFORE_SQUASH})


class UnknownRevision(Exception):
    """The database is stamped with a revision that these migrations do not contain."""


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        _adopt_squashed_history(connection)
        _refuse_unknown_revisions(connection, ScriptDirectory.from_config(config))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _adopt_squashed_history(connection: Connection) -> None:
    """A database at the pre-squash head has the initial revision's schema: stamp it so."""
    if MigrationContext.configure(connection).get_current_heads() == (HEAD_BEFORE_SQUASH,):
        connection.execute(
            text("UPDATE alembic_version SET version_num = :initial"), {"initial": INITIAL}
        )


def _refuse_unknown_revisions(connection: Connection, scripts: ScriptDirectory) -> None:
    known = {script.revision for script in scripts.walk_revisions()}
    for current in MigrationContext.configure(connection).get_current_heads():
        if current not in known:
            raise UnknownRevision(
                f"the database is at revision {current}, which this release does not know: "
                f"a newer release migrated it, or it predates the squash into {INITIAL} "
                f"(upgrade it to {HEAD_BEFORE_SQUASH} with an earlier release first)"
            )
