"""A legal hold on a client: while it is set, retention shreds none of the client's concerns.

A data protection officer sets and releases it (for now through `flare retention hold` /
`release`). Both are audited with the client's id and who did it; nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.ports import Clock
from store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class HoldChanged:
    client_reference: str
    held: bool
    at: datetime


@dataclass(frozen=True)
class Unchanged:
    """The client was already held (or already not held)."""

    client_reference: str
    held: bool


@dataclass(frozen=True)
class UnknownClient:
    client_reference: str


@dataclass(frozen=True)
class UnknownOfficer:
    practitioner_ref: str


HoldOutcome = HoldChanged | Unchanged | UnknownClient | UnknownOfficer


def set_legal_hold(
    uow: UnitOfWork,
    *,
    client_reference: str,
    held: bool,
    clock: Clock,
    by_ref: str | None = None,
) -> HoldOutcome:
    """Set (`held=True`) or release a client's legal hold, audited; `by_ref` names the DPO."""
    with uow:
        actor_id: str | None = None
        if by_ref is not None:
            officer = uow.directory.practitioner_by_ref(by_ref)
            if officer is None or not officer.active:
                return UnknownOfficer(by_ref)
            actor_id = officer.id
        client = uow.directory.client_by_reference(client_reference)
        if client is None:
            return UnknownClient(client_reference)
        if (client.legal_hold_at is not None) == held:
            return Unchanged(client.reference, held)
        now = clock.now()
        client.legal_hold_at = now if held else None
        uow.audit(
            "client.legal_hold_set" if held else "client.legal_hold_released",
            at=now,
            actor_id=actor_id,
            subject=client.id,
            detail={"via": "cli"},
        )
        uow.commit()
        return HoldChanged(client.reference, held, now)
