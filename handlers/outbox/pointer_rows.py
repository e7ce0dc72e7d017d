"""The pointer an outbox row stands for, read at send time (never stored with the row).

A row holds ids and kinds only; its pointer's severity, age, counts, buttons and fresh link
are read from the concern and the recipient's delivery just before it is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from handlers.acknowledge_rule import awaits_acknowledgement, may_close
from handlers.outbox.links import mint_link, page_link
from handlers.ports import LinkMinter, MessageRef, Pointer
from handlers.values import DeliveryRole, Platform, PointerKind, Severity
from store.models import OutboxMessage
from store.unit_of_work import UnitOfWork

# Pointers that offer the lead a Close button (the rule decides whether this recipient leads).
CLOSEABLE_FROM = frozenset(
    {
        PointerKind.NEW_CONCERN,
        PointerKind.ESCALATION,
        PointerKind.FRESH_LINK,
        PointerKind.ACKNOWLEDGED,
        PointerKind.CONCERN_REOPENED,
    }
)


class NotYetSent(Exception):
    """The row updates a message that is not sent yet: leave it for a later sweep."""


def pointer_for(
    uow: UnitOfWork, row: OutboxMessage, minter: LinkMinter, now: datetime, link_ttl: timedelta
) -> Pointer:
    """The row's pointer; NotYetSent when it edits a message still waiting to be sent."""
    kind = PointerKind(row.kind)
    link_url: str | None = None
    severity = raised_at = acknowledged_at = None
    entries = 0
    can_ack = can_close = by_recipient = False
    updates: MessageRef | None = None
    concern = uow.concerns.get(row.concern_id) if row.concern_id else None
    delivery = uow.concerns.delivery(row.delivery_id) if row.delivery_id else None
    # Raised from outside the network: the raiser's pointers carry no link and no counts.
    outsider = delivery is not None and delivery.role == DeliveryRole.OUTSIDER
    if concern is not None:
        severity = Severity(concern.severity)
        raised_at = concern.created_at
        entries = 0 if outsider else len(uow.concerns.entries(concern.id))
        acknowledged_at = concern.acknowledged_at
        can_ack = awaits_acknowledgement(concern, delivery)
        by_recipient = concern.acknowledged_by_id == row.recipient_id
        can_close = kind in CLOSEABLE_FROM and may_close(uow, concern, row.recipient_id)
    if delivery is not None and row.detail.get("link") and not outsider:
        link_url = mint_link(uow, delivery, minter, now=now, ttl=link_ttl)
    page = row.detail.get("page")
    if delivery is None and isinstance(page, str):
        link_url = page_link(minter, page)  # a signed-in page (advice), not a link token
    if row.updates_id:
        original = uow.outbox.get(row.updates_id)
        if original is not None and original.message_ref is None and original.state != "dead":
            raise NotYetSent
        if original is not None and original.message_ref:
            updates = MessageRef(original.message_ref)
    return Pointer(
        kind=kind,
        recipient_id=row.recipient_id,
        platform=Platform(row.platform),
        idempotency_key=row.id,
        link=link_url,
        concern_id=row.concern_id,
        severity=severity,
        raised_at=raised_at,
        entries=entries,
        can_acknowledge=can_ack,
        can_close=can_close,
        acknowledged_at=acknowledged_at if kind is PointerKind.ACKNOWLEDGED else None,
        by_recipient=by_recipient,
        escalation_level=_count(row.detail, "level"),
        updates=updates,
        awaiting=_count(row.detail, "awaiting"),
        follow_ups_due=_count(row.detail, "follow_ups_due"),
    )


def _count(detail: Mapping[str, object], name: str) -> int:
    value = detail.get(name, 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
