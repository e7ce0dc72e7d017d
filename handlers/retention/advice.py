"""Retention of requests for advice that were never sent nor decided.

A request the raiser sent, or turned into a decision not to share, goes with the concern it
became (`store.repositories.retention`). One left open is forgotten once the raiser's
organisation's period for decisions not to share has passed since it was asked (it was never
shared either): its row and its data key are deleted, so its sealed draft and reply are gone
for good. A client under a legal hold keeps them. Audited with ids only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from handlers.partnership import retention_days
from handlers.ports import Clock
from handlers.sweeps import sweep_in_batches
from store.models import AdviceRequest
from store.unit_of_work import UnitOfWork


def forget_unsent_advice(
    uow_factory: Callable[[], UnitOfWork], clock: Clock, *, batch: int = 100
) -> int:
    """Delete every open request past its organisation's period; how many were deleted."""
    with uow_factory() as uow:
        periods = [
            (o.id, retention_days(uow, o, not_shared=True)) for o in uow.directory.organisations()
        ]
    return sum(
        _forget_asked_before(uow_factory, clock, organisation_id, days, batch)
        for organisation_id, days in periods
    )


def _forget_asked_before(
    uow_factory: Callable[[], UnitOfWork], clock: Clock, organisation_id: str, days: int, batch: int
) -> int:
    """One organisation's open requests asked more than `days` ago: forgotten; how many."""
    return sweep_in_batches(
        uow_factory,
        clock,
        claim=lambda uow, now, limit: uow.advice.unsent_before(
            organisation_id, now - timedelta(days=days), limit
        ),
        act=lambda uow, request, now: _forget(uow, request, now, days),
        batch=batch,
    )


def _forget(uow: UnitOfWork, request: AdviceRequest, now: datetime, days: int) -> None:
    uow.audit(
        "advice.forgotten",
        at=now,
        subject=request.client_id,
        detail={"request": request.id, "retention_days": days},
    )
    if request.data_key_id is not None:
        uow.vault.shred(request.data_key_id)
    uow.advice.forget(request)
