"""Claiming rows for a sweep: locked on PostgreSQL, skipping what another replica holds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session


def claimable(session: Session, stmt: Select[Any], *, of: Any = None) -> Select[Any]:
    """Lock the rows a sweep picks, skipping rows another replica holds (PostgreSQL).

    SQLite has no row locks; its writers are serialised by BEGIN IMMEDIATE, so one process
    at a time runs a sweep there (the documented single-process deployment).
    """
    if session.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=True, of=of)
    return stmt
