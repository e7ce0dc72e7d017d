"""The outbox: queue pointers inside a use case's transaction, deliver them afterwards.

Delivery runs in two short transactions around the platform call: claim (lease the row,
mint the recipient's link, store only its hash) and record (sent, retry later, or dead).
A worker that dies mid-send leaves a lapsed lease; the next claim treats the row as
ambiguous and asks the platform whether the message landed before sending it again.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from handlers.network.access import entitled, is_active
from handlers.outbox.pointer_rows import NotYetSent, pointer_for
from handlers.outbox.sending import Claim, Outcome, send_claims
from handlers.outbox.throttle import Throttle
from handlers.ports import (
    Clock,
    LinkMinter,
    MessageRef,
    Notifier,
    RetryLater,
    Sent,
)
from handlers.values import DeliveryRole, Platform, PointerKind
from store.models import Delivery, OutboxMessage, new_id
from store.unit_of_work import UnitOfWork

log = structlog.get_logger("flare.outbox")

LEASE = timedelta(seconds=60)


def add_delivery(
    uow: UnitOfWork, concern_id: str, recipient_id: str, *, role: str, platform: str, at: datetime
) -> Delivery:
    """A concern delivered to one person in one role: the row their pointers and link hang on."""
    delivery = Delivery(
        id=new_id(),
        concern_id=concern_id,
        recipient_id=recipient_id,
        role=role,
        platform=platform,
        created_at=at,
    )
    uow.concerns.add(delivery)
    return delivery


def enqueue_pointer(
    uow: UnitOfWork,
    delivery: Delivery,
    kind: PointerKind,
    *,
    key: str,
    at: datetime,
    with_link: bool = True,
    updates_id: str | None = None,
    detail: dict[str, object] | None = None,
) -> OutboxMessage:
    """Queue a pointer about a delivery; the worker mints its link when it sends it."""
    message = OutboxMessage(
        id=new_id(),
        idempotency_key=key,
        recipient_id=delivery.recipient_id,
        platform=delivery.platform,
        kind=kind.value,
        concern_id=delivery.concern_id,
        delivery_id=delivery.id,
        updates_id=updates_id,
        detail={**(detail or {}), "link": with_link},
        next_attempt_at=at,
        created_at=at,
    )
    uow.outbox.add(message)
    return message


def enqueue_notice(
    uow: UnitOfWork,
    *,
    recipient_id: str,
    platform: str,
    kind: PointerKind,
    key: str,
    at: datetime,
    detail: dict[str, object] | None = None,
    updates_id: str | None = None,
) -> OutboxMessage:
    """Queue a pointer that is about no one concern (alerts to admins, digests)."""
    message = OutboxMessage(
        id=new_id(),
        idempotency_key=key,
        recipient_id=recipient_id,
        platform=platform,
        kind=kind.value,
        updates_id=updates_id,
        detail={**(detail or {}), "link": False},
        next_attempt_at=at,
        created_at=at,
    )
    uow.outbox.add(message)
    return message


@dataclass(frozen=True)
class OutboxPolicy:
    link_ttl: timedelta = timedelta(hours=72)
    max_attempts: int = 8
    base_backoff: float = 2.0
    max_backoff: float = 900.0
    batch: int = 50
    lease: timedelta = LEASE
    record_every: int = 25  # outcomes recorded per transaction
    senders: int = 1  # recipients sent to at once (handlers/outbox/sending.py)

    def backoff(self, attempts: int, retry_after: float | None) -> float:
        exponential = min(self.max_backoff, self.base_backoff * 2 ** max(0, attempts - 1))
        jittered = random.uniform(exponential / 2, exponential)  # noqa: S311 (not security)
        return max(jittered, retry_after or 0.0)


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    reconciled: int = 0
    retried: int = 0
    dead: int = 0
    deferred: int = 0
    withdrawn: int = 0
    quota_full: bool = False  # a rate-limited platform had more due rows than its quota


def deliver_due(
    uow_factory: Callable[[], UnitOfWork],
    notifiers: Mapping[Platform, Notifier],
    minter: LinkMinter,
    clock: Clock,
    policy: OutboxPolicy | None = None,
    throttle: Throttle | None = None,
    *,
    concern_id: str | None = None,
) -> DeliveryReport:
    """One sweep of the outbox: claim due rows, send them (a lane per recipient, lanes side by
    side: handlers/outbox/sending.py), record each outcome.

    With a `throttle` (a worker keeps one), a Retry-After pauses that platform for the rest
    of the sweep and later sweeps, and a few sweeps after that claim only a few of its rows;
    without one, only the rate-limited row waits. With a
    `concern_id`, only that concern's rows (a request that just changed it, not a sweep).
    """
    policy = policy or OutboxPolicy()
    report = DeliveryReport()
    claims = _claim(uow_factory(), minter, clock, policy, report, concern_id, throttle)
    outcomes: list[tuple[Claim, Outcome]] = []
    for lane in send_claims(claims, notifiers, clock, throttle, policy.senders):
        report.reconciled += lane.reconciled
        outcomes += lane.outcomes
        if len(outcomes) >= policy.record_every:
            _record(uow_factory(), outcomes, clock, policy, report)
            outcomes = []
    if outcomes:
        _record(uow_factory(), outcomes, clock, policy, report)
    return report


def _release(row: OutboxMessage, claim: Claim, until: datetime, report: DeliveryReport) -> None:
    """Hand a claimed row back unsent while its platform is paused; no attempt is counted."""
    row.state = "pending"
    row.attempts = max(0, row.attempts - 1)
    row.next_attempt_at = until
    row.last_error = "paused: the platform asked Flare to wait (Retry-After)"
    row.detail = {**row.detail, "reconcile": claim.ambiguous}
    report.deferred += 1


def _claim(
    uow: UnitOfWork,
    minter: LinkMinter,
    clock: Clock,
    policy: OutboxPolicy,
    report: DeliveryReport,
    concern_id: str | None,
    throttle: Throttle | None,
) -> list[Claim]:
    claims: list[Claim] = []
    with uow:
        now = clock.now()
        for row in _due_rows(uow, now, policy, report, concern_id, throttle):
            if not _still_for_recipient(uow, row):  # left, or lost the concern, since queued
                _withdraw(uow, row, now)
                report.withdrawn += 1
                continue
            ambiguous = row.state == "sending" or bool(row.detail.get("reconcile"))
            try:
                pointer = pointer_for(uow, row, minter, now, policy.link_ttl)
            except NotYetSent:
                row.next_attempt_at = now + timedelta(seconds=2)
                report.deferred += 1
                continue
            row.state = "sending"
            row.lease_until = now + policy.lease
            row.attempts += 1
            claims.append(Claim(row.id, pointer, ambiguous))
        uow.commit()
    report.claimed += len(claims)
    return claims


def _due_rows(
    uow: UnitOfWork,
    now: datetime,
    policy: OutboxPolicy,
    report: DeliveryReport,
    concern_id: str | None,
    throttle: Throttle | None,
) -> list[OutboxMessage]:
    """Due rows to claim: a batch, but only its quota of a rate-limited platform's rows."""
    quotas = throttle.claim_quotas(now) if throttle else {}
    rows: list[OutboxMessage] = []
    for platform, quota in quotas.items():
        if quota:
            some = uow.outbox.claim_due(now, quota, concern_id=concern_id, platforms=[platform])
            report.quota_full = report.quota_full or len(some) >= quota
            rows += some
    others = uow.outbox.claim_due(
        now, policy.batch, concern_id=concern_id, skip_platforms=list(quotas)
    )
    return rows + list(others)


def _still_for_recipient(uow: UnitOfWork, row: OutboxMessage) -> bool:
    """The access rule at send time: no pointer to a leaver, nor about a concern they lost."""
    if not is_active(uow, row.recipient_id):
        return False
    concern = uow.concerns.get(row.concern_id) if row.concern_id else None
    delivery = uow.concerns.delivery(row.delivery_id) if row.delivery_id else None
    if concern is None or delivery is None or delivery.role == DeliveryRole.OUTSIDER:
        return True  # an outsider's receipt carries no link and nothing of the concern
    return entitled(uow, concern, delivery)


def _withdraw(uow: UnitOfWork, row: OutboxMessage, now: datetime) -> None:
    """The recipient may no longer read what the pointer is about: it is never sent."""
    row.state = "withdrawn"
    row.lease_until = None
    row.last_error = "recipient may no longer read it"
    uow.audit(
        "pointer.withdrawn",
        at=now,
        concern_id=row.concern_id,
        subject=row.id,
        detail={"kind": row.kind, "recipient": row.recipient_id},
    )


def _record(
    uow: UnitOfWork,
    outcomes: list[tuple[Claim, Outcome]],
    clock: Clock,
    policy: OutboxPolicy,
    report: DeliveryReport,
) -> None:
    """Record a run of outcomes in one transaction (a crash before it leaves them ambiguous)."""
    with uow:
        now = clock.now()
        rows = uow.outbox.get_many([claim.message_id for claim, _ in outcomes])
        for claim, result in outcomes:
            row = rows.get(claim.message_id)
            if row is None or row.state != "sending":
                continue  # another worker reconciled it after our lease lapsed
            row.lease_until = None
            if isinstance(result, datetime):
                _release(row, claim, result, report)
            elif isinstance(result, Sent):
                _mark_sent(uow, row, result.ref, now)
                report.sent += 1
            elif isinstance(result, RetryLater) and row.attempts < policy.max_attempts:
                row.state = "pending"
                row.last_error = result.reason[:200]
                row.detail = {**row.detail, "reconcile": result.ambiguous}
                row.next_attempt_at = now + timedelta(
                    seconds=policy.backoff(row.attempts, result.after)
                )
                report.retried += 1
            else:
                _dead_letter(uow, row, result.reason, now)
                report.dead += 1
        uow.commit()


def _mark_sent(uow: UnitOfWork, row: OutboxMessage, ref: MessageRef, now: datetime) -> None:
    row.state = "sent"
    row.sent_at = now
    row.message_ref = dict(ref.values)
    row.detail = {k: v for k, v in row.detail.items() if k != "reconcile"}
    delivery = uow.concerns.delivery(row.delivery_id) if row.delivery_id else None
    if delivery is not None and row.kind == PointerKind.NEW_CONCERN:
        delivery.delivered_at = now
        delivery.message_ref = dict(ref.values)
    uow.audit(
        "pointer.delivered",
        at=now,
        actor_id=None,
        concern_id=row.concern_id,
        subject=row.id,
        detail={
            "kind": row.kind,
            "platform": row.platform,
            "recipient": row.recipient_id,
            "attempts": row.attempts,
        },
    )


def _dead_letter(uow: UnitOfWork, row: OutboxMessage, reason: str, now: datetime) -> None:
    row.state = "dead"
    row.last_error = reason[:200]
    uow.audit(
        "pointer.dead_letter",
        at=now,
        concern_id=row.concern_id,
        subject=row.id,
        detail={
            "kind": row.kind,
            "platform": row.platform,
            "attempts": row.attempts,
            "recipient": row.recipient_id,
        },
    )
    if row.kind == PointerKind.ADMIN_ALERT:
        return  # never alert about an alert: that could loop
    recipient = uow.directory.practitioner(row.recipient_id)
    if recipient is None:
        return
    for admin in uow.directory.admins_of(recipient.organisation_id):
        enqueue_notice(
            uow,
            recipient_id=admin.id,
            platform=admin.preferred_platform,
            kind=PointerKind.ADMIN_ALERT,
            key=f"dead:{row.id}:{admin.id}",
            at=now,
        )
