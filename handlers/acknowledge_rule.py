"""Who may acknowledge a concern: the one rule every surface, inbox and digest calls.

A concern may be acknowledged by a lead or deputy *to whom it was delivered*, or by the
person it was escalated to (escalation gives them a deputy or duty delivery). Network role
alone counts for nothing: a lead added after the concern was raised, or a deputy the raiser
left off, was not told about it and cannot acknowledge it. A recorded decision not to share,
a closed concern and one past retention have nothing to acknowledge.

The web concern page, Slack's and Teams' Acknowledge buttons and the acknowledge use case go
through `may_acknowledge` / `acknowledger`; everything that lists what waits (the web inbox,
App Home, the chat inboxes, the digest) reads `my_work.awaiting`, which asks `to_acknowledge`.

Who may close (and reopen) a concern is the rule beside it: whoever leads the client's
network *now* — its lead or deputy, still active. Delivery does not matter here: closing is
the network's decision, and a lead who joined after the raise owns the concern as much as
one who was told. The concern page, Slack's Close button, Teams' card and the pointers all
go through `may_close` / `may_reopen`.
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.memberships import membership_in
from handlers.values import ConcernStatus, DeliveryRole, Role
from store.models import Concern, Delivery, JoinRequest, Membership
from store.unit_of_work import UnitOfWork

ACKNOWLEDGING_ROLES = frozenset({DeliveryRole.LEAD, DeliveryRole.DEPUTY, DeliveryRole.DUTY})
ACKNOWLEDGEABLE_STATUSES = frozenset({ConcernStatus.OPEN, ConcernStatus.ACKNOWLEDGED})
CLOSING_ROLES = frozenset({Role.LEAD, Role.DEPUTY})
CLOSEABLE_STATUSES = ACKNOWLEDGEABLE_STATUSES


def may_acknowledge(concern: Concern, delivery: Delivery | None) -> bool:
    """True when `delivery` makes its recipient one who may acknowledge `concern` (the rule)."""
    return (
        delivery is not None
        and delivery.concern_id == concern.id
        and delivery.role in ACKNOWLEDGING_ROLES
        and concern.status in ACKNOWLEDGEABLE_STATUSES
        and concern.shredded_at is None
    )


def awaits_acknowledgement(concern: Concern, delivery: Delivery | None) -> bool:
    """The rule, for a concern nobody has acknowledged yet: it waits for this recipient."""
    return (
        may_acknowledge(concern, delivery)
        and concern.status == ConcernStatus.OPEN
        and concern.acknowledged_at is None
    )


def acknowledger(uow: UnitOfWork, concern: Concern, practitioner_id: str) -> Delivery | None:
    """The practitioner's delivery of the concern when the rule lets them acknowledge it."""
    delivery = uow.concerns.delivery_for(concern.id, practitioner_id)
    return delivery if may_acknowledge(concern, delivery) else None


def to_acknowledge(uow: UnitOfWork, practitioner_id: str) -> list[Concern]:
    """Concerns waiting for this practitioner's acknowledgement, the earliest deadline first."""
    waiting = [
        concern
        for delivery, concern in uow.concerns.received_with_concerns(practitioner_id)
        if awaits_acknowledgement(concern, delivery)
    ]
    return sorted(waiting, key=lambda c: (c.acknowledge_by or c.created_at, c.id))


def leads_client(
    uow: UnitOfWork,
    client_id: str,
    practitioner_id: str,
    *,
    network: Sequence[Membership] | None = None,
) -> bool:
    """True when the practitioner is, now, an active lead or deputy of the client's network
    (pass `network`, the client's memberships, if this transaction has read them)."""
    membership = membership_in(uow, client_id, practitioner_id, network)
    return (
        membership is not None
        and membership.role in CLOSING_ROLES
        and membership.practitioner.active
    )


def leads_network(
    uow: UnitOfWork,
    concern: Concern,
    practitioner_id: str,
    *,
    network: Sequence[Membership] | None = None,
) -> bool:
    """True when the practitioner is, now, an active lead or deputy of the concern's client."""
    return concern.shredded_at is None and leads_client(
        uow, concern.client_id, practitioner_id, network=network
    )


def may_decide_join(uow: UnitOfWork, request: JoinRequest, practitioner_id: str) -> bool:
    """The rule: a pending join request is decided, once, by whoever leads the network now."""
    return request.state == "pending" and leads_client(uow, request.client_id, practitioner_id)


def may_close(
    uow: UnitOfWork,
    concern: Concern,
    practitioner_id: str,
    *,
    network: Sequence[Membership] | None = None,
) -> bool:
    """The rule: an open or acknowledged concern may be closed by whoever leads its network."""
    return concern.status in CLOSEABLE_STATUSES and leads_network(
        uow, concern, practitioner_id, network=network
    )


def may_reopen(
    uow: UnitOfWork,
    concern: Concern,
    practitioner_id: str,
    *,
    network: Sequence[Membership] | None = None,
) -> bool:
    """The rule: a closed concern (not yet shredded) may be reopened by whoever leads it."""
    return concern.status == ConcernStatus.CLOSED and leads_network(
        uow, concern, practitioner_id, network=network
    )
