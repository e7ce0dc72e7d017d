"""Asking to join a child's network: from the receipt of a concern raised from outside, or
by the child's identifier; the lead approves or declines, both audited, and the asker is told
either way by a pointer that says nothing of the child. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from handlers.concern.joining import (
    ASKED,
    JoinAsked,
    NotAllowed,
    ask_by_identifier,
    ask_from_receipt,
    decide_join,
    pending_for,
)
from handlers.concern.outsider import SentAboutChild
from handlers.concern.viewing import NoAccess, view_concern
from handlers.invalid import Invalid
from handlers.outbox.delivery import deliver_due
from handlers.values import Platform, PointerKind
from store.models import AuditEvent
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock, FakeMinter
from tests.directory import seed_directory
from tests.fakes import FakeNotifier
from tests.handlers.test_outsider import send
from tests.outsiders import KNOWN_NHS, UNKNOWN_NHS, add_outside_organisation

UowFactory = Callable[[], UnitOfWork]


@pytest.fixture
def world(uow_factory: UowFactory, clock: FakeClock) -> dict[str, str]:
    people = seed_directory(uow_factory, clock.now()).people
    return {**people, **add_outside_organisation(uow_factory, clock.now())}


def sent(uow_factory: UowFactory, clock: FakeClock) -> FakeNotifier:
    notifier = FakeNotifier()
    deliver_due(uow_factory, dict.fromkeys(Platform, notifier), FakeMinter(), clock)
    return notifier


def audited(uow_factory: UowFactory) -> list[str]:
    with uow_factory() as uow:
        actions = uow.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq))
        return [a for a in actions if a.startswith("join.")]


@pytest.mark.parametrize("approve", [True, False])
def test_the_join_round_trip_from_a_receipt(
    uow_factory: UowFactory, clock: FakeClock, world: dict[str, str], approve: bool
) -> None:
    raised = send(uow_factory, clock, world["gail"], KNOWN_NHS, "k1")
    assert isinstance(raised, SentAboutChild)
    asked = ask_from_receipt(
        uow_factory(), asker_id=world["gail"], concern_id=raised.concern_id, clock=clock
    )
    assert asked == JoinAsked() and asked.message == ASKED
    told = sent(uow_factory, clock)
    to_lead = [p for p in told.sent if p.kind is PointerKind.JOIN_REQUEST]
    assert {p.recipient_id for p in to_lead} == {world["chloe"], world["erin"]}
    assert all(p.link is None and p.concern_id is None for p in to_lead)
    (pending,) = pending_for(uow_factory(), practitioner_id=world["chloe"])
    assert pending.asker == "Gail Burns" and pending.client_reference == "C-1001"
    assert pending_for(uow_factory(), practitioner_id=world["gail"]) == ()
    with pytest.raises(NotAllowed):  # only the lead or deputy decides
        decide_join(
            uow_factory(),
            request_id=pending.request_id,
            decider_id=world["dev"],
            approve=True,
            clock=clock,
        )

    decide_join(
        uow_factory(),
        request_id=pending.request_id,
        decider_id=world["chloe"],
        approve=approve,
        clock=clock,
    )

    after = sent(uow_factory, clock)
    (answer,) = after.to(world["gail"])
    assert answer.kind is (PointerKind.JOIN_APPROVED if approve else PointerKind.JOIN_DECLINED)
    # Each lead's request pointer is edited in place into what was decided, buttonless.
    settled = PointerKind.JOIN_REQUEST_APPROVED if approve else PointerKind.JOIN_REQUEST_DECLINED
    edits = {p.recipient_id: p for p in after.sent if p.kind is settled}
    assert set(edits) == {world["chloe"], world["erin"]}
    assert {p.updates.values["id"] for p in edits.values() if p.updates} == {
        p.idempotency_key for p in to_lead
    }
    assert edits[world["chloe"]].by_recipient and not edits[world["erin"]].by_recipient
    assert all(p.join_request_id is None and p.link is None for p in edits.values())
    assert answer.link is None and answer.concern_id is None
    assert audited(uow_factory) == [
        "join.requested",
        "join.approved" if approve else "join.declined",
    ]
    with uow_factory() as uow:
        client = uow.directory.client_by_reference("C-1001")
        assert client is not None
        member = uow.directory.membership(client.id, world["gail"])
        assert (member is not None) is approve
    with pytest.raises(NotAllowed):  # decided once
        decide_join(
            uow_factory(),
            request_id=pending.request_id,
            decider_id=world["chloe"],
            approve=True,
            clock=clock,
        )
    with pytest.raises(NoAccess):  # a member sees what is shared with them, not this
        view_concern(
            uow_factory(), concern_id=raised.concern_id, practitioner_id=world["gail"], clock=clock
        )


def test_asking_by_identifier_looks_the_same_known_or_not(
    uow_factory: UowFactory, clock: FakeClock, world: dict[str, str]
) -> None:
    known = ask_by_identifier(
        uow_factory(), asker_id=world["gail"], identifier=KNOWN_NHS, clock=clock
    )
    unknown = ask_by_identifier(
        uow_factory(), asker_id=world["gail"], identifier=UNKNOWN_NHS, clock=clock
    )
    assert known == unknown == JoinAsked()
    to = {p.recipient_id for p in sent(uow_factory, clock).sent}
    assert to == {world["chloe"], world["erin"], world["hana"], world["ivan"]}
    again = ask_by_identifier(
        uow_factory(), asker_id=world["gail"], identifier=KNOWN_NHS, clock=clock
    )
    assert again == JoinAsked() and sent(uow_factory, clock).sent == []  # one pending request
    bad = ask_by_identifier(uow_factory(), asker_id=world["gail"], identifier="", clock=clock)
    assert isinstance(bad, Invalid)


def test_only_the_raiser_asks_from_a_receipt(
    uow_factory: UowFactory, clock: FakeClock, world: dict[str, str]
) -> None:
    raised = send(uow_factory, clock, world["gail"], KNOWN_NHS, "k1")
    assert isinstance(raised, SentAboutChild)
    refused = ask_from_receipt(
        uow_factory(), asker_id=world["hana"], concern_id=raised.concern_id, clock=clock
    )
    assert isinstance(refused, Invalid)
