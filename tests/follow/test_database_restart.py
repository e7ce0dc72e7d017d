"""PostgreSQL restarted mid-run: `flare worker` reconnects and finishes; nothing lost or doubled.

The test makes its own throwaway cluster (`pg_createcluster`, a free port) and restarts that
one with `pg_ctlcluster <version> flaretest<pid> restart`, so the shared cluster other test
databases live in is never interrupted.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from handlers.deadlines import WorkingCalendar
from store import audit
from store.crypto import KeyRing, generate_master_key_spec
from store.db import make_engine, session_factory
from store.migrate import upgrade
from store.models import OutboxMessage
from store.unit_of_work import UnitOfWork
from tests.conftest import IN_CI, FakeClock
from tests.directory import seed_directory
from tests.follow.flows import raise_one
from tests.follow.slack_env import add_network_members, everyone_on_slack, landed
from tests.follow.test_crash import start_worker, worker_env
from tests.slack.conftest import BOT_TOKEN, TEAM
from tests.slack.fake_api import FakeSlackAPI


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Per run: several checkouts may run this suite at once on one machine.
CLUSTER, PORT = f"flaretest{os.getpid()}", _free_port()
CONCERNS = 10

pytestmark = pytest.mark.postgres


def _version() -> str:
    return sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]


def _cluster(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=120)


@pytest.fixture
def own_cluster() -> Iterator[str]:
    """A private PostgreSQL cluster with trust auth on 127.0.0.1:PORT, dropped afterwards."""
    if not shutil.which("pg_createcluster") or not Path("/etc/postgresql").is_dir():
        if IN_CI:
            pytest.fail("pg_createcluster is required in CI for the database restart test")
        pytest.skip("needs Debian's postgresql-common (pg_createcluster)")
    version = _version()
    subprocess.run(["pg_dropcluster", version, CLUSTER, "--stop"], capture_output=True, timeout=60)
    _cluster(
        "pg_createcluster", version, CLUSTER, "-p", str(PORT), "--start",
        "--", "--auth=trust",
    )  # fmt: skip
    try:
        yield f"postgresql://postgres@127.0.0.1:{PORT}/postgres"
    finally:
        _cluster("pg_dropcluster", version, CLUSTER, "--stop")


def test_worker_survives_a_database_restart(own_cluster: str, tmp_path: Path) -> None:
    engine = make_engine(own_cluster)
    upgrade(engine)
    keys = generate_master_key_spec("restart")
    sessions = session_factory(engine)
    ring = KeyRing.parse(keys)

    def uow_factory() -> UnitOfWork:
        return UnitOfWork(sessions, ring)

    def states() -> dict[str, int]:
        with uow_factory() as uow:
            return dict(
                uow.session.execute(
                    select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
                ).all()
            )

    clock = FakeClock()
    with FakeSlackAPI() as slack:
        slack.add_team(TEAM, token=BOT_TOKEN)
        d = seed_directory(uow_factory, clock.now())
        everyone_on_slack(uow_factory, slack)
        add_network_members(uow_factory, slack, d, client="C-1001", count=20)
        for n in range(CONCERNS):
            raise_one(uow_factory, clock, d, key=f"r{n}", calendar=WorkingCalendar.uk())
        total = sum(states().values())
        slack.fail("chat.postMessage", delay=0.02, times=total * 2)  # a steady pace

        log = tmp_path / "worker.log"
        worker = start_worker(worker_env(own_cluster, keys, slack, tmp_path), log)
        deadline = time.monotonic() + 60
        while len(landed(slack)) < total // 3:
            assert worker.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.01)
        at_restart = len(landed(slack))
        started = time.monotonic()
        _cluster("pg_ctlcluster", "--skip-systemctl-redirect", _version(), CLUSTER, "restart")
        restarted_in = time.monotonic() - started
        engine.dispose()  # this process's pooled connections died with the old server

        deadline = time.monotonic() + 90
        while states().get("sent", 0) < total and time.monotonic() < deadline:
            assert worker.poll() is None, log.read_text()[-2000:]
            time.sleep(0.2)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) == 0
        finished_in = time.monotonic() - started

        counts = landed(slack)
        failures = log.read_text().count("sweep.failed")
        with uow_factory() as uow:
            ids = set(uow.session.scalars(select(OutboxMessage.id)))
            assert audit.verify(uow.session).ok
        engine.dispose()
        duplicates = sum(n - 1 for n in counts.values() if n > 1)
        lost = len(ids - set(counts))
        print(
            f"\nPostgreSQL restart: {total} pointers, {at_restart} sent before the restart "
            f"({restarted_in:.1f}s), {failures} failed sweeps logged, all sent "
            f"{finished_in:.1f}s after it, {duplicates} duplicates, {lost} lost"
        )
        assert states() == {"sent": total}
        assert duplicates == 0 and lost == 0 and len(counts) == total
        assert failures >= 1  # the worker did see the database go away
