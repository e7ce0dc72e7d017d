"""Platform deliveries recorded for de-duplication, many requests to one statement.

A burst of Slack commands arrives at once, and each must be recorded (replay and retry
checks) before its ack. Recorded one by one, each request pays a pool checkout, a ping and
an INSERT, and under a burst it is those round trips, each a wait for the GIL on the way
back, that delay the ack. The ledger's one thread takes whatever requests are waiting and
records all their keys in one INSERT ... ON CONFLICT DO NOTHING (group commit, as a
database does with its log).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine

from store.repositories.inbound import record_inbound

Key = tuple[str, str]

BATCH_LIMIT = 200
# Only a safety net for a ledger thread that died: a slow database is waited for, since a
# caller that gave up while its keys were still being recorded would see its delivery
# dropped as a duplicate when Slack retried it.
WAIT_SECONDS = 60.0


@dataclass
class _Request:
    keys: list[Key]
    done: threading.Event = field(default_factory=threading.Event)
    seen: list[Key] = field(default_factory=list)
    error: BaseException | None = None


class InboundLedger:
    """`seen_before(keys)` for concurrent callers; its thread stops after `idle_seconds`."""

    def __init__(self, engine: Engine, *, idle_seconds: float = 30.0) -> None:
        self._engine = engine
        self._idle_seconds = idle_seconds
        self._queue: queue.SimpleQueue[_Request] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running = False

    def seen_before(self, keys: Sequence[Key]) -> list[Key]:
        """Record the keys; those already recorded (by an earlier caller, or earlier in the
        same batch). Raises what the database raised."""
        if not keys:
            return []
        request = _Request(list(keys))
        with self._lock:
            self._queue.put(request)
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name="flare-inbound", daemon=True).start()
        if not request.done.wait(WAIT_SECONDS):
            raise TimeoutError("the inbound ledger did not answer")
        if request.error is not None:
            raise request.error
        return request.seen

    @property
    def running(self) -> bool:
        return self._running

    @property
    def waiting(self) -> int:
        """Requests queued behind the statement in flight."""
        return self._queue.qsize()

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self._idle_seconds)
            except queue.Empty:
                # A caller that queued meanwhile saw _running and started no thread: go on.
                with self._lock:
                    if self._queue.empty():
                        self._running = False
                        return
                continue
            batch = [first]
            while len(batch) < BATCH_LIMIT:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._record(batch)

    def _record(self, batch: list[_Request]) -> None:
        unique = list(dict.fromkeys(key for request in batch for key in request.keys))
        try:
            recorded = set(unique) - set(record_inbound(self._engine, unique))
        except Exception as exc:  # every caller of this batch gets the error, none hangs
            for request in batch:
                request.error = exc
                request.done.set()
            return
        claimed: set[Key] = set()
        for request in batch:  # in arrival order: the first to bring a new key owns it
            request.seen = [k for k in request.keys if k not in recorded or k in claimed]
            claimed.update(k for k in request.keys if k in recorded)
            request.done.set()
