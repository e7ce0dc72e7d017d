"""The statements a sweep runs, timed, and the plan PostgreSQL chose for each."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import Engine, event

# A locking clause, with its tables and wait policy: FOR UPDATE [OF t, ...] [SKIP LOCKED|NOWAIT]
LOCKING = re.compile(r"\s+FOR (?:NO KEY )?UPDATE(?: OF [\w, ]+?)?(?: SKIP LOCKED| NOWAIT)?\s*$")

LARGE = (
    "clients", "client_identifiers", "memberships", "concerns", "deliveries", "outbox",
    "follow_ups", "audit_events", "data_keys", "links",
)  # fmt: skip


def seq_scans(plan: str) -> list[str]:
    """The large tables a plan reads whole."""
    return sorted({t for t in LARGE if f"Seq Scan on {t} " in plan})


@dataclass
class Statement:
    sql: str
    runs: int = 0
    seconds: float = 0.0
    plan: str = ""


class Explainer:
    """Times each statement on the engine; explains each new SELECT on a side connection."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.statements: dict[str, Statement] = {}
        self.explain_seconds = 0.0
        self.active = False
        self._side = psycopg.connect(url, autocommit=True)
        self._started: dict[int, float] = {}
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, sql: str, params: Any, *_a: Any) -> None:
        if not self.active:
            return
        found = self.statements.get(sql)
        if found is None:
            found = self.statements[sql] = Statement(sql)
            # Only queries: a function call (the audit head's flare_audit_*) takes locks, and
            # from the side connection it would wait for the sweep's own transaction.
            if sql.lstrip().upper().startswith("SELECT") and "flare_audit_" not in sql:
                t0 = time.perf_counter()
                found.plan = self._explain(sql, params)
                self.explain_seconds += time.perf_counter() - t0
        self._started[id(cursor)] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, sql: str, *_a: Any) -> None:
        started = self._started.pop(id(cursor), None)
        if started is not None and sql in self.statements:
            self.statements[sql].runs += 1
            self.statements[sql].seconds += time.perf_counter() - started

    def _explain(self, sql: str, params: Any) -> str:
        # FOR UPDATE would wait on the sweep's own locks from another connection; the plan is
        # the same without it.
        plain = LOCKING.sub("", sql)
        try:
            rows = self._side.execute(f"EXPLAIN (ANALYZE, BUFFERS) {plain}", params).fetchall()
        except psycopg.Error as exc:
            return f"(not explained: {type(exc).__name__})"
        return "\n".join(str(r[0]) for r in rows)

    @contextmanager
    def watching(self) -> Iterator[None]:
        self.statements, self.explain_seconds, self.active = {}, 0.0, True
        try:
            yield
        finally:
            self.active = False

    def costliest(self, count: int = 3) -> list[Statement]:
        """The sweep's claim (the statement with a LIMIT), then its costliest other SELECTs."""
        chosen = [s for s in self.statements.values() if s.plan]
        chosen.sort(key=lambda s: (" LIMIT " not in s.sql, -s.seconds))
        return chosen[:count]

    def close(self) -> None:
        self._side.close()
