"""A legal hold on a client: while it is set, retention shreds none of the client's concerns.

A data protection officer (`handlers.dpo_rule`) sets and lifts it on the web
(`/admin/legal-hold`), finding the client by an exact identifier (NHS number through the
blind index, or the client reference: nothing is listed or browsed) and choosing a reason
from a closed list, so no free text is ever written; operators can also use
`flare retention hold` / `release`. Each change is audited with the client's id, who did
it, the hold before and after, and the reason's code; nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from handlers.child_identifier import blind_digest, known_client, parse_identifier
from handlers.dpo_rule import data_protection_officer
from handlers.invalid import Invalid
from handlers.ports import Clock
from store.models import Client
from store.unit_of_work import UnitOfWork


class HoldReason(StrEnum):
    """Why a hold is set: a closed list, so the record holds no free text."""

    LITIGATION = "litigation"
    REGULATOR = "regulator"
    POLICE = "police"
    PRACTICE_REVIEW = "practice_review"
    SUBJECT_REQUEST = "subject_request"
    OTHER = "other"
    CONCLUDED = "concluded"
    IN_ERROR = "in_error"

    @property
    def label(self) -> str:
        return {
            "litigation": "Legal proceedings, started or expected",
            "regulator": "An investigation by the ICO or another regulator",
            "police": "A police or criminal investigation",
            "practice_review": "A child safeguarding practice review or inquiry",
            "subject_request": "A subject access request or complaint being answered",
            "other": "Another reason, recorded with the DPO",
            "concluded": "The matter that needed the hold has concluded",
            "in_error": "The hold was set in error",
        }[self.value]


# Which reasons fit which change: setting a hold, or lifting it.
SET_REASONS = tuple(r for r in HoldReason if r not in (HoldReason.CONCLUDED, HoldReason.IN_ERROR))
LIFT_REASONS = (HoldReason.CONCLUDED, HoldReason.IN_ERROR, HoldReason.OTHER)


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
        outcome = _apply(uow, client, held, actor_id, clock, {"via": "cli"})
        uow.commit()
        return outcome


def _apply(
    uow: UnitOfWork,
    client: Client,
    held: bool,
    actor_id: str | None,
    clock: Clock,
    detail: dict[str, Any],
) -> HoldChanged | Unchanged:
    """Set or lift the hold, audited with its before and after; nothing if already so."""
    before = client.legal_hold_at is not None
    if before == held:
        return Unchanged(client.reference, held)
    now = clock.now()
    client.legal_hold_at = now if held else None
    uow.audit(
        "client.legal_hold_set" if held else "client.legal_hold_released",
        at=now,
        actor_id=actor_id,
        subject=client.id,
        detail={**detail, "before": {"held": before}, "after": {"held": held}},
    )
    return HoldChanged(client.reference, held, now)


class NotOfficer(Exception):
    """Only an organisation's data protection officer may hold a client (audited refusal)."""


@dataclass(frozen=True)
class HoldStatus:
    """A client the DPO found by identifier: its reference and hold, nothing else."""

    client_id: str
    client_reference: str
    held_since: datetime | None


@dataclass(frozen=True)
class HoldPage:
    """What the DPO's page shows next: the client found (if any), errors, and what changed."""

    status: HoldStatus | None
    errors: Mapping[str, str] = field(default_factory=dict)
    changed: bool = False


def require_officer(uow: UnitOfWork, *, practitioner_id: str, clock: Clock) -> None:
    """Pass for a DPO; anyone else is refused, and the refusal audited (committed)."""
    if data_protection_officer(uow, practitioner_id) is None:
        uow.audit("admin.refused", at=clock.now(), actor_id=practitioner_id, subject="legal_hold")
        uow.commit()
        raise NotOfficer(practitioner_id)


def _status(client: Client) -> HoldStatus:
    return HoldStatus(client.id, client.reference, client.legal_hold_at)


def find_for_hold(uow: UnitOfWork, *, officer_id: str, identifier: str, clock: Clock) -> HoldPage:
    """The client an exact identifier names, for a DPO; audited, the identifier never kept."""
    with uow:
        require_officer(uow, practitioner_id=officer_id, clock=clock)
        child = parse_identifier(identifier, today=clock.now().date())
        if isinstance(child, Invalid):
            return HoldPage(None, child.errors)
        client = known_client(uow, child, blind_digest(uow, child))
        uow.audit(
            "client.legal_hold_looked_up",
            at=clock.now(),
            actor_id=officer_id,
            subject=client.id if client else None,
            detail={"found": client is not None},
        )
        uow.commit()
        if client is None:
            return HoldPage(None, {"identifier": "No client in Flare has that identifier"})
        return HoldPage(_status(client))


def change_legal_hold(
    uow: UnitOfWork, *, officer_id: str, client_id: str, held: bool, reason: str, clock: Clock
) -> HoldPage:
    """A DPO sets or lifts a client's hold with a reason (`SET_REASONS`, `LIFT_REASONS`)."""
    with uow:
        require_officer(uow, practitioner_id=officer_id, clock=clock)
        client = uow.directory.client(client_id)
        if client is None:
            return HoldPage(None, {"identifier": "Find the client again by their identifier"})
        if reason not in (SET_REASONS if held else LIFT_REASONS):
            verb = "set" if held else "lifted"
            return HoldPage(_status(client), {"reason": f"Choose why the legal hold is {verb}"})
        detail = {"via": "web", "reason": HoldReason(reason).value}
        outcome = _apply(uow, client, held, officer_id, clock, detail)
        uow.commit()
        return HoldPage(_status(client), changed=isinstance(outcome, HoldChanged))
