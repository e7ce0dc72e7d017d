"""The lead closes a concern with an outcome and may reopen it; the raiser and the network are
told by a pointer that carries nothing but its kind. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from handlers.follow_through.acknowledge import acknowledge
from handlers.follow_through.closing import (
    AlreadyClosed,
    CloseConcern,
    Closed,
    NotAllowed,
    NotOpen,
    Reopened,
    close_concern,
    outcome_note,
    reopen_concern,
)
from handlers.invalid import MAX_TEXT, Invalid
from handlers.outbox.delivery import deliver_due
from handlers.outbox.pointer_words import describe
from handlers.values import Outcome, Platform, PointerKind
from store.models import AuditEvent, Concern, OutboxMessage
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock, FakeMinter
from tests.directory import Directory, seed_directory
from tests.fakes import FakeNotifier
from tests.follow.flows import CANARY, raise_one

UowFactory = Callable[[], UnitOfWork]


def _close(
    uow_factory: UowFactory, clock: FakeClock, d: Directory, concern_id: str, who: str, **kw: str
) -> object:
    outcome, note = kw.get("outcome", "early_help"), kw.get("note", "")
    command = CloseConcern(concern_id, d.people[who], outcome, note)
    return close_concern(uow_factory(), command, clock=clock)


def _concern(uow_factory: UowFactory, concern_id: str) -> Concern:
    with uow_factory() as uow:
        concern = uow.concerns.get(concern_id)
        assert concern is not None
        uow.session.expunge(concern)
        return concern


def _audit(uow_factory: UowFactory, action: str) -> list[AuditEvent]:
    with uow_factory() as uow:
        rows = list(uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        for row in rows:
            uow.session.expunge(row)
        return rows


def _sent(uow_factory: UowFactory, clock: FakeClock) -> FakeNotifier:
    notifier = FakeNotifier()
    deliver_due(uow_factory, dict.fromkeys(Platform, notifier), FakeMinter(), clock)
    return notifier


def test_the_lead_closes_with_an_outcome_and_the_raiser_and_network_are_told(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    concern_id = raise_one(uow_factory, clock, d)  # Amara raises about C-1001 (Chloe leads)
    _sent(uow_factory, clock)
    clock.advance(hours=2)

    closed = _close(uow_factory, clock, d, concern_id, "chloe", outcome="childrens_social_care")

    assert closed == Closed(concern_id, Outcome.CHILDRENS_SOCIAL_CARE, clock.now())
    concern = _concern(uow_factory, concern_id)
    assert (concern.status, concern.outcome) == ("closed", "childrens_social_care")
    assert concern.closed_at == clock.now() and concern.outcome_note_ct is None
    told = _sent(uow_factory, clock)
    assert {p.kind for p in told.sent} == {PointerKind.CONCERN_CLOSED}
    assert {p.recipient_id for p in told.sent} == {d.people[r] for r in ("amara", "erin", "dev")}
    for pointer in told.sent:  # words from the kind, a link, no outcome and no buttons
        words = describe(pointer, clock.now())
        assert words.title.startswith("A concern you raised or were sent has been closed")
        assert "social care" not in repr(words) and pointer.link is not None
        assert not (pointer.can_acknowledge or pointer.can_close)
    (event,) = _audit(uow_factory, "concern.closed")
    assert event.actor_id == d.people["chloe"] and event.concern_id == concern_id
    assert event.detail == {"via": "web", "outcome": "childrens_social_care", "told": 3}


def test_only_whoever_leads_the_network_now_may_close_and_refusals_are_audited(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    concern_id = raise_one(uow_factory, clock, d)
    for who in ("amara", "dev", "ben"):  # the raiser, a member, someone outside the network
        assert _close(uow_factory, clock, d, concern_id, who) == NotAllowed(concern_id)
    refused = _audit(uow_factory, "concern.close_refused")
    assert [e.actor_id for e in refused] == [d.people[w] for w in ("amara", "dev", "ben")]
    with uow_factory() as uow:  # a lead who has left is refused from the next request on
        erin = uow.directory.practitioner(d.people["erin"])
        assert erin is not None
        erin.active = False
        uow.commit()
    assert _close(uow_factory, clock, d, concern_id, "erin") == NotAllowed(concern_id)
    assert _concern(uow_factory, concern_id).status == "open"
    closed = _close(uow_factory, clock, d, concern_id, "chloe")
    assert isinstance(closed, Closed)
    assert _close(uow_factory, clock, d, concern_id, "chloe") == AlreadyClosed(
        concern_id, Outcome.EARLY_HELP
    )


def test_other_needs_a_note_which_is_sealed_and_never_audited(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    concern_id = raise_one(uow_factory, clock, d)
    for outcome, note, field in (
        ("", "", "outcome"),
        ("closed-because", "", "outcome"),
        ("other", "   ", "note"),
        ("other", "x" * (MAX_TEXT + 1), "note"),
    ):
        refused = _close(uow_factory, clock, d, concern_id, "erin", outcome=outcome, note=note)
        assert isinstance(refused, Invalid) and set(refused.errors) == {field}
    assert _concern(uow_factory, concern_id).status == "open"

    note = f"{CANARY} family moved to another area"
    closed = _close(uow_factory, clock, d, concern_id, "erin", outcome="other", note=note)
    assert isinstance(closed, Closed) and closed.outcome is Outcome.OTHER
    concern = _concern(uow_factory, concern_id)
    assert concern.outcome_note_ct is not None and CANARY.encode() not in concern.outcome_note_ct
    with uow_factory() as uow:
        live = uow.concerns.get(concern_id)
        assert live is not None and outcome_note(uow, live) == note
        logged = repr([(e.action, e.detail) for e in uow.session.scalars(select(AuditEvent))])
        assert CANARY not in logged and "other" in logged


def test_a_note_is_kept_only_for_other(uow_factory: UowFactory, clock: FakeClock) -> None:
    d = seed_directory(uow_factory, clock.now())
    concern_id = raise_one(uow_factory, clock, d)
    closed = _close(uow_factory, clock, d, concern_id, "chloe", outcome="monitoring", note=CANARY)
    assert isinstance(closed, Closed)
    assert _concern(uow_factory, concern_id).outcome_note_ct is None


def test_the_lead_reopens_it_back_to_where_it_was_and_everyone_is_told_again(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    concern_id = raise_one(uow_factory, clock, d)
    chloe = d.people["chloe"]
    _sent(uow_factory, clock)
    acknowledge(uow_factory(), concern_id=concern_id, practitioner_id=chloe, clock=clock)
    assert reopen_concern(
        uow_factory(), concern_id=concern_id, practitioner_id=chloe, clock=clock
    ) == NotOpen(concern_id)
    _close(uow_factory, clock, d, concern_id, "chloe", outcome="other", note="moved")
    _sent(uow_factory, clock)
    assert reopen_concern(
        uow_factory(), concern_id=concern_id, practitioner_id=d.people["dev"], clock=clock
    ) == NotAllowed(concern_id)
    clock.advance(days=3)

    reopened = reopen_concern(
        uow_factory(), concern_id=concern_id, practitioner_id=d.people["erin"], clock=clock
    )

    assert reopened == Reopened(concern_id, clock.now())
    concern = _concern(uow_factory, concern_id)
    assert (concern.status, concern.closed_at, concern.outcome) == ("acknowledged", None, None)
    assert concern.outcome_note_ct is None
    told = _sent(uow_factory, clock)
    assert {p.kind for p in told.sent} == {PointerKind.CONCERN_REOPENED}
    assert {p.recipient_id for p in told.sent} == {d.people[r] for r in ("amara", "chloe", "dev")}
    (lead,) = told.to(chloe)
    assert lead.can_close and "reopened" in describe(lead, clock.now()).title
    (event,) = _audit(uow_factory, "concern.reopened")
    assert event.detail == {"via": "web", "previous_outcome": "other", "told": 3}
    again = _close(uow_factory, clock, d, concern_id, "chloe", outcome="police")
    assert isinstance(again, Closed)
    assert len(_audit(uow_factory, "concern.closed")) == 2


def test_the_leads_pointers_offer_close_and_nobody_elses_do(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    raise_one(uow_factory, clock, d)
    sent = _sent(uow_factory, clock)
    closers = {p.recipient_id for p in sent.sent if p.can_close}
    assert closers == {d.people["chloe"], d.people["erin"]}
    (lead,) = sent.to(d.people["chloe"])
    assert describe(lead, clock.now()).close_label == "Close"
    with uow_factory() as uow:
        kinds = set(uow.session.scalars(select(OutboxMessage.kind)))
        assert kinds == {PointerKind.NEW_CONCERN.value}
