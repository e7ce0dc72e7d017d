"""The DPO's legal hold use cases (handlers.retention.legal_hold), on SQLite and PostgreSQL:
only a DPO, a client found by exact identifier, a reason from the closed list that fits the
change, audited with before and after."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from handlers.dpo_rule import data_protection_officer
from handlers.retention.legal_hold import (
    LIFT_REASONS,
    SET_REASONS,
    HoldPage,
    HoldReason,
    NotOfficer,
    change_legal_hold,
    find_for_hold,
)
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock
from tests.directory import Directory, seed_directory

UowFactory = Callable[[], UnitOfWork]
NHS = "9434765919"  # C-1001's


def _with_dpo(uow_factory: UowFactory, clock: FakeClock) -> Directory:
    d = seed_directory(uow_factory, clock.now())
    with uow_factory() as uow:
        femi = uow.directory.practitioner(d.people["femi"])
        assert femi is not None
        femi.organisation.dpo_id = femi.id
        uow.commit()
    return d


def test_only_an_active_dpo_of_their_own_organisation_counts(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = _with_dpo(uow_factory, clock)
    with uow_factory() as uow:
        assert data_protection_officer(uow, d.people["femi"]) is not None
        assert data_protection_officer(uow, d.people["erin"]) is None  # same organisation
        assert data_protection_officer(uow, d.people["ben"]) is None  # an admin elsewhere
        femi = uow.directory.practitioner(d.people["femi"])
        assert femi is not None
        femi.active = False
        assert data_protection_officer(uow, femi.id) is None  # a leaver
    for who in ("erin", "ben"):
        with pytest.raises(NotOfficer):
            find_for_hold(uow_factory(), officer_id=d.people[who], identifier=NHS, clock=clock)
        with pytest.raises(NotOfficer):
            change_legal_hold(
                uow_factory(),
                officer_id=d.people[who],
                client_id=d.clients["C-1001"],
                held=True,
                reason="police",
                clock=clock,
            )


def test_the_client_is_found_by_nhs_number_or_reference_and_nothing_else(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = _with_dpo(uow_factory, clock)
    femi = d.people["femi"]
    for typed in (NHS, "943 476 5919", "c-1001", " C-1001 "):
        shown = find_for_hold(uow_factory(), officer_id=femi, identifier=typed, clock=clock)
        assert shown.status is not None and shown.status.client_id == d.clients["C-1001"], typed
        assert shown.status.held_since is None and not shown.errors
    for typed in ("", "Jamie Rivers", "9434765927", "x" * 65):
        shown = find_for_hold(uow_factory(), officer_id=femi, identifier=typed, clock=clock)
        assert shown.status is None and "identifier" in shown.errors, typed
        assert typed.strip() == "" or typed not in shown.errors["identifier"]


def test_a_reason_must_fit_the_change_and_a_repeat_changes_nothing(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = _with_dpo(uow_factory, clock)
    client = d.clients["C-1001"]

    def change(held: bool, reason: str) -> HoldPage:
        return change_legal_hold(
            uow_factory(),
            officer_id=d.people["femi"],
            client_id=client,
            held=held,
            reason=reason,
            clock=clock,
        )

    assert HoldReason.CONCLUDED not in SET_REASONS and HoldReason.POLICE not in LIFT_REASONS
    for bad in ("", "concluded", "whatever"):
        refused = change(True, bad)
        assert refused.errors == {"reason": "Choose why the legal hold is set"}
    held = change(True, "police")
    assert held.changed is True
    assert held.status is not None and held.status.held_since == clock.now()
    assert change(True, "police").changed is False  # already held
    assert change(False, "police").errors == {"reason": "Choose why the legal hold is lifted"}
    assert change(False, "in_error").changed is True
    with uow_factory() as uow:
        found = uow.directory.client(client)
        assert found is not None and found.legal_hold_at is None
