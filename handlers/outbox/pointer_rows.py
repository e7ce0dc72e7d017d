"""The pointer an outbox row stands for, read at send time (never stored with the row).

A row holds ids and kinds only; its pointer's severity, age, counts, buttons and fresh link
are read from the concern and the recipient's delivery just before it is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from handlers.acknowledge_rule import awaits_acknowledgement, may_close, may_decide_join
from handlers.outbox.links import mint_link, page_link
from handlers.ports import LinkMinter, MessageRef, Pointer
from handlers.values import ChosenBecause, DeliveryRole, Platform, PointerKind, Severity
from store.models import Delivery, OutboxMessage
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


# A lead's join-request pointer once decided: whether they decided it is read at send time.
JOIN_SETTLED = frozenset({PointerKind.JOIN_REQUEST_APPROVED, PointerKind.JOIN_REQUEST_DECLINED})


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
    can_ack = can_close = by_recipient = can_ask = False
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
        can_ask = outsider and _may_ask(uow, concern.client_id, row.recipient_id)
    if kind in JOIN_SETTLED:
        by_recipient = _decided_by(uow, row) == row.recipient_id
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
        can_ask_to_join=can_ask,
        join_request_id=_decidable(uow, row) if kind is PointerKind.JOIN_REQUEST else None,
        acknowledged_at=acknowledged_at if kind is PointerKind.ACKNOWLEDGED else None,
        by_recipient=by_recipient,
        escalation_level=_count(row.detail, "level"),
        updates=updates,
        awaiting=_count(row.detail, "awaiting"),
        follow_ups_due=_count(row.detail, "follow_ups_due"),
        advice_to_give=_count(row.detail, "advice_to_give"),
        advice_given=_count(row.detail, "advice_given"),
        chosen=_chosen(kind, delivery),
    )


def _may_ask(uow: UnitOfWork, client_id: str, recipient_id: str) -> bool:
    """A raiser from outside may ask to join from a receipt while not in, nor asking."""
    return (
        uow.directory.membership(client_id, recipient_id) is None
        and uow.join_requests.pending(client_id, recipient_id) is None
    )


def _decidable(uow: UnitOfWork, row: OutboxMessage) -> str | None:
    """The join request a lead's pointer offers to decide, while its recipient still may."""
    request_id = row.detail.get("request")
    request = uow.join_requests.get(request_id) if isinstance(request_id, str) else None
    if request is None or not may_decide_join(uow, request, row.recipient_id):
        return None
    return request.id


def _decided_by(uow: UnitOfWork, row: OutboxMessage) -> str | None:
    request_id = row.detail.get("request")
    request = uow.join_requests.get(request_id) if isinstance(request_id, str) else None
    return request.decided_by_id if request is not None else None


def _chosen(kind: PointerKind, delivery: Delivery | None) -> ChosenBecause | None:
    """Why a new concern's recipient was chosen (a closed reason, no content)."""
    if kind is not PointerKind.NEW_CONCERN or delivery is None or not delivery.chosen_because:
        return None
    return ChosenBecause(delivery.chosen_because)


def _count(detail: Mapping[str, object], name: str) -> int:
    value = detail.get(name, 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
