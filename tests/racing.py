"""Two submissions of one form racing to commit, made deterministic.

`RacingClock` runs the other submission the first time raising reads the clock: after it has
looked for an earlier submission and before it writes, the window two concurrent submissions
share. Only PostgreSQL lets them race: SQLite's one writer (BEGIN IMMEDIATE) makes the second
wait for the first, so `postgres_units_of_work` gives a fresh PostgreSQL schema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from store.crypto import KeyRing
from store.db import make_engine, session_factory
from store.migrate import upgrade
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock

Factory = Callable[[], UnitOfWork]


@dataclass
class RacingClock(FakeClock):
    """A clock whose first reading lets another submission of the same form commit first."""

    races: list[Callable[[], object]] = field(default_factory=list)
    outcomes: list[object] = field(default_factory=list)

    def now(self) -> datetime:
        if self.races:
            self.outcomes.append(self.races.pop()())
        return super().now()


@contextmanager
def postgres_units_of_work(pg_url: str, ring: KeyRing) -> Iterator[Factory]:
    engine = make_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    upgrade(engine)
    sessions = session_factory(engine)
    try:
        yield lambda: UnitOfWork(sessions, ring)
    finally:
        engine.dispose()
