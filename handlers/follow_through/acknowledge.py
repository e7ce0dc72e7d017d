"""The lead (or deputy, or the person it escalated to) acknowledges a concern; the raiser gets
a receipt. Who may is `handlers.acknowledge_rule`; this is what acknowledging does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.acknowledge_rule import acknowledger, may_acknowledge
from handlers.network.access import may_read
from handlers.outbox.delivery import enqueue_pointer
from handlers.ports import Clock
from handlers.values import ConcernStatus, DeliveryRole, PointerKind
from store.models import Concern
from store.unit_of_work import UnitOfWork

ACKNOWLEDGEABLE = (
    PointerKind.NEW_CONCERN.value,
    PointerKind.ESCALATION.value,
    PointerKind.FRESH_LINK.value,
)


@dataclass(frozen=True)
class Acknowledged:
    concern_id: str
    at: datetime


@dataclass(frozen=True)
class AlreadyAcknowledged:
    concern_id: str
    at: datetime
    by_id: str


@dataclass(frozen=True)
class NotAllowed:
    concern_id: str


AcknowledgeOutcome = Acknowledged | AlreadyAcknowledged | NotAllowed


def _refused(
    uow: UnitOfWork, concern: Concern, practitioner_id: str, clock: Clock, via: str
) -> NotAllowed:
    """Audited: someone the rule does not let acknowledge pressed the button anyway."""
    uow.audit(
        "concern.acknowledge_refused",
        at=clock.now(),
        actor_id=practitioner_id,
        concern_id=concern.id,
        detail={"via": via, "status": concern.status},
    )
    uow.commit()
    return NotAllowed(concern.id)


def acknowledge(
    uow: UnitOfWork, *, concern_id: str, practitioner_id: str, clock: Clock, via: str = "web"
) -> AcknowledgeOutcome:
    with uow:
        concern = uow.concerns.get(concern_id)
        if concern is None:
            return NotAllowed(concern_id)
        if acknowledger(uow, concern, practitioner_id) is None or not may_read(
            uow, practitioner_id, concern
        ):
            return _refused(uow, concern, practitioner_id, clock, via)
        if concern.acknowledged_at is not None and concern.acknowledged_by_id is not None:
            return AlreadyAcknowledged(
                concern_id, concern.acknowledged_at, concern.acknowledged_by_id
            )
        now = clock.now()
        concern.status = ConcernStatus.ACKNOWLEDGED.value
        concern.acknowledged_at = now
        concern.acknowledged_by_id = practitioner_id
        for delivery in uow.concerns.deliveries(concern.id):
            if delivery.recipient_id == practitioner_id:
                delivery.acknowledged_at = now
            if delivery.role in (DeliveryRole.RAISER, DeliveryRole.OUTSIDER):
                # From outside the network the receipt carries no link: there is nothing to see.
                enqueue_pointer(
                    uow,
                    delivery,
                    PointerKind.ACK_RECEIPT,
                    key=f"receipt:{concern.id}",
                    at=now,
                    with_link=delivery.role == DeliveryRole.RAISER,
                )
            elif may_acknowledge(concern, delivery):
                # Everyone the rule let acknowledge: each "please acknowledge" pointer they got
                # becomes "acknowledged", in place.
                for original in uow.outbox.for_delivery(delivery.id, kinds=ACKNOWLEDGEABLE):
                    enqueue_pointer(
                        uow,
                        delivery,
                        PointerKind.ACKNOWLEDGED,
                        key=f"acked:{original.id}",
                        at=now,
                        with_link=False,
                        updates_id=original.id,
                        detail={"by_self": delivery.recipient_id == practitioner_id},
                    )
        uow.audit(
            "concern.acknowledged",
            at=now,
            actor_id=practitioner_id,
            concern_id=concern.id,
            detail={
                "via": via,
                "late": bool(concern.acknowledge_by and now > concern.acknowledge_by),
            },
        )
        uow.commit()
        return Acknowledged(concern.id, now)
