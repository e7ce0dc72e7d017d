"""A sweep works through due rows a locked batch at a time, each batch its own transaction.

The claim query locks what it returns (SKIP LOCKED on PostgreSQL: `store.repositories.claims`), so
replicas sweeping at once take different rows; committing each batch lets the next claim see
what this one moved on (a row acted on is no longer due), and a crash loses one batch at most.
A batch shorter than asked for means nothing due is left.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from handlers.ports import Clock
from store.unit_of_work import UnitOfWork

Row = TypeVar("Row")


def sweep_in_batches(
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    *,
    claim: Callable[[UnitOfWork, datetime, int], Sequence[Row]],
    act: Callable[[UnitOfWork, Row, datetime], None],
    batch: int,
) -> int:
    """Claim up to `batch` rows due now, act on each, commit; repeat until a short batch.

    `claim(uow, now, limit)` returns the locked rows; `act(uow, row, now)` must take a row
    out of the claim's reach, or the sweep would meet it again. Returns how many were acted on.
    """
    acted = 0
    while True:
        with uow_factory() as uow:
            now = clock.now()
            due = claim(uow, now, batch)
            for row in due:
                act(uow, row, now)
            uow.commit()
        acted += len(due)
        if len(due) < batch:
            return acted
