"""A worker process for the exactly-once tests: the real outbox sweep, a file as the chat.

    python -m tests.follow.claim_worker DATABASE_URL MASTER_KEYS OUT_FILE

Runs `deliver_due` until the outbox has nothing pending or in flight. Its notifier appends
one line per send ("<outbox id> <pid>") to OUT_FILE with O_APPEND (atomic for short lines),
and `find` reads that file back — the same reconcile-before-resend as a real platform.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from handlers.outbox.delivery import OutboxPolicy, deliver_due
from handlers.ports import MessageRef, Pointer, SendResult, Sent
from handlers.values import Platform
from store.crypto import KeyRing
from store.db import make_engine, session_factory
from store.models import OutboxMessage
from store.unit_of_work import UnitOfWork


class FileNotifier:
    platform = Platform.PLAYGROUND

    def __init__(self, path: str) -> None:
        self._path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def send(self, pointer: Pointer) -> SendResult:
        os.write(self._fd, f"{pointer.idempotency_key} {os.getpid()}\n".encode())
        return Sent(MessageRef({"id": pointer.idempotency_key}))

    def find(self, pointer: Pointer) -> MessageRef | None:
        with open(self._path, encoding="ascii") as fh:
            for line in fh:
                if line.split(" ", 1)[0] == pointer.idempotency_key:
                    return MessageRef({"id": pointer.idempotency_key})
        return None


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class Minter:
    def mint(self) -> str:
        return "unused"

    def url(self, token: str) -> str:
        return f"https://flare.test/l/{token}"


def main(url: str, keys: str, out: str) -> None:
    engine = make_engine(url)
    sessions = session_factory(engine)
    ring = KeyRing.parse(keys)

    def uow() -> UnitOfWork:
        return UnitOfWork(sessions, ring)

    notifier = FileNotifier(out)
    policy = OutboxPolicy(batch=200, record_every=100, lease=timedelta(seconds=2))
    idle_since: float | None = None
    while True:
        try:
            report = deliver_due(uow, {Platform.PLAYGROUND: notifier}, Minter(), Clock(), policy)
            if report.claimed:
                idle_since = None
                continue
            with uow() as u:
                left = u.session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.state.in_(("pending", "sending")))
                )
        except Exception as exc:  # the database restarting: wait and go on
            print(f"worker {os.getpid()}: {type(exc).__name__}", file=sys.stderr, flush=True)
            time.sleep(0.2)
            continue
        if not left:
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since > 0.5:
                return
        time.sleep(0.05)


if __name__ == "__main__":
    main(*sys.argv[1:4])
