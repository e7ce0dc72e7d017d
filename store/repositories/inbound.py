"""Inbound platform deliveries seen, so a platform's retry is dropped, not handled twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from store.models import InboundEvent, new_id, utcnow


def _record_inbound(insert: Any) -> Any:
    table = InboundEvent.__table__
    return (
        insert(table)
        .on_conflict_do_nothing(index_elements=["platform", "key"])
        .returning(table.c.platform, table.c.key)
    )


_RECORD_INBOUND = {
    "postgresql": _record_inbound(pg_insert),
    "sqlite": _record_inbound(sqlite_insert),
}


class InboundRepository:
    """Seen platform deliveries, for de-duplicating retries."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def first_time(self, platform: str, key: str) -> bool:
        """Record the key; False when it was already seen (the caller drops the retry)."""
        return not self.seen_before([(platform, key)])

    def forget_received_before(self, cutoff: datetime, limit: int) -> int:
        """Delete up to `limit` keys recorded before `cutoff`; how many went."""
        oldest = (
            select(InboundEvent.id)
            .where(InboundEvent.received_at < cutoff)
            .order_by(InboundEvent.received_at)
            .limit(limit)
        )
        ids = list(self._s.scalars(oldest))
        if ids:
            self._s.execute(delete(InboundEvent).where(InboundEvent.id.in_(ids)))
        return len(ids)

    def seen_before(self, keys: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        """Record every (platform, key) in one statement; those that were already there.

        One INSERT ... ON CONFLICT DO NOTHING: a platform's request path pays one round trip,
        and a concurrent retry of the same delivery waits for the first one's transaction
        instead of failing on the unique constraint.
        """
        if not keys:
            return []
        return _seen_before(self._s.connection(), keys)


def record_inbound(engine: Engine, keys: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """`seen_before` as a transaction of its own, for a platform's request path.

    On PostgreSQL the one statement is autocommitted: no BEGIN and COMMIT round trips before
    Slack's ack. SQLite keeps its BEGIN IMMEDIATE (a local file; nothing to save).
    """
    if not keys:
        return []
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return _seen_before(conn, keys)
    with engine.begin() as conn:
        return _seen_before(conn, keys)


def _seen_before(conn: Connection, keys: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    now = utcnow()
    rows = [{"id": new_id(), "platform": p, "key": k, "received_at": now} for p, k in keys]
    # Rows as parameters, not in .values(): the statement stays one cached compilation.
    result = conn.execute(_RECORD_INBOUND[conn.dialect.name], rows)
    recorded = {(row.platform, row.key) for row in result}
    return [pair for pair in keys if pair not in recorded]
