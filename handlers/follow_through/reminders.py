"""Follow-up reminders: a pointer before the due time and when due; overdue goes to the lead.

Reads follow-ups (created by `follow_through.follow_ups`); only moves `reminders_sent` on, which is
the stage reached: 1 = reminded before, 2 = reminded when due, 3 = overdue sent to the lead.
A stage that was missed (the worker was down) is skipped, never sent late alongside the next.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.outbox.delivery import add_delivery, enqueue_pointer
from handlers.ports import Clock
from handlers.sweeps import sweep_in_batches
from handlers.values import DeliveryRole, PointerKind, Role
from store.models import Concern, Delivery, FollowUp
from store.unit_of_work import UnitOfWork

BEFORE, DUE, OVERDUE = 1, 2, 3
STAGE_NAMES = {BEFORE: "before", DUE: "due", OVERDUE: "overdue"}


@dataclass(frozen=True)
class ReminderPolicy:
    before: timedelta = timedelta(hours=24)
    overdue_after: timedelta = timedelta(hours=24)
    batch: int = 100


@dataclass
class ReminderReport:
    before: int = 0
    due: int = 0
    overdue: int = 0


def remind_due(
    uow_factory: Callable[[], UnitOfWork], clock: Clock, policy: ReminderPolicy | None = None
) -> ReminderReport:
    """One sweep over follow-ups whose next reminder stage has come."""
    chosen = policy or ReminderPolicy()
    report = ReminderReport()
    sweep_in_batches(
        uow_factory,
        clock,
        claim=lambda uow, now, limit: uow.concerns.follow_ups_due(
            now, before=chosen.before, overdue_after=chosen.overdue_after, limit=limit
        ),
        act=lambda uow, follow_up, now: _remind(
            uow, follow_up, _stage(follow_up, now, chosen), now, report
        ),
        batch=chosen.batch,
    )
    return report


def _stage(follow_up: FollowUp, now: datetime, policy: ReminderPolicy) -> int:
    if now >= follow_up.due_at + policy.overdue_after:
        return OVERDUE
    if now >= follow_up.due_at:
        return DUE
    return BEFORE


def _remind(
    uow: UnitOfWork, follow_up: FollowUp, stage: int, now: datetime, report: ReminderReport
) -> None:
    follow_up.reminders_sent = stage
    concern = uow.concerns.get(follow_up.concern_id)
    if concern is None:
        return
    if stage == OVERDUE:
        recipient_id = _lead_of(uow, concern) or follow_up.owner_id
        kind = PointerKind.FOLLOW_UP_OVERDUE
        report.overdue += 1
    else:
        recipient_id = follow_up.owner_id
        kind = PointerKind.FOLLOW_UP_REMINDER
        if stage == BEFORE:
            report.before += 1
        else:
            report.due += 1
    delivery = _delivery(uow, concern, recipient_id, now)
    if delivery is not None:
        enqueue_pointer(uow, delivery, kind, key=f"follow_up:{follow_up.id}:{stage}", at=now)
    uow.audit(
        "follow_up.reminded",
        at=now,
        concern_id=concern.id,
        subject=follow_up.id,
        detail={"stage": STAGE_NAMES[stage], "recipient": recipient_id},
    )


def _lead_of(uow: UnitOfWork, concern: Concern) -> str | None:
    for member in uow.directory.network(concern.client_id):
        if member.role == Role.LEAD and member.practitioner.active:
            return member.practitioner_id
    return None


def _delivery(
    uow: UnitOfWork, concern: Concern, recipient_id: str, now: datetime
) -> Delivery | None:
    """The recipient's delivery of the concern (its link is theirs); added if they had none."""
    delivery = uow.concerns.delivery_for(concern.id, recipient_id)
    if delivery is not None:
        return delivery
    person = uow.directory.practitioner(recipient_id)
    if person is None or not person.active:
        return None
    membership = uow.directory.membership(concern.client_id, recipient_id)
    delivery = add_delivery(
        uow,
        concern.id,
        recipient_id,
        role=membership.role if membership else DeliveryRole.MEMBER.value,
        platform=person.preferred_platform,
        at=now,
    )
    uow.flush()
    return delivery
