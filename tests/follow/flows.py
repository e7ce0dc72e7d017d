"""Helpers for the follow-through tests: raise on a seeded directory, set a duty contact."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handlers.deadlines import WorkingCalendar
from handlers.ports import Clock
from handlers.values import Severity
from store.unit_of_work import UnitOfWork
from tests.directory import Directory
from tests.raising import raise_for_test

CANARY = "CANARY-7f3a Jamie hungry bruise"


def raise_one(
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    d: Directory,
    *,
    raiser: str = "amara",
    client: str = "C-1001",
    severity: Severity = Severity.HIGH,
    key: str = "sub-1",
    calendar: WorkingCalendar | None = None,
    **over: Any,
) -> str:
    """A concern with the canary in its free text (tests/raising.py); its id."""
    raised = raise_for_test(
        uow_factory,
        d,
        clock,
        calendar,
        raiser=raiser,
        client=client,
        key=key,
        severity=severity,
        noticed=f"{CANARY} noticed",
        rationale=f"{CANARY} rationale",
        family_reason=f"{CANARY} reason",
        **over,
    )
    return raised.concern_id


def set_duty_contact(
    uow_factory: Callable[[], UnitOfWork], d: Directory, organisation: str, person: str
) -> None:
    with uow_factory() as uow:
        org = uow.directory.organisation_by_ref(organisation)
        assert org is not None
        org.duty_contact_id = d.people[person]
        uow.commit()


def close_one(
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    d: Directory,
    concern_id: str,
    *,
    by: str = "chloe",
    outcome: str = "no_further_action",
    note: str = "",
) -> None:
    """The lead closes the concern through the real use case (never by setting a status)."""
    from handlers.follow_through.closing import CloseConcern, Closed, close_concern

    command = CloseConcern(concern_id, d.people[by], outcome, note)
    closed = close_concern(uow_factory(), command, clock=clock)
    assert isinstance(closed, Closed), closed
