"""Retention of requests for advice that were never sent nor decided.

A request the raiser sent, or turned into a decision not to share, goes with the concern it
became (`store.repositories.retention`). One left open is forgotten once the raiser's
organisation's period for decisions not to share has passed since it was asked (it was never
shared either): its row and its data key are deleted, so its sealed draft and reply are gone
for good. A client under a legal hold keeps them. Audited with ids only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from handlers.partnership import retention_days
from handlers.ports import Clock
from store.unit_of_work import UnitOfWork


def forget_unsent_advice(
    uow_factory: Callable[[], UnitOfWork], clock: Clock, *, batch: int = 100
) -> int:
    """Delete every open request past its organisation's period; how many were deleted."""
    with uow_factory() as uow:
        periods = [
            (o.id, retention_days(uow, o, not_shared=True)) for o in uow.directory.organisations()
        ]
    forgotten = 0
    for organisation_id, days in periods:
        while True:
            with uow_factory() as uow:
                now = clock.now()
                stale = uow.advice.unsent_before(organisation_id, now - timedelta(days=days), batch)
                for request in stale:
                    uow.audit(
                        "advice.forgotten",
                        at=now,
                        subject=request.client_id,
                        detail={"request": request.id, "retention_days": days},
                    )
                    if request.data_key_id is not None:
                        uow.vault.shred(request.data_key_id)
                    uow.advice.forget(request)
                uow.commit()
            forgotten += len(stale)
            if len(stale) < batch:
                break
    return forgotten
