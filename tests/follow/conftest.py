"""Fixtures for the follow-through tests that run worker processes against PostgreSQL."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

from store.db import make_engine
from store.migrate import upgrade
from store.models import Organisation, OutboxMessage, Practitioner, new_id

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """A fresh schema in the session's throwaway PostgreSQL database."""
    engine = make_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    upgrade(engine)
    yield engine
    engine.dispose()


def seed_outbox(engine: Engine, items: int, *, recipients: int = 50) -> list[str]:
    """`items` due pointers (admin notices) to `recipients` practitioners; returns their ids."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        org = new_id()
        conn.execute(insert(Organisation), [{"id": org, "ref": "org", "name": "Org"}])
        people = [new_id() for _ in range(recipients)]
        conn.execute(
            insert(Practitioner),
            [
                {"id": p, "ref": f"p{n}", "organisation_id": org, "name": f"P {n}"}
                for n, p in enumerate(people)
            ],
        )
        ids = [new_id() for _ in range(items)]
        conn.execute(
            insert(OutboxMessage),
            [
                {
                    "id": i,
                    "idempotency_key": f"item:{n}",
                    "recipient_id": people[n % recipients],
                    "platform": "playground",
                    "kind": "admin_alert",
                    "detail": {"link": False},
                    "state": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for n, i in enumerate(ids)
            ],
        )
    return ids


def python_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLARE_", "SLACK_"))}
    env["PYTHONPATH"] = str(ROOT)
    return env


PYTHON = sys.executable
