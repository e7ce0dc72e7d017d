"""Escalation: an open concern past its acknowledge-by goes to the deputy, then the duty contact.

Each level happens once: the sweep locks the concern row (SKIP LOCKED on PostgreSQL), moves
its `escalation_level` on and queues the pointers in the same commit, and every outbox key
names the level. Acknowledging the concern at any point takes it out of the sweep's query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from handlers.deadlines import WorkingCalendar, organisation_deadline
from handlers.outbox.delivery import add_delivery, enqueue_pointer
from handlers.partnership import deadline_policy
from handlers.ports import Clock
from handlers.sweeps import sweep_in_batches
from handlers.values import DeliveryRole, PointerKind, Role, Severity
from store.models import Concern, Delivery, Practitioner
from store.unit_of_work import UnitOfWork

DEPUTY_LEVEL = 1
DUTY_LEVEL = 2
LAST_LEVEL = DUTY_LEVEL


@dataclass
class EscalationReport:
    """What one escalation sweep did: of concerns, or of requests for advice (their sweep is
    `concern.advice_escalation`, with its own chain and deadlines)."""

    escalated: int = 0
    exhausted: int = 0
    levels: dict[int, int] = field(default_factory=dict)


def escalate_due(
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    calendar: WorkingCalendar,
    *,
    batch: int = 100,
) -> EscalationReport:
    """One sweep: escalate every concern whose next step is due, a locked batch at a time."""
    report = EscalationReport()
    sweep_in_batches(
        uow_factory,
        clock,
        claim=lambda uow, now, limit: uow.concerns.due_for_escalation(now, limit),
        act=lambda uow, concern, now: _escalate(uow, concern, now, calendar, report),
        batch=batch,
    )
    return report


def _escalate(
    uow: UnitOfWork,
    concern: Concern,
    now: datetime,
    calendar: WorkingCalendar,
    report: EscalationReport,
) -> None:
    level = concern.escalation_level
    targets: list[Practitioner] = []
    while not targets and level < LAST_LEVEL:
        level += 1
        targets = _targets(uow, concern, level)
    concern.escalation_level = level
    if not targets:
        concern.escalate_at = None
        report.exhausted += 1
        uow.audit(
            "concern.escalation_exhausted",
            at=now,
            concern_id=concern.id,
            detail={"level": level, "reason": "no deputy or duty contact to escalate to"},
        )
        return
    role = DeliveryRole.DEPUTY if level == DEPUTY_LEVEL else DeliveryRole.DUTY
    for person in targets:
        delivery = _delivery_for(uow, concern, person, role, now)
        enqueue_pointer(
            uow,
            delivery,
            PointerKind.ESCALATION,
            key=f"escalate:{concern.id}:{level}:{person.id}",
            at=now,
            detail={"level": level},
        )
    raiser = uow.concerns.delivery_for(concern.id, concern.raiser_id)
    if raiser is not None:
        enqueue_pointer(
            uow,
            raiser,
            PointerKind.ESCALATED_RECEIPT,
            key=f"escalated:{concern.id}:{level}",
            at=now,
            detail={"level": level},
        )
    concern.escalate_at = (
        organisation_deadline(
            Severity(concern.severity), now, calendar, _policy_of(uow, concern.raiser_id)
        )
        if level < LAST_LEVEL
        else None
    )
    uow.audit(
        "concern.escalated",
        at=now,
        concern_id=concern.id,
        detail={"level": level, "role": role.value, "recipients": [p.id for p in targets]},
    )
    report.escalated += 1
    report.levels[level] = report.levels.get(level, 0) + 1


def _targets(uow: UnitOfWork, concern: Concern, level: int) -> list[Practitioner]:
    network = uow.directory.network(concern.client_id)
    if level == DEPUTY_LEVEL:
        return [m.practitioner for m in network if m.role == Role.DEPUTY and m.practitioner.active]
    lead = next((m.practitioner for m in network if m.role == Role.LEAD), None)
    anchor = lead or uow.directory.practitioner(concern.raiser_id)
    organisation = uow.directory.organisation(anchor.organisation_id) if anchor else None
    if organisation is None or organisation.duty_contact_id is None:
        return []
    duty = uow.directory.practitioner(organisation.duty_contact_id)
    return [duty] if duty is not None and duty.active else []


def _delivery_for(
    uow: UnitOfWork, concern: Concern, person: Practitioner, role: DeliveryRole, now: datetime
) -> Delivery:
    """The person's delivery of this concern; escalation adds one if they were not sent it."""
    delivery = uow.concerns.delivery_for(concern.id, person.id)
    if delivery is None:
        delivery = add_delivery(
            uow,
            concern.id,
            person.id,
            role=role.value,
            platform=person.preferred_platform,
            at=now,
        )
        uow.flush()
    elif delivery.role == DeliveryRole.MEMBER:
        delivery.role = role.value
    return delivery


def _policy_of(uow: UnitOfWork, practitioner_id: str) -> dict[str, object] | None:
    person = uow.directory.practitioner(practitioner_id)
    organisation = uow.directory.organisation(person.organisation_id) if person else None
    return deadline_policy(uow, organisation)


@dataclass(frozen=True)
class EscalationStep:
    level: int
    role: str
    recipient_ids: tuple[str, ...]
    at: datetime


def escalation_steps(uow: UnitOfWork, concern_id: str) -> Sequence[EscalationStep]:
    """The escalation steps taken for a concern, from its audit trail (for the concern page)."""
    return [
        EscalationStep(
            level=int(event.detail.get("level", 0)),
            role=str(event.detail.get("role", "")),
            recipient_ids=tuple(str(r) for r in event.detail.get("recipients", [])),
            at=event.at,
        )
        for event in uow.audit_events(concern_id, action="concern.escalated")
    ]
