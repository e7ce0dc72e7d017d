"""Follow-up reminders, weak-signal pattern alerts and the digest on a real store."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.follow_through.patterns import PatternPolicy, detect_patterns
from handlers.follow_through.reminders import remind_due
from handlers.my_work.digest import send_digests
from handlers.outbox.delivery import deliver_due
from handlers.values import Platform, PointerKind, Severity
from store.models import FollowUp, new_id
from tests.conftest import FakeClock, FakeMinter, UowFactory
from tests.directory import seed_directory
from tests.fakes import FakeNotifier
from tests.follow.flows import raise_one


def _follow_up(uow_factory: UowFactory, concern_id: str, owner_id: str, due: datetime) -> str:
    """Follow-ups are created by follow_through.follow_ups; these tests insert the row directly."""
    with uow_factory() as uow:
        row = FollowUp(
            id=new_id(),
            concern_id=concern_id,
            owner_id=owner_id,
            created_by_id=owner_id,
            due_at=due,
            created_at=due - timedelta(days=3),
        )
        uow.session.add(row)
        uow.commit()
        return row.id


def test_follow_up_reminded_before_and_when_due_then_overdue_to_lead(
    uow_factory: UowFactory, clock: FakeClock, minter: FakeMinter
) -> None:
    d = seed_directory(uow_factory, clock.now())
    concern_id = raise_one(uow_factory, clock, d)
    _follow_up(uow_factory, concern_id, d.people["dev"], clock.now() + timedelta(days=2))
    chat = FakeNotifier()
    deliver_due(uow_factory, {Platform.PLAYGROUND: chat}, minter, clock)
    start = len(chat.sent)
    seen = []
    for hours in (0, 25, 1, 23, 1, 23, 1, 100):
        clock.advance(hours=hours)
        report = remind_due(uow_factory, clock)
        seen.append((report.before, report.due, report.overdue))
    # due at +48 h: before from +24 h, due at +48 h, overdue (to the lead) from +72 h
    expected = [(0, 0, 0), (1, 0, 0), (0, 0, 0), (0, 1, 0), (0, 0, 0), (0, 0, 1), (0, 0, 0)]
    assert seen == [*expected, (0, 0, 0)]
    deliver_due(uow_factory, {Platform.PLAYGROUND: chat}, minter, clock)
    assert [(p.kind, p.recipient_id) for p in chat.sent[start:]] == [
        (PointerKind.FOLLOW_UP_REMINDER, d.people["dev"]),
        (PointerKind.FOLLOW_UP_REMINDER, d.people["dev"]),
        (PointerKind.FOLLOW_UP_OVERDUE, d.people["chloe"]),
    ]
    assert all(p.link for p in chat.sent[start:])


def test_missed_stages_are_skipped_and_done_follow_ups_are_left(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    concern_id = raise_one(uow_factory, clock, d)
    _follow_up(uow_factory, concern_id, d.people["amara"], clock.now() - timedelta(days=5))
    done = _follow_up(uow_factory, concern_id, d.people["amara"], clock.now())
    with uow_factory() as uow:
        row = uow.session.get(FollowUp, done)
        assert row is not None
        row.state = "done"
        uow.commit()
    report = remind_due(uow_factory, clock)
    assert (report.before, report.due, report.overdue) == (0, 0, 1)
    assert remind_due(uow_factory, clock).overdue == 0


def test_pattern_alert_once_per_window(
    uow_factory: UowFactory, clock: FakeClock, minter: FakeMinter
) -> None:
    d = seed_directory(uow_factory, clock.now())
    # C-1002: lead erin; chloe, dev (oakfield) and ben (riverside) are in its network
    raise_one(uow_factory, clock, d, raiser="chloe", client="C-1002", key="a")
    raise_one(uow_factory, clock, d, raiser="dev", client="C-1002", key="b")
    assert detect_patterns(uow_factory, clock).alerts == 0  # 2 concerns, 1 agency
    clock.advance(days=3)
    raise_one(uow_factory, clock, d, raiser="dev", client="C-1002", key="c")
    assert detect_patterns(uow_factory, clock).alerts == 0  # 3 concerns, still 1 agency
    raise_one(uow_factory, clock, d, raiser="ben", client="C-1002", key="d")
    assert detect_patterns(uow_factory, clock).alerts == 1
    assert detect_patterns(uow_factory, clock).alerts == 0  # one per window
    clock.advance(days=10)
    raise_one(uow_factory, clock, d, raiser="chloe", client="C-1002", key="e")
    assert detect_patterns(uow_factory, clock).alerts == 0
    clock.advance(days=31)
    assert detect_patterns(uow_factory, clock).alerts == 0  # the old ones left the window
    strict = PatternPolicy(concerns=2, organisations=2, window=timedelta(days=7))
    raise_one(uow_factory, clock, d, raiser="ben", client="C-1002", key="f")
    raise_one(uow_factory, clock, d, raiser="chloe", client="C-1002", key="g")
    assert detect_patterns(uow_factory, clock, strict).alerts == 1
    chat = FakeNotifier()
    deliver_due(uow_factory, {Platform.PLAYGROUND: chat}, minter, clock)
    alerts = [p for p in chat.sent if p.kind is PointerKind.PATTERN_ALERT]
    assert [p.recipient_id for p in alerts] == [d.people["erin"]] * 2


def test_digest_counts_only_once_a_day(
    uow_factory: UowFactory, clock: FakeClock, minter: FakeMinter
) -> None:
    d = seed_directory(uow_factory, clock.now())
    raise_one(uow_factory, clock, d, severity=Severity.LOW)
    raise_one(uow_factory, clock, d, severity=Severity.MEDIUM, key="two")
    assert send_digests(uow_factory, clock).sent == 2  # chloe (lead) and erin (deputy)
    assert send_digests(uow_factory, clock).sent == 0
    chat = FakeNotifier()
    deliver_due(uow_factory, {Platform.PLAYGROUND: chat}, minter, clock)
    digests = {p.recipient_id: p for p in chat.sent if p.kind is PointerKind.DIGEST}
    assert set(digests) == {d.people["chloe"], d.people["erin"]}
    assert digests[d.people["chloe"]].awaiting == 2 and digests[d.people["chloe"]].link is None
    clock.advance(days=1)
    assert send_digests(uow_factory, clock).sent == 2
