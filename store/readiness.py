"""Is this store fit to serve? The three checks behind `/readyz`.

A replica that cannot reach its database, runs against a schema older or newer than its code,
or holds a key ring that cannot open the data it would be asked to show must leave the load
balancer's rotation: it would answer every sign-in with an error page.
"""

from __future__ import annotations

from functools import cache

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import SQLAlchemyError

from store.crypto import CryptoError, KeyRing
from store.migrate import alembic_config
from store.models import DataKey

NOT_REACHABLE = "database_unreachable"
SCHEMA_NOT_AT_HEAD = "schema_not_at_head"
KEY_CANNOT_UNWRAP = "master_key_cannot_unwrap"


@cache
def migration_heads() -> frozenset[str]:
    """The heads the code expects: read from the migration scripts once per process."""
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def schema_heads(engine: Engine) -> frozenset[str]:
    with engine.connect() as conn:
        return frozenset(MigrationContext.configure(conn).get_current_heads())


def schema_is_current(engine: Engine) -> bool:
    return schema_heads(engine) == migration_heads()


def _newest_wrapped_key(engine: Engine, ring: KeyRing) -> tuple[str, str, bytes] | None:
    """The newest live data key under the active master key, else the newest live one."""
    newest = (
        select(DataKey.id, DataKey.master_kid, DataKey.wrapped)
        .where(DataKey.wrapped.is_not(None))
        .order_by(DataKey.created_at.desc(), DataKey.id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        for query in (newest.where(DataKey.master_kid == ring.active_kid), newest):
            row = conn.execute(query).first()
            if row is not None:
                return row.id, row.master_kid, row.wrapped
    return None


def keys_open(engine: Engine, ring: KeyRing) -> bool:
    """The ring unwraps a known data key (true when there is none yet: nothing to open)."""
    key = _newest_wrapped_key(engine, ring)
    if key is None:
        return True
    key_id, kid, wrapped = key
    try:
        ring.unwrap(kid, wrapped, key_id=key_id)
    except CryptoError:
        return False
    return True


def not_ready_reason(engine: Engine, ring: KeyRing) -> str | None:
    """None when ready; otherwise a short, non-sensitive reason code."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        if not schema_is_current(engine):
            return SCHEMA_NOT_AT_HEAD
        if not keys_open(engine, ring):
            return KEY_CANNOT_UNWRAP
    except SQLAlchemyError:
        return NOT_REACHABLE
    return None
