"""Many replicas: two worker processes over 10,000 due outbox items on PostgreSQL."""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from store import audit
from store.crypto import KeyRing
from store.db import session_factory
from store.models import AuditEvent, OutboxMessage
from tests.follow.conftest import PYTHON, ROOT, python_env, seed_outbox

ITEMS = 10_000

pytestmark = pytest.mark.postgres


def test_two_worker_processes_handle_every_item_exactly_once(
    pg_engine: Engine, pg_url: str, ring: KeyRing, tmp_path: Path
) -> None:
    from store.crypto import generate_master_key_spec

    ids = seed_outbox(pg_engine, ITEMS)
    out = tmp_path / "sent.log"
    out.touch()
    keys = generate_master_key_spec("workers")
    started = time.monotonic()
    workers = [
        subprocess.Popen(
            [PYTHON, "-m", "tests.follow.claim_worker", pg_url, keys, str(out)],
            cwd=ROOT,
            env=python_env(),
        )
        for _ in range(2)
    ]
    for worker in workers:
        assert worker.wait(timeout=240) == 0
    elapsed = time.monotonic() - started

    lines = [line.split() for line in out.read_text().splitlines()]
    sends = Counter(key for key, _pid in lines)
    by_worker = Counter(pid for _key, pid in lines)
    duplicates = sum(n - 1 for n in sends.values() if n > 1)
    missed = len(set(ids) - set(sends))
    print(
        f"\n{ITEMS} items, 2 worker processes: {by_worker.most_common()} sends per worker, "
        f"{duplicates} duplicates, {missed} missed, {elapsed:.1f}s"
    )
    assert duplicates == 0 and missed == 0 and set(sends) == set(ids)
    assert len(by_worker) == 2  # both workers took a share
    with session_factory(pg_engine)() as session:
        states = dict(
            session.execute(
                select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
            ).all()
        )
        assert states == {"sent": ITEMS}
        delivered = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "pointer.delivered")
        )
        assert delivered == ITEMS
        assert audit.verify(session).ok  # the chain stayed linear under two writers
