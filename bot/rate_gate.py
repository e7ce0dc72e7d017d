"""One call at a time per shared platform rate-limit bucket, and none before its Retry-After.

The outbox sends to different recipients side by side (handlers/outbox/sending.py). Calls
that draw on one bucket shared by every recipient — Slack's `conversations.open` and
`conversations.history` per workspace (Tier 3), the Bot Connector per app and tenant — queue
here instead, so a 429 is seen before the next call on that bucket goes out, and a call that
was waiting behind it is told to wait as well rather than sent early: a 429 is never ignored.
Calls on a recipient's own bucket (Slack's `chat.postMessage` per channel) need no gate: one
recipient's pointers are sent one after another.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class _Bucket:
    lock: threading.Lock = field(default_factory=threading.Lock)
    not_before: datetime = EPOCH


@dataclass(frozen=True)
class Turn:
    """A caller's turn on one bucket: ask `wait()` first, report a 429 with `refused`."""

    _bucket: _Bucket
    _now: Callable[[], datetime]

    def wait(self) -> float | None:
        """Seconds still to wait out a Retry-After on this bucket, or None to go ahead."""
        left = (self._bucket.not_before - self._now()).total_seconds()
        return left if left > 0 else None

    def refused(self, after: float) -> None:
        """The platform answered 429 with Retry-After `after` seconds."""
        until = self._now() + timedelta(seconds=after)
        self._bucket.not_before = max(self._bucket.not_before, until)


class RateGate:
    """Buckets by key (a few per workspace or tenant); one turn at a time on each. `now` is
    the notifier's clock (the outbox's), so a Retry-After is measured as the outbox measures it."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    @contextmanager
    def turn(self, key: str) -> Iterator[Turn]:
        with self._lock:
            bucket = self._buckets.setdefault(key, _Bucket())
        with bucket.lock:
            yield Turn(bucket, self._now)
