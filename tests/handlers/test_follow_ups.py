"""Follow-ups and the chronology as use cases: dates, owners, narrowing, shredding."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from handlers.concern.chronology import ChronologyFilters, chronology
from handlers.concern.raising import RaiseConcern, Raised, raise_concern
from handlers.deadlines import WorkingCalendar
from handlers.follow_through.follow_ups import (
    AddFollowUpOutcome,
    FollowUpAdded,
    add_follow_up,
    date_from_fields,
    due_at,
    follow_up_owners,
    list_follow_ups,
)
from handlers.invalid import Invalid
from handlers.network.routing import NotInNetwork
from handlers.values import Category, FamilyInformed, LawfulBasis, Severity
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock
from tests.directory import Directory, seed_directory

Factory = Callable[[], UnitOfWork]
TODAY = date(2026, 11, 24)  # the fake clock's day


@pytest.fixture
def directory(uow_factory: Factory, clock: FakeClock) -> Directory:
    return seed_directory(uow_factory, clock.now())


def _raise(
    uow_factory: Factory,
    clock: FakeClock,
    calendar: WorkingCalendar,
    d: Directory,
    recipients: list[str] | None = None,
) -> str:
    outcome = raise_concern(
        RaiseConcern(
            raiser_id=d.people["amara"],
            client_id=d.clients["C-1001"],
            category=Category.NEGLECT,
            severity=Severity.MEDIUM,
            noticed="Hungry again",
            rationale="The lead needs to know",
            lawful_basis=LawfulBasis.PUBLIC_TASK,
            family_informed=FamilyInformed.YES,
            submission_key=f"k-{len(recipients or [])}-{clock.now().isoformat()}",
            recipients=recipients,
            narrowing_reason="Need to know" if recipients else "",
        ),
        uow_factory(),
        clock,
        calendar,
    )
    assert isinstance(outcome, Raised)
    return outcome.concern_id


def _add(
    uow_factory: Factory, clock: FakeClock, concern_id: str, by: str, owner: str, **kw: Any
) -> AddFollowUpOutcome:
    args: dict[str, Any] = {
        "due": TODAY + timedelta(days=3),
        "action": "Visit",
        "submission_key": "s1",
    } | kw
    return add_follow_up(
        uow_factory(),
        concern_id=concern_id,
        created_by_id=by,
        owner_id=owner,
        clock=clock,
        **args,
    )


def test_date_fields_and_due_time() -> None:
    assert date_from_fields(" 1", "12 ", "2026") == date(2026, 12, 1)
    for bad in (("31", "2", "2027"), ("", "1", "2026"), ("a", "b", "c"), ("1", "13", "2026")):
        assert date_from_fields(*bad) is None
    assert due_at(date(2026, 7, 1)).utcoffset() == timedelta(hours=1)  # 5pm BST is 16:00 UTC
    assert due_at(date(2026, 12, 1)).hour == 17


def test_due_date_must_be_from_today_to_a_year_ahead(
    uow_factory: Factory, clock: FakeClock, calendar: WorkingCalendar, directory: Directory
) -> None:
    d = directory
    concern_id = _raise(uow_factory, clock, calendar, d)
    chloe, erin = d.people["chloe"], d.people["erin"]
    for due, ok in [
        (TODAY - timedelta(days=1), False),
        (TODAY, True),
        (TODAY + timedelta(days=366), True),
        (TODAY + timedelta(days=367), False),
        (None, False),
    ]:
        outcome = _add(
            uow_factory, clock, concern_id, chloe, erin, due=due, submission_key=str(due)
        )
        assert isinstance(outcome, FollowUpAdded) is ok, (due, outcome)
        if not ok:
            assert isinstance(outcome, Invalid) and "due" in outcome.errors


def test_owner_must_be_someone_it_was_shared_with(
    uow_factory: Factory, clock: FakeClock, calendar: WorkingCalendar, directory: Directory
) -> None:
    d = directory
    narrowed = _raise(uow_factory, clock, calendar, d, recipients=[d.people["chloe"]])
    owners = follow_up_owners(uow_factory(), concern_id=narrowed, practitioner_id=d.people["chloe"])
    assert {o.name for o in owners} == {"Chloe Patel", "Amara Okafor"}  # lead and raiser
    assert (
        follow_up_owners(uow_factory(), concern_id=narrowed, practitioner_id=d.people["dev"]) == ()
    )
    # Dev is in the network but was narrowed out: he may not own it, nor add one.
    refused = _add(uow_factory, clock, narrowed, d.people["chloe"], d.people["dev"])
    assert isinstance(refused, Invalid) and "owner" in refused.errors
    by_dev = _add(uow_factory, clock, narrowed, d.people["dev"], d.people["chloe"])
    assert isinstance(by_dev, Invalid)
    added = _add(uow_factory, clock, narrowed, d.people["chloe"], d.people["amara"])
    assert isinstance(added, FollowUpAdded) and added.notified
    assert (
        list_follow_ups(
            uow_factory(), concern_id=narrowed, practitioner_id=d.people["dev"], clock=clock
        )
        == ()
    )
    (view,) = list_follow_ups(
        uow_factory(), concern_id=narrowed, practitioner_id=d.people["amara"], clock=clock
    )
    assert view.action == "Visit" and not view.overdue
    clock.advance(days=4)
    (late,) = list_follow_ups(
        uow_factory(), concern_id=narrowed, practitioner_id=d.people["amara"], clock=clock
    )
    assert late.overdue


def test_chronology_for_members_only_and_shredded_concerns_show_no_words(
    uow_factory: Factory, clock: FakeClock, calendar: WorkingCalendar, directory: Directory
) -> None:
    d = directory
    concern_id = _raise(uow_factory, clock, calendar, d)
    _add(uow_factory, clock, concern_id, d.people["chloe"], d.people["erin"])
    with pytest.raises(NotInNetwork):
        chronology(
            uow_factory(),
            client_id=d.clients["C-1001"],
            practitioner_id=d.people["ben"],
            filters=ChronologyFilters(),
            clock=clock,
        )
    view = chronology(
        uow_factory(),
        client_id=d.clients["C-1001"],
        practitioner_id=d.people["chloe"],
        filters=ChronologyFilters(severity=Severity.MEDIUM),
        clock=clock,
    )
    assert [e.kind for e in view.events] == ["follow_up", "concern"]
    assert [e.text for e in view.events] == ["Visit", "Hungry again"]
    with uow_factory() as uow:
        concern = uow.concerns.get(concern_id)
        assert concern is not None and concern.data_key_id is not None
        uow.vault.shred(concern.data_key_id)
        concern.data_key_id = None
        uow.commit()
    shredded = chronology(
        uow_factory(),
        client_id=d.clients["C-1001"],
        practitioner_id=d.people["chloe"],
        filters=ChronologyFilters(),
        clock=clock,
    )
    assert [e.text for e in shredded.events] == ["", ""]
