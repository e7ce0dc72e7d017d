"""One way for a test to raise a concern: the real `raise_concern` use case, default answers.

Every suite that needs a concern in the store (handlers, follow-through, store, Slack, Teams,
cross-platform and privacy) raises it here, overriding only the answers it is about:
`raise_for_test(uow_factory, d, clock, calendar, noticed=CANARY, key="two")`. Any field of
`RaiseConcern` can be overridden (`client_id=...` for a client outside the seeded directory).
Surface drivers (the Slack modal, the Teams dialog, the web form) stay with their suites.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from handlers.concern.raising import RaiseConcern, Raised, raise_concern
from handlers.deadlines import WorkingCalendar
from handlers.ports import Clock
from handlers.values import Category, FamilyInformed, LawfulBasis, Severity
from store.unit_of_work import UnitOfWork


class Seeded(Protocol):
    """A seeded directory: people and clients by their reference (tests/directory.py)."""

    @property
    def people(self) -> Mapping[str, str]: ...

    @property
    def clients(self) -> Mapping[str, str]: ...


ANSWERS: Mapping[str, Any] = {
    "category": Category.NEGLECT,
    "severity": Severity.HIGH,
    "noticed": "Always hungry at pick-up",
    "rationale": "Pattern of neglect",
    "lawful_basis": LawfulBasis.PUBLIC_TASK,
    "family_informed": FamilyInformed.NOT_SAFE,
    "family_reason": "Could escalate risk at home",
}


def raise_command(
    directory: Seeded,
    *,
    raiser: str = "amara",
    client: str = "C-1001",
    key: str = "sub-1",
    **answers: Any,
) -> RaiseConcern:
    """`raiser` raises about `client` (refs in `directory`); `answers` override the defaults."""
    fields: dict[str, Any] = {
        "raiser_id": directory.people[raiser],
        **ANSWERS,
        "submission_key": key,
    }
    if "client_id" not in answers:
        fields["client_id"] = directory.clients[client]
    return RaiseConcern(**(fields | answers))


def raise_for_test(
    uow_factory: Callable[[], UnitOfWork],
    directory: Seeded,
    clock: Clock,
    calendar: WorkingCalendar | None = None,
    *,
    raiser: str = "amara",
    client: str = "C-1001",
    key: str = "sub-1",
    **answers: Any,
) -> Raised:
    """Raise through the use case (default calendar: `WorkingCalendar.uk()`); it must succeed."""
    command = raise_command(directory, raiser=raiser, client=client, key=key, **answers)
    outcome = raise_concern(command, uow_factory(), clock, calendar or WorkingCalendar.uk())
    assert isinstance(outcome, Raised), outcome
    return outcome
