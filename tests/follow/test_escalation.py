"""Escalation on a real store: deputy, then duty contact, once per level; acknowledging stops it."""

from __future__ import annotations

from sqlalchemy import select

from handlers.concern.viewing import view_concern
from handlers.deadlines import WorkingCalendar
from handlers.follow_through.acknowledge import Acknowledged, acknowledge
from handlers.follow_through.escalation import escalate_due
from handlers.outbox.delivery import deliver_due
from handlers.values import Platform, PointerKind, Severity
from store import audit
from store.models import AuditEvent, Concern
from tests.conftest import FakeClock, FakeMinter, UowFactory
from tests.directory import seed_directory
from tests.fakes import FakeNotifier
from tests.follow.flows import raise_one, set_duty_contact

CAL = WorkingCalendar.uk()


def _kinds(chat: FakeNotifier, start: int = 0) -> list[tuple[PointerKind, str, int]]:
    return [(p.kind, p.recipient_id, p.escalation_level) for p in chat.sent[start:]]


def test_chain_deputy_then_duty_once_per_level(
    uow_factory: UowFactory, clock: FakeClock, minter: FakeMinter
) -> None:
    d = seed_directory(uow_factory, clock.now())
    set_duty_contact(uow_factory, d, "oakfield-primary", "femi")
    concern_id = raise_one(uow_factory, clock, d, severity=Severity.IMMEDIATE)
    chat = FakeNotifier()
    notifiers = {Platform.PLAYGROUND: chat}
    deliver_due(uow_factory, notifiers, minter, clock)
    first = len(chat.sent)

    assert escalate_due(uow_factory, clock, CAL).escalated == 0  # not yet due
    clock.advance(minutes=61)
    assert escalate_due(uow_factory, clock, CAL).levels == {1: 1}
    assert escalate_due(uow_factory, clock, CAL).escalated == 0  # once per level
    deliver_due(uow_factory, notifiers, minter, clock)
    assert sorted(_kinds(chat, first)) == sorted(
        [
            (PointerKind.ESCALATION, d.people["erin"], 1),
            (PointerKind.ESCALATED_RECEIPT, d.people["amara"], 1),
        ]
    )
    second = len(chat.sent)
    clock.advance(minutes=61)
    assert escalate_due(uow_factory, clock, CAL).levels == {2: 1}
    clock.advance(days=10)
    assert escalate_due(uow_factory, clock, CAL).escalated == 0  # the chain has ended
    deliver_due(uow_factory, notifiers, minter, clock)
    assert sorted(_kinds(chat, second)) == sorted(
        [
            (PointerKind.ESCALATION, d.people["femi"], 2),
            (PointerKind.ESCALATED_RECEIPT, d.people["amara"], 2),
        ]
    )
    # the duty contact can read it and acknowledge; the steps show on the concern page
    view = view_concern(
        uow_factory(), concern_id=concern_id, practitioner_id=d.people["amara"], clock=clock
    )
    assert [(s.level, s.to) for s in view.escalations] == [(1, "Erin Walsh"), (2, "Femi Adeyemi")]
    outcome = acknowledge(
        uow_factory(), concern_id=concern_id, practitioner_id=d.people["femi"], clock=clock
    )
    assert isinstance(outcome, Acknowledged)
    with uow_factory() as uow:
        actions = uow.session.scalars(
            select(AuditEvent.action).where(AuditEvent.concern_id == concern_id)
        ).all()
        assert actions.count("concern.escalated") == 2
        assert audit.verify(uow.session).ok


def test_acknowledgement_mid_chain_stops_it(
    uow_factory: UowFactory, clock: FakeClock, minter: FakeMinter
) -> None:
    d = seed_directory(uow_factory, clock.now())
    set_duty_contact(uow_factory, d, "oakfield-primary", "femi")
    concern_id = raise_one(uow_factory, clock, d, severity=Severity.IMMEDIATE)
    clock.advance(minutes=61)
    escalate_due(uow_factory, clock, CAL)
    assert isinstance(
        acknowledge(
            uow_factory(), concern_id=concern_id, practitioner_id=d.people["erin"], clock=clock
        ),
        Acknowledged,
    )
    clock.advance(days=30)
    assert escalate_due(uow_factory, clock, CAL).escalated == 0
    chat = FakeNotifier()
    deliver_due(uow_factory, {Platform.PLAYGROUND: chat}, minter, clock)
    clock.advance(seconds=3)  # updates wait for the message they update to be sent
    deliver_due(uow_factory, {Platform.PLAYGROUND: chat}, minter, clock)
    assert not [p for p in chat.sent if p.recipient_id == d.people["femi"]]
    # the escalation pointer to the deputy is turned into "acknowledged" in place
    assert (PointerKind.ACKNOWLEDGED, d.people["erin"]) in [
        (p.kind, p.recipient_id) for p in chat.sent
    ]
    with uow_factory() as uow:
        concern = uow.session.get(Concern, concern_id)
        assert concern is not None and concern.escalation_level == 1


def test_no_deputy_goes_straight_to_duty_and_no_one_is_audited(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    with uow_factory() as uow:  # C-1001's deputy leaves the network's active staff
        erin = uow.directory.practitioner(d.people["erin"])
        assert erin is not None
        erin.active = False
        uow.commit()
    concern_id = raise_one(uow_factory, clock, d, severity=Severity.IMMEDIATE)
    clock.advance(hours=2)
    report = escalate_due(uow_factory, clock, CAL)
    assert report.exhausted == 1 and report.escalated == 0  # no duty contact either
    set_duty_contact(uow_factory, d, "oakfield-primary", "femi")
    second = raise_one(uow_factory, clock, d, severity=Severity.IMMEDIATE, key="sub-2")
    clock.advance(hours=2)
    assert escalate_due(uow_factory, clock, CAL).levels == {2: 1}
    with uow_factory() as uow:
        first = uow.session.get(Concern, concern_id)
        assert first is not None and first.escalate_at is None
        assert uow.concerns.delivery_for(second, d.people["femi"]) is not None
