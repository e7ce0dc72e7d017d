"""What is waiting for a practitioner, sent again as fresh pointers (the chat `inbox`).

Each pending concern — one to acknowledge, or one received and not yet read — gets a
fresh-link pointer through the outbox, so the links are per-recipient and expiring like any
other. Asking again within ten minutes queues nothing new: a redelivered command is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from handlers.acknowledge_rule import awaits_acknowledgement
from handlers.outbox.delivery import enqueue_pointer
from handlers.ports import Clock
from handlers.values import ConcernStatus, DeliveryRole, Platform, PointerKind
from store.models import Delivery
from store.unit_of_work import UnitOfWork

RESEND_WINDOW = timedelta(minutes=10)
MAX_ITEMS = 10


@dataclass(frozen=True)
class PendingSummary:
    to_acknowledge: int
    unread: int
    queued: int

    @property
    def total(self) -> int:
        return self.to_acknowledge + self.unread


def _waiting(uow: UnitOfWork, delivery: Delivery) -> str | None:
    if delivery.role in (DeliveryRole.RAISER, DeliveryRole.OUTSIDER):
        return None
    concern = uow.concerns.get(delivery.concern_id)
    if concern is None or concern.status not in (ConcernStatus.OPEN, ConcernStatus.ACKNOWLEDGED):
        return None
    if awaits_acknowledgement(concern, delivery):
        return "acknowledge"
    return "unread" if delivery.viewed_at is None else None


def resend_pending(
    uow: UnitOfWork, *, practitioner_id: str, platform: Platform, clock: Clock
) -> PendingSummary:
    """Queue a fresh pointer for each pending concern (most recent first, at most ten)."""
    with uow:
        now = clock.now()
        window = int(now.timestamp() // RESEND_WINDOW.total_seconds())
        counts = {"acknowledge": 0, "unread": 0}
        queued = 0
        for delivery in uow.concerns.received_by(practitioner_id):
            reason = _waiting(uow, delivery)
            if reason is None:
                continue
            counts[reason] += 1
            key = f"inbox:{delivery.id}:{window}"
            if queued >= MAX_ITEMS or uow.outbox.by_key(key) is not None:
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
        return PendingSummary(counts["acknowledge"], counts["unread"], queued)
