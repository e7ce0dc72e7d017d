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

from handlers.acknowledge_rule import awaits_acknowledgement, may_close
from handlers.network.leavers import LEFT, receives_pointers
from handlers.outbox.links import mint_link
from handlers.ports import (
    Clock,
    LinkMinter,
    MessageRef,
    Notifier,
    Pointer,
    RetryLater,
    SendResult,
    Sent,
    Undeliverable,
)
from handlers.values import DeliveryRole, Platform, PointerKind, Severity
from store.models import Delivery, OutboxMessage, new_id
from store.unit_of_work import UnitOfWork

log = structlog.get_logger("flare.outbox")

LEASE = timedelta(seconds=60)
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
) -> OutboxMessage:
    """Queue a pointer that is about no one concern (alerts to admins, digests)."""
    message = OutboxMessage(
        id=new_id(),
        idempotency_key=key,
        recipient_id=recipient_id,
        platform=platform,
        kind=kind.value,
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


class Throttle:
    """Per-platform pause after a 429: Retry-After applies to the workspace, not one row.

    One per worker process; each replica learns its own pause from its own 429s.
    """

    def __init__(self) -> None:
        self._until: dict[Platform, datetime] = {}

    def paused_until(self, platform: Platform, now: datetime) -> datetime | None:
        until = self._until.get(platform)
        return until if until is not None and until > now else None

    def pause(self, platform: Platform, until: datetime) -> None:
        self._until[platform] = max(until, self._until.get(platform, until))

    def next_resume(self, now: datetime) -> datetime | None:
        """When the earliest pause still running ends (None if no platform is paused)."""
        return min((u for u in self._until.values() if u > now), default=None)


@dataclass(frozen=True)
class _Claim:
    message_id: str
    pointer: Pointer
    ambiguous: bool


class _Defer(Exception):
    """The message depends on another that has not been sent yet."""


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
    """One sweep of the outbox: claim due rows, send each, record each outcome.

    With a `throttle` (a worker keeps one), a Retry-After pauses that platform for the rest
    of the sweep and later sweeps; without one, only the rate-limited row waits. With a
    `concern_id`, only that concern's rows (a request that just changed it, not a sweep).
    """
    policy = policy or OutboxPolicy()
    report = DeliveryReport()
    claims = _claim(uow_factory(), minter, clock, policy, report, concern_id)
    outcomes: list[tuple[_Claim, SendResult | datetime]] = []
    for claim in claims:
        paused = throttle.paused_until(claim.pointer.platform, clock.now()) if throttle else None
        if paused is not None:
            outcomes.append((claim, paused))
        else:
            result = _send(claim, notifiers, report)
            if throttle is not None and isinstance(result, RetryLater) and result.after:
                until = clock.now() + timedelta(seconds=result.after)
                throttle.pause(claim.pointer.platform, until)
            outcomes.append((claim, result))
        if len(outcomes) >= policy.record_every:
            _record(uow_factory(), outcomes, clock, policy, report)
            outcomes = []
    if outcomes:
        _record(uow_factory(), outcomes, clock, policy, report)
    return report


def _send(
    claim: _Claim, notifiers: Mapping[Platform, Notifier], report: DeliveryReport
) -> SendResult:
    notifier = notifiers.get(claim.pointer.platform)
    if notifier is None:
        return Undeliverable(f"no {claim.pointer.platform.value} notifier configured")
    try:
        if claim.ambiguous:
            ref = notifier.find(claim.pointer)
            if ref is not None:
                report.reconciled += 1
                return Sent(ref)
        return notifier.send(claim.pointer)
    except Exception as exc:  # a fault in find or send must neither lose the row nor stop the sweep
        log.warning("outbox.send_raised", error=type(exc).__name__)
        return RetryLater(type(exc).__name__, ambiguous=True)


def _release(row: OutboxMessage, claim: _Claim, until: datetime, report: DeliveryReport) -> None:
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
) -> list[_Claim]:
    claims: list[_Claim] = []
    with uow:
        now = clock.now()
        for row in uow.outbox.claim_due(now, policy.batch, concern_id=concern_id):
            if not receives_pointers(uow.directory.practitioner(row.recipient_id)):
                uow.leavers.withdraw(row, reason=LEFT)  # they left after it was queued
                report.withdrawn += 1
                continue
            ambiguous = row.state == "sending" or bool(row.detail.get("reconcile"))
            try:
                pointer = _pointer_for(uow, row, minter, now, policy)
            except _Defer:
                row.next_attempt_at = now + timedelta(seconds=2)
                report.deferred += 1
                continue
            row.state = "sending"
            row.lease_until = now + policy.lease
            row.attempts += 1
            claims.append(_Claim(row.id, pointer, ambiguous))
        uow.commit()
    report.claimed += len(claims)
    return claims


def _pointer_for(
    uow: UnitOfWork, row: OutboxMessage, minter: LinkMinter, now: datetime, policy: OutboxPolicy
) -> Pointer:
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
        link_url = mint_link(uow, delivery, minter, now=now, ttl=policy.link_ttl)
    if row.updates_id:
        original = uow.outbox.get(row.updates_id)
        if original is not None and original.message_ref is None and original.state != "dead":
            raise _Defer
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


def _record(
    uow: UnitOfWork,
    outcomes: list[tuple[_Claim, SendResult | datetime]],
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
