"""The decisions not to share a practitioner oversees: the list, and the header's link to it.

A decision not to share tells nobody, so its safeguarding lead and DPO (who may not be in the
client's network) need a way to find it. Which decisions a reader oversees is
`network.access.decisions_overseen` (the one rule); this lists them, each a pointer to its
concern page, and nothing about other clients or concerns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.network.access import decisions_overseen
from handlers.ports import Clock
from handlers.values import Category, Severity
from store.unit_of_work import UnitOfWork

DECISIONS_PAGE = ("/decisions", "Decisions not to share")


@dataclass(frozen=True)
class OverseenDecision:
    concern_id: str
    recorded_at: datetime
    category: Category
    severity: Severity
    recorded_by: str
    organisation: str
    client_reference: str
    mine: bool  # the reader recorded it


@dataclass(frozen=True)
class OverseenDecisions:
    decisions: tuple[OverseenDecision, ...]


def oversight_pages(uow: UnitOfWork, practitioner_id: str) -> tuple[tuple[str, str], ...]:
    """The decisions page (path, label), for a reader who oversees any decision; else none.

    Call inside `with uow:` (the session's own read, as the header is drawn)."""
    return (DECISIONS_PAGE,) if decisions_overseen(uow, practitioner_id, first=True) else ()


def decisions_to_oversee(
    uow: UnitOfWork, *, practitioner_id: str, clock: Clock
) -> OverseenDecisions:
    """The decisions not to share the reader oversees now, newest first; the view is audited."""
    with uow:
        found = []
        for concern in decisions_overseen(uow, practitioner_id):
            raiser = uow.directory.practitioner(concern.raiser_id)
            client = uow.directory.client(concern.client_id)
            assert raiser is not None and client is not None
            found.append(
                OverseenDecision(
                    concern_id=concern.id,
                    recorded_at=concern.created_at,
                    category=Category(concern.category),
                    severity=Severity(concern.severity),
                    recorded_by=raiser.name,
                    organisation=raiser.organisation.name,
                    client_reference=client.reference,
                    mine=raiser.id == practitioner_id,
                )
            )
        uow.audit(
            "decisions.list_viewed",
            at=clock.now(),
            actor_id=practitioner_id,
            detail={"shown": len(found)},
        )
        uow.commit()
        return OverseenDecisions(tuple(found))
