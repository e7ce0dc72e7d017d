"""kill -9 during fan-out: a real `flare worker` against the fake Slack API, killed 20 times.

Each run raises a concern for eleven recipients, starts `flare worker`, waits for a random
number of its chat.postMessage calls to arrive (some answered slowly, so the kill often lands
between Slack accepting a message and the worker recording it) and sends SIGKILL. The next
run's worker is the restart: it finds the lapsed leases, asks Slack (conversations.history,
message metadata) whether each message landed, and sends only what did not. At the end every
recipient has exactly one pointer per concern.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from handlers.deadlines import WorkingCalendar
from store import audit
from store.crypto import KeyRing, generate_master_key_spec
from store.db import session_factory
from store.models import OutboxMessage
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock, UowFactory
from tests.directory import seed_directory
from tests.follow.conftest import PYTHON, ROOT, python_env
from tests.follow.flows import raise_one
from tests.follow.slack_env import add_network_members, everyone_on_slack, landed
from tests.slack.conftest import BOT_TOKEN, TEAM
from tests.slack.fake_api import FakeSlackAPI

RUNS = int(os.environ.get("FLARE_CRASH_RUNS", "20"))
RECIPIENTS = 11  # lead, deputy, one member and eight more members of C-1001

pytestmark = pytest.mark.postgres


def worker_env(database_url: str, keys: str, slack: FakeSlackAPI, var: Path) -> dict[str, str]:
    env = python_env()
    env.update(
        FLARE_ENV="production",  # no schema upgrade at each start; a current schema is checked
        FLARE_DATABASE_URL=database_url,
        FLARE_MASTER_KEYS=keys,
        FLARE_VAR_DIR=str(var),
        FLARE_PUBLIC_URL="https://flare.test",
        FLARE_OUTBOX_LEASE_SECONDS="1",
        FLARE_OUTBOX_INTERVAL_SECONDS="0.1",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET="test-signing-secret",
        SLACK_API_URL=slack.url,
    )
    return env


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`flare worker` as a fresh interpreter, through its real entry point."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [PYTHON, "-m", "bot.cli", "worker", "--no-sweeps"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _worker_main(env: dict[str, str], log: str) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.environ.clear()
    os.environ.update(env)
    from bot.cli import main

    try:
        main(["worker", "--no-sweeps"], standalone_mode=False)
    finally:
        os._exit(0)


def fork_worker(env: dict[str, str], log: Path) -> multiprocessing.process.BaseProcess:
    """`flare worker` in a forked process: the same command, without 20 interpreter starts.

    The child builds its own runtime (engine, pool, Slack client) from the environment;
    nothing of the parent's is used, so SIGKILL hits a real, independent process.
    """
    process = multiprocessing.get_context("fork").Process(
        target=_worker_main, args=(env, str(log)), daemon=False
    )
    process.start()
    return process


def unsent(uow_factory: UowFactory) -> int:
    with uow_factory() as uow:
        return (
            uow.session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state != "sent")
            )
            or 0
        )


def test_kill_9_during_fan_out_then_restart(pg_engine: Engine, pg_url: str, tmp_path: Path) -> None:
    keys = generate_master_key_spec("crash")
    sessions = session_factory(pg_engine)
    ring = KeyRing.parse(keys)

    def uow_factory() -> UnitOfWork:
        return UnitOfWork(sessions, ring)

    clock = FakeClock()
    rng = random.Random(int(os.environ.get("FLARE_CRASH_SEED", "7")))
    with FakeSlackAPI() as slack:
        slack.add_team(TEAM, token=BOT_TOKEN)
        d = seed_directory(uow_factory, clock.now())
        everyone_on_slack(uow_factory, slack)
        add_network_members(uow_factory, slack, d, client="C-1001", count=8)
        slack.fail("chat.postMessage", delay=0.04, times=RUNS * RECIPIENTS * 3)
        env = worker_env(pg_url, keys, slack, tmp_path)
        started = time.monotonic()
        kills: list[int] = []
        marks: list[float] = []
        for run in range(RUNS):
            raise_one(uow_factory, clock, d, key=f"run-{run}", calendar=WorkingCalendar.uk())
            before = len(slack.calls("chat.postMessage"))
            target = before + rng.randint(1, RECIPIENTS - 1)
            worker = fork_worker(env, tmp_path / "worker.log")
            deadline = time.monotonic() + 30
            while len(slack.calls("chat.postMessage")) < target:
                assert worker.is_alive(), (tmp_path / "worker.log").read_text()[-2000:]
                assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-2000:]
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.04))  # mid-request, or just after an answer
            assert worker.pid is not None
            os.kill(worker.pid, signal.SIGKILL)
            worker.join(timeout=10)
            assert worker.exitcode == -signal.SIGKILL
            kills.append(len(slack.calls("chat.postMessage")) - before)
            marks.append(round(time.monotonic() - started, 1))

        final = start_worker(env, tmp_path / "worker.log")  # the restart: a fresh interpreter
        deadline = time.monotonic() + 60
        while unsent(uow_factory) and time.monotonic() < deadline:
            time.sleep(0.1)
        final.send_signal(signal.SIGTERM)
        assert final.wait(timeout=20) == 0
        elapsed = time.monotonic() - started

        with uow_factory() as uow:
            rows = uow.session.execute(
                select(OutboxMessage.id, OutboxMessage.recipient_id, OutboxMessage.state)
            ).all()
            chain = audit.verify(uow.session)
        counts = landed(slack)
        per_recipient = Counter(recipient for _id, recipient, _state in rows)
        per_channel = {ch: len(msgs) for ch, msgs in slack.state.messages.items()}
        duplicates = sum(n - 1 for n in counts.values() if n > 1)
        lost = sum(1 for row_id, _r, _s in rows if counts.get(row_id, 0) == 0)
        lookups = len(slack.calls("conversations.history"))
        print(
            f"\nkill -9: {RUNS} runs, posts seen before each kill {kills}, {len(rows)} pointers, "
            f"{duplicates} duplicates, {lost} lost, {lookups} reconcile look-ups, {elapsed:.1f}s "
            f"(kills at {marks})"
        )
        assert len(rows) == RUNS * RECIPIENTS
        assert {state for _i, _r, state in rows} == {"sent"}
        assert duplicates == 0 and lost == 0
        # every recipient's DM holds exactly one message per concern, and nothing else
        assert sorted(per_channel.values()) == sorted(per_recipient.values())
        assert set(per_recipient.values()) == {RUNS}
        assert chain.ok
