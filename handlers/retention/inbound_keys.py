"""Forget the de-duplication keys of old platform deliveries.

A key only has to outlive the retries and replays it guards against: Slack refuses a
signature older than 5 minutes and retries an event for about an hour; a doubled web or
Teams submission arrives within seconds. Kept for a week, then deleted in batches, so the
table does not grow for ever. The keys are ids and signatures, never content.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from handlers.ports import Clock
from store.unit_of_work import UnitOfWork

KEEP = timedelta(days=7)
BATCH = 1_000


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
