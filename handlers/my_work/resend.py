"""What is waiting for a practitioner, sent again as fresh pointers (the chat `inbox`).

Each concern the read model says waits — one to acknowledge, or one not read yet — gets a
fresh-link pointer through the outbox, so the links are per-recipient and expiring like any
other. Asking again within ten minutes queues nothing new: a redelivered command is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from handlers.my_work.awaiting import Counts, read_awaiting
from handlers.outbox.delivery import enqueue_pointer
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
        """Concerns a fresh pointer is for: each waits for acknowledgement or is unread."""
        return self.counts.to_acknowledge + self.counts.unread


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
        if queued:
            uow.audit(
                "link.reissue_requested",
                at=now,
                actor_id=practitioner_id,
                detail={"via": platform.value, "pointers": queued},
            )
        uow.commit()
        return Resent(awaiting.counts, queued)
