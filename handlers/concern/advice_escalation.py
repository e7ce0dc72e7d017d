"""Unanswered requests for advice escalate like unacknowledged concerns.

A request not answered by its deadline (the acknowledgement deadline of the draft's severity,
in the raiser's organisation's working time) moves to the next adviser: safeguarding lead,
then duty contact (the organisation's admins only while it names neither:
`handlers.concern.advice.advisers`). The new adviser gets a pointer and the request; the one
before no longer reads it, so the draft stays with the raiser and one adviser. Each step
happens once: the sweep locks the row (SKIP LOCKED on PostgreSQL), and the outbox key names
the level.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from handlers.concern.advice import advisers, point_adviser, respond_by
from handlers.deadlines import WorkingCalendar
from handlers.follow_through.escalation import EscalationReport
from handlers.ports import Clock
from handlers.sweeps import sweep_in_batches
from handlers.values import Severity
from store.models import AdviceRequest
from store.unit_of_work import UnitOfWork


def escalate_advice_due(
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    calendar: WorkingCalendar,
    *,
    batch: int = 100,
) -> EscalationReport:
    """One sweep: hand every overdue request to its next adviser, a locked batch at a time."""
    report = EscalationReport()
    sweep_in_batches(
        uow_factory,
        clock,
        claim=lambda uow, now, limit: uow.advice.due_for_escalation(now, limit),
        act=lambda uow, request, now: _escalate(uow, request, now, calendar, report),
        batch=batch,
    )
    return report


def _escalate(
    uow: UnitOfWork,
    request: AdviceRequest,
    now: datetime,
    calendar: WorkingCalendar,
    report: EscalationReport,
) -> None:
    raiser = uow.directory.practitioner(request.raiser_id)
    chain = advisers(uow, raiser) if raiser is not None else []
    ids = [a.person.id for a in chain]
    after = ids.index(request.adviser_id) + 1 if request.adviser_id in ids else 0
    following = [a for a in chain[after:] if a.person.id != request.adviser_id]
    if raiser is None or not following:
        request.escalate_at = None
        report.exhausted += 1
        uow.audit(
            "advice.escalation_exhausted",
            at=now,
            subject=request.client_id,
            detail={"request": request.id, "level": request.escalation_level},
        )
        return
    nxt = following[0]
    request.escalation_level += 1
    request.adviser_id = nxt.person.id
    request.adviser_role = nxt.role.value
    request.escalate_at = respond_by(uow, raiser, Severity(request.severity), now, calendar)
    point_adviser(uow, request, nxt.person, at=now)
    uow.audit(
        "advice.escalated",
        at=now,
        subject=request.client_id,
        detail={
            "request": request.id,
            "level": request.escalation_level,
            "adviser_role": nxt.role.value,
            "recipients": [nxt.person.id],
        },
    )
    report.escalated += 1
    report.levels[request.escalation_level] = report.levels.get(request.escalation_level, 0) + 1
