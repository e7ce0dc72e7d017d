"""The de-duplication keys of platform deliveries: derived here, and forgotten when old.

`inbound_key` is the one way a platform's delivery id (a Slack event or trigger id or
request signature, a Bot Framework activity id) becomes the key stored for it: the id
itself when it fits, else its SHA-256, so two long ids never collide on a common prefix.
Every platform records its keys through it.

A key only has to outlive the retries and replays it guards against: Slack refuses a
signature older than 5 minutes and retries an event for about an hour; a doubled web or
Teams submission arrives within seconds. Kept for a week, then deleted in batches, so the
table does not grow for ever. The keys are ids and signatures, never content.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from handlers.ports import Clock
from handlers.values import Platform
from store.unit_of_work import UnitOfWork

KEEP = timedelta(days=7)
BATCH = 1_000
INBOUND_KEY_MAX = 200  # InboundEvent.key


def inbound_key(raw: str) -> str:
    """A platform delivery id as stored: itself when it fits, else its SHA-256."""
    if len(raw) <= INBOUND_KEY_MAX:
        return raw
    return "sha256:" + hashlib.sha256(raw.encode()).hexdigest()


def first_delivery(uow: UnitOfWork, *, platform: Platform, key: str) -> bool:
    """Record an inbound delivery; False when it was seen before (a retry to drop)."""
    with uow:
        try:
            fresh = uow.inbound.first_time(platform.value, inbound_key(key))
            uow.commit()
        except IntegrityError:  # a concurrent retry recorded it first
            return False
        return fresh


@dataclass(frozen=True)
class ForgottenDeliveries:
    forgotten: int


def forget_old_deliveries(
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    *,
    keep: timedelta = KEEP,
    batch: int = BATCH,
) -> ForgottenDeliveries:
    """Delete keys received more than `keep` ago, one committed batch at a time."""
    cutoff = clock.now() - keep
    total = 0
    while True:
        with uow_factory() as uow:
            gone = uow.inbound.forget_received_before(cutoff, batch)
            uow.commit()
        total += gone
        if gone < batch:
            return ForgottenDeliveries(total)
