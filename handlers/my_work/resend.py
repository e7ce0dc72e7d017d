"""What is waiting for a practitioner, sent again as fresh pointers (the chat `inbox`).

Each concern the read model says waits — one to acknowledge, or one not read yet — gets a
fresh-link pointer through the outbox, so the links are per-recipient and expiring like any
other; each request for advice that waits (theirs to answer, or answered and theirs to send or
decide) gets its pointer again, a link to its signed-in page and nothing from the draft.
Asking again within ten minutes queues nothing new: a redelivered command is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.my_work.awaiting import AdviceLine, Awaiting, Counts, read_awaiting
from handlers.outbox.delivery import enqueue_notice, enqueue_pointer
from handlers.ports import Clock
from handlers.values import Platform, PointerKind
from store.unit_of_work import UnitOfWork

RESEND_WINDOW = timedelta(minutes=10)
MAX_ITEMS = 10


@dataclass(frozen=True)
class Resent:
    counts: Counts  # the read model's figures, as every other surface shows them
    queued: int

    @property
    def total(self) -> int:
        """What a fresh pointer is for: concerns waiting for acknowledgement or unread, and
        requests for advice waiting for the reader."""
        counts = self.counts
        return counts.to_acknowledge + counts.unread + counts.advice_to_give + counts.advice_given


def resend_pending(
    uow: UnitOfWork, *, practitioner_id: str, platform: Platform, clock: Clock
) -> Resent:
    """Queue a fresh pointer for each waiting concern (deadlines first, at most ten)."""
    with uow:
        now = clock.now()
        awaiting = read_awaiting(uow, practitioner_id=practitioner_id, now=now)
        window = int(now.timestamp() // RESEND_WINDOW.total_seconds())
        queued = 0
        for line in (*awaiting.to_acknowledge, *awaiting.unread)[:MAX_ITEMS]:
            delivery = uow.concerns.delivery_for(line.concern_id, practitioner_id)
            key = f"inbox:{delivery.id}:{window}" if delivery is not None else ""
            if delivery is None or uow.outbox.by_key(key) is not None:
                continue
            message = enqueue_pointer(uow, delivery, PointerKind.FRESH_LINK, key=key, at=now)
            message.platform = platform.value
            queued += 1
        queued += _advice_again(uow, awaiting, practitioner_id, platform, window, now)
        if queued:
            uow.audit(
                "link.reissue_requested",
                at=now,
                actor_id=practitioner_id,
                detail={"via": platform.value, "pointers": queued},
            )
        uow.commit()
        return Resent(awaiting.counts, queued)


def _advice_again(
    uow: UnitOfWork,
    awaiting: Awaiting,
    practitioner_id: str,
    platform: Platform,
    window: int,
    now: datetime,
) -> int:
    """The advice pointers again (the page's link only), at most ten; how many were queued."""
    kinds: list[tuple[AdviceLine, PointerKind]] = [
        *((line, PointerKind.ADVICE_REQUESTED) for line in awaiting.advice_to_give),
        *((line, PointerKind.ADVICE_GIVEN) for line in awaiting.advice_given),
    ]
    queued = 0
    for line, kind in kinds[:MAX_ITEMS]:
        key = f"inbox-advice:{line.request_id}:{practitioner_id}:{window}"
        if uow.outbox.by_key(key) is not None:
            continue
        enqueue_notice(
            uow,
            recipient_id=practitioner_id,
            platform=platform.value,
            kind=kind,
            key=key,
            at=now,
            detail={"page": line.page},
        )
        queued += 1
    return queued
