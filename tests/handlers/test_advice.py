"""Seek advice first: the draft stays sealed with the raiser and the adviser, the adviser is
pointed to it and replies, the raiser is pointed back and sends it (or decides not to share);
nothing reaches the network before the raiser sends, and an unanswered request escalates.
On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from handlers.concern.advice import NO_ADVISER, ask_for_advice, reply_to_advice
from handlers.concern.advice_escalation import escalate_advice_due
from handlers.concern.advice_outcome import (
    GONE,
    decide_after_advice,
    read_advice,
    send_after_advice,
)
from handlers.concern.not_sharing import DecisionRecorded
from handlers.concern.raising import Raised
from handlers.deadlines import WorkingCalendar
from handlers.invalid import Invalid
from handlers.outbox.delivery import deliver_due
from handlers.retention.concerns import sweep_retention
from handlers.values import AdviserRole, Platform, PointerKind
from store.models import AdviceRequest, AuditEvent, DataKey, OutboxMessage
from store.sealed import EntryField
from store.unit_of_work import UnitOfWork
from tests.advice import ADVICE_CANARY, ask, concerns_about, draft, set_advisers
from tests.conftest import FakeClock, FakeMinter
from tests.directory import Directory, seed_directory
from tests.fakes import FakeNotifier
from tests.no_leak import assert_no_canary, audit_text

UowFactory = Callable[[], UnitOfWork]


@pytest.fixture
def d(uow_factory: UowFactory, clock: FakeClock) -> Directory:
    directory = seed_directory(uow_factory, clock.now())
    set_advisers(uow_factory, "riverside-cc", lead="ben")
    return directory


def deliver(uow_factory: UowFactory, clock: FakeClock) -> FakeNotifier:
    notifier = FakeNotifier()
    deliver_due(uow_factory, dict.fromkeys(Platform, notifier), FakeMinter(), clock)
    return notifier


def test_the_advice_round_trip_keeps_the_draft_from_the_network_until_it_is_sent(
    uow_factory: UowFactory, clock: FakeClock, d: Directory
) -> None:
    asked = ask(uow_factory, clock, d)
    assert asked.adviser_role is AdviserRole.SAFEGUARDING_LEAD
    told = deliver(uow_factory, clock)
    (pointer,) = told.sent
    assert pointer.kind is PointerKind.ADVICE_REQUESTED
    assert pointer.recipient_id == d.people["ben"]
    assert pointer.link == f"https://flare.test/advice/{asked.request_id}"
    assert concerns_about(uow_factory, d.clients["C-1001"]) == []

    for outsider in ("chloe", "erin", "dev"):  # the network reads nothing of a draft
        assert (
            read_advice(uow_factory(), asked.request_id, reader_id=d.people[outsider], clock=clock)
            is None
        )
    seen = read_advice(uow_factory(), asked.request_id, reader_id=d.people["ben"], clock=clock)
    assert seen is not None and not seen.as_raiser
    assert seen.answers.noticed == f"{ADVICE_CANARY} noticed" and seen.reach == ()

    given = reply_to_advice(
        uow_factory(),
        asked.request_id,
        adviser_id=d.people["ben"],
        reply=f"{ADVICE_CANARY} share it with the lead",
        clock=clock,
    )
    assert not isinstance(given, Invalid)
    (back,) = deliver(uow_factory, clock).sent
    assert back.kind is PointerKind.ADVICE_GIVEN and back.recipient_id == d.people["amara"]
    assert back.link == pointer.link
    assert concerns_about(uow_factory, d.clients["C-1001"]) == []

    mine = read_advice(uow_factory(), asked.request_id, reader_id=d.people["amara"], clock=clock)
    assert mine is not None and mine.as_raiser and mine.open
    assert mine.reply == f"{ADVICE_CANARY} share it with the lead" and mine.reach

    sent = send_after_advice(
        uow_factory(),
        asked.request_id,
        raiser_id=d.people["amara"],
        updates={"rationale": f"{ADVICE_CANARY} rationale"},
        clock=clock,
        calendar=WorkingCalendar(),
    )
    assert isinstance(sent, Raised) and sent.recipients >= 1
    (concern,) = concerns_about(uow_factory, d.clients["C-1001"])
    assert concern.status == "open" and concern.submission_key == "advice-key-1"
    to_network = deliver(uow_factory, clock).sent
    assert {p.kind for p in to_network} == {PointerKind.NEW_CONCERN}
    with uow_factory() as uow:
        row = uow.concerns.get(concern.id)
        assert row is not None
        (note,) = [e for e in uow.concerns.entries(concern.id) if e.kind == "advice"]
        assert uow.sealed.entry(row, note).open(EntryField.BODY) == (
            "Advice was sought from the raiser's organisation's safeguarding lead and given."
        )
        request = uow.advice.get(asked.request_id)
        assert request is not None and request.state == "sent" and request.draft_ct is None
    again = send_after_advice(
        uow_factory(),
        asked.request_id,
        raiser_id=d.people["amara"],
        updates={},
        clock=clock,
        calendar=WorkingCalendar(),
    )
    assert again == Invalid({"advice": GONE})
    everything = [*told.sent, back, *to_network]
    assert_no_canary([ADVICE_CANARY], pointers=repr(everything), audit=audit_text(uow_factory))


def test_a_decision_not_to_share_after_advice_tells_no_one(
    uow_factory: UowFactory, clock: FakeClock, d: Directory
) -> None:
    asked = ask(uow_factory, clock, d)
    deliver(uow_factory, clock)
    decided = decide_after_advice(
        uow_factory(),
        asked.request_id,
        raiser_id=d.people["amara"],
        reason=f"{ADVICE_CANARY} not needed after all",
        clock=clock,
    )
    assert isinstance(decided, DecisionRecorded)
    (concern,) = concerns_about(uow_factory, d.clients["C-1001"])
    assert concern.status == "not_shared"
    assert deliver(uow_factory, clock).sent == []
    with uow_factory() as uow:
        actions = list(uow.session.scalars(select(AuditEvent.action)))
    assert "advice.not_shared" in actions and "concern.raised" not in actions


def test_only_the_adviser_may_reply_and_only_once(
    uow_factory: UowFactory, clock: FakeClock, d: Directory
) -> None:
    asked = ask(uow_factory, clock, d)
    for who in ("amara", "chloe"):
        refused = reply_to_advice(
            uow_factory(), asked.request_id, adviser_id=d.people[who], reply="ok", clock=clock
        )
        assert isinstance(refused, Invalid)
    assert isinstance(
        reply_to_advice(
            uow_factory(), asked.request_id, adviser_id=d.people["ben"], reply="", clock=clock
        ),
        Invalid,
    )
    reply_to_advice(
        uow_factory(), asked.request_id, adviser_id=d.people["ben"], reply="ok", clock=clock
    )
    twice = reply_to_advice(
        uow_factory(), asked.request_id, adviser_id=d.people["ben"], reply="ok", clock=clock
    )
    assert isinstance(twice, Invalid)


def test_asking_twice_with_one_form_is_one_request(
    uow_factory: UowFactory, clock: FakeClock, d: Directory
) -> None:
    first = ask(uow_factory, clock, d)
    second = ask(uow_factory, clock, d)
    assert second.request_id == first.request_id and second.duplicate
    assert len(deliver(uow_factory, clock).sent) == 1


def test_without_anyone_to_ask_the_raiser_is_told_and_nothing_is_kept(
    uow_factory: UowFactory, clock: FakeClock, d: Directory
) -> None:
    set_advisers(uow_factory, "riverside-cc", lead=None)
    refused = ask_for_advice(
        uow_factory(),
        draft(d.clients["C-1001"], "k-none"),
        raiser_id=d.people["amara"],
        clock=clock,
        calendar=WorkingCalendar(),
    )
    assert refused == Invalid({"advice": NO_ADVISER})
    with uow_factory() as uow:
        assert uow.session.scalars(select(AdviceRequest)).first() is None


def test_a_draft_must_say_what_was_noticed_and_about_whom(
    uow_factory: UowFactory, clock: FakeClock, d: Directory
) -> None:
    blank = draft("", "k-blank")
    refused = ask_for_advice(
        uow_factory(),
        blank.__class__(**{**blank.__dict__, "noticed": ""}),
        raiser_id=d.people["amara"],
        clock=clock,
        calendar=WorkingCalendar(),
    )
    assert isinstance(refused, Invalid) and {"client", "noticed"} <= set(refused.errors)
    assert "rationale" not in refused.errors  # the advice may settle why to share


def test_an_unanswered_request_escalates_to_the_duty_contact_then_runs_out(
    uow_factory: UowFactory, clock: FakeClock, d: Directory
) -> None:
    set_advisers(uow_factory, "riverside-cc", lead="ben", duty="femi")
    asked = ask(uow_factory, clock, d)
    deliver(uow_factory, clock)
    assert escalate_advice_due(uow_factory, clock, WorkingCalendar()).escalated == 0
    clock.advance(days=10)
    report = escalate_advice_due(uow_factory, clock, WorkingCalendar())
    assert report.escalated == 1 and report.levels == {1: 1}
    (pointer,) = deliver(uow_factory, clock).sent
    assert pointer.kind is PointerKind.ADVICE_REQUESTED
    assert pointer.recipient_id == d.people["femi"] and pointer.escalation_level == 1
    assert (
        read_advice(uow_factory(), asked.request_id, reader_id=d.people["ben"], clock=clock) is None
    )
    femi = read_advice(uow_factory(), asked.request_id, reader_id=d.people["femi"], clock=clock)
    assert femi is not None and femi.adviser_role is AdviserRole.DUTY_CONTACT
    clock.advance(days=10)
    report = escalate_advice_due(uow_factory, clock, WorkingCalendar())
    assert report.exhausted == 1 and report.escalated == 0
    assert escalate_advice_due(uow_factory, clock, WorkingCalendar()).exhausted == 0
    with uow_factory() as uow:
        rows = uow.session.scalars(select(OutboxMessage)).all()
        assert len(rows) == 2  # the lead's pointer and the duty contact's, nothing to the network
    assert concerns_about(uow_factory, d.clients["C-1001"]) == []


def test_an_answered_request_does_not_escalate(
    uow_factory: UowFactory, clock: FakeClock, d: Directory
) -> None:
    set_advisers(uow_factory, "riverside-cc", lead="ben", duty="femi")
    asked = ask(uow_factory, clock, d)
    reply_to_advice(
        uow_factory(), asked.request_id, adviser_id=d.people["ben"], reply="ok", clock=clock
    )
    clock.advance(days=10)
    assert escalate_advice_due(uow_factory, clock, WorkingCalendar()).escalated == 0


def test_retention_takes_the_advice_with_the_concern_it_became(
    uow_factory: UowFactory, clock: FakeClock, d: Directory
) -> None:
    asked = ask(uow_factory, clock, d)
    reply_to_advice(
        uow_factory(), asked.request_id, adviser_id=d.people["ben"], reply="ok", clock=clock
    )
    decided = decide_after_advice(
        uow_factory(), asked.request_id, raiser_id=d.people["amara"], reason="No", clock=clock
    )
    assert isinstance(decided, DecisionRecorded)
    with uow_factory() as uow:
        request = uow.advice.get(asked.request_id)
        assert request is not None and request.data_key_id is not None
        key_id = request.data_key_id
    clock.advance(days=7 * 365)
    report = sweep_retention(uow_factory, clock)
    assert report.deleted == 1 and report.rows["advice"] == 1
    with uow_factory() as uow:
        assert uow.advice.get(asked.request_id) is None
        assert uow.session.get(DataKey, key_id) is None


def test_a_request_never_sent_is_forgotten_after_the_not_shared_period(
    uow_factory: UowFactory, clock: FakeClock, d: Directory
) -> None:
    old = ask(uow_factory, clock, d, key="old-draft")
    clock.advance(days=7 * 365)
    new = ask(uow_factory, clock, d, key="new-draft")
    report = sweep_retention(uow_factory, clock)
    assert report.rows.get("advice_unsent") == 1
    with uow_factory() as uow:
        assert uow.advice.get(old.request_id) is None
        assert uow.advice.get(new.request_id) is not None
        actions = list(uow.session.scalars(select(AuditEvent.action)))
    assert "advice.forgotten" in actions
