"""A client's record for the subject access tests: two concerns (one a decision not to
share), added information, a follow-up and views; another client's concern beside it."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from handlers.concern.chronology import ChronologyFilters, chronology
from handlers.concern.information import InformationAdded, add_information
from handlers.concern.not_sharing import DecisionRecorded, record_decision_not_to_share
from handlers.concern.viewing import view_concern
from handlers.deadlines import WorkingCalendar
from handlers.follow_through.follow_ups import FollowUpAdded, add_follow_up
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock
from tests.directory import Directory
from tests.raising import raise_command, raise_for_test

UowFactory = Callable[[], UnitOfWork]

PROTECTED = "Mrs Canary Neighbour"
NOTICED = f"Always hungry at pick-up; {PROTECTED} says so too"
OTHER_MENTION = "Plays with C-1002 (NHS 943 476 5870) after school"
NOT_SHARING = "Reasons-not-to-share canary: the family is already working with us"
FOLLOW_UP = "Call the school about breakfast club"
OTHER_CLIENT_CANARY = "Other-client canary, never in C-1001's export"
OWN_NHS = "9434765919"  # C-1001's, in the demo directory


@dataclass(frozen=True)
class Record:
    shared_id: str  # raised by dev, narrowed to chloe and erin
    not_shared_id: str  # amara's decision not to share
    other_id: str  # about C-1002


def make_officers(uow_factory: UowFactory, d: Directory) -> None:
    """Dev is Oakfield's DPO; Ben and Femi administer theirs (as in the demo)."""
    with uow_factory() as uow:
        dev = uow.directory.practitioner(d.people["dev"])
        assert dev is not None
        dev.organisation.dpo_id = dev.id
        for ref in ("ben", "femi"):
            admin = uow.directory.practitioner(d.people[ref])
            assert admin is not None
            admin.is_admin = True
        uow.commit()


def make_record(uow_factory: UowFactory, d: Directory, clock: FakeClock) -> Record:
    calendar = WorkingCalendar()
    shared = raise_for_test(
        uow_factory,
        d,
        clock,
        calendar,
        raiser="dev",
        key=secrets.token_hex(8),
        noticed=NOTICED,
        recipients=[d.people["chloe"], d.people["erin"]],
        narrowing_reason="Need to know",
        protected_identities=PROTECTED,
    ).concern_id
    clock.advance(minutes=5)
    added = add_information(
        uow_factory(),
        concern_id=shared,
        author_id=d.people["chloe"],
        text=OTHER_MENTION,
        submission_key=secrets.token_hex(8),
        clock=clock,
    )
    assert isinstance(added, InformationAdded), added
    follow_up = add_follow_up(
        uow_factory(),
        concern_id=shared,
        created_by_id=d.people["chloe"],
        owner_id=d.people["erin"],
        due=clock.now().date() + timedelta(days=7),
        action=FOLLOW_UP,
        submission_key=secrets.token_hex(8),
        clock=clock,
    )
    assert isinstance(follow_up, FollowUpAdded), follow_up
    decision = record_decision_not_to_share(
        raise_command(d, raiser="amara", key=secrets.token_hex(8)),
        reason=NOT_SHARING,
        uow=uow_factory(),
        clock=clock,
    )
    assert isinstance(decision, DecisionRecorded), decision
    other = raise_for_test(
        uow_factory,
        d,
        clock,
        calendar,
        raiser="erin",
        client="C-1002",
        key=secrets.token_hex(8),
        noticed=OTHER_CLIENT_CANARY,
        rationale=OTHER_CLIENT_CANARY,
    ).concern_id
    clock.advance(minutes=5)
    view_concern(uow_factory(), concern_id=shared, practitioner_id=d.people["chloe"], clock=clock)
    view_concern(uow_factory(), concern_id=other, practitioner_id=d.people["chloe"], clock=clock)
    chronology(
        uow_factory(),
        client_id=d.clients["C-1001"],
        practitioner_id=d.people["erin"],
        filters=ChronologyFilters(),
        clock=clock,
    )
    return Record(shared, decision.concern_id, other)
