"""Escalation end to end and a 429 storm, through the real SlackNotifier and the fake Slack API."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from bot.slack.notifier import SingleWorkspace, SlackNotifier
from handlers.deadlines import WorkingCalendar
from handlers.follow_through.acknowledge import Acknowledged, acknowledge
from handlers.follow_through.escalation import escalate_due
from handlers.outbox.delivery import OutboxPolicy, deliver_due
from handlers.outbox.throttle import Throttle
from handlers.values import Platform, Severity
from tests.conftest import FakeClock, FakeMinter, UowFactory
from tests.directory import seed_directory
from tests.follow.flows import CANARY, raise_one, set_duty_contact
from tests.follow.slack_env import (
    TimedSlackAPI,
    add_network_members,
    everyone_on_slack,
    landed,
    outbox_rows,
)
from tests.slack.conftest import BOT_TOKEN, TEAM, slack_user
from tests.slack.fake_api import FakeSlackAPI

CAL = WorkingCalendar.uk()


class RealClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def _titles(slack: FakeSlackAPI, ref: str) -> list[str]:
    return [m.text for m in slack.messages(slack.dm_channel(slack_user(ref)))]


def test_escalation_chain_end_to_end_over_slack(
    uow_factory: UowFactory, clock: FakeClock, minter: FakeMinter
) -> None:
    with FakeSlackAPI() as slack:
        slack.add_team(TEAM, token=BOT_TOKEN)
        d = seed_directory(uow_factory, clock.now())
        everyone_on_slack(uow_factory, slack)
        set_duty_contact(uow_factory, d, "oakfield-primary", "femi")
        notifier = SlackNotifier(uow_factory, clock, SingleWorkspace(BOT_TOKEN), slack.url)
        chat = {Platform.SLACK: notifier}

        def deliver() -> None:
            for _ in range(3):  # updates wait two seconds for the message they edit
                deliver_due(uow_factory, chat, minter, clock)
                clock.advance(seconds=3)

        escalated = raise_one(uow_factory, clock, d, severity=Severity.IMMEDIATE, key="one")
        stopped = raise_one(uow_factory, clock, d, severity=Severity.IMMEDIATE, key="two")
        deliver()
        clock.advance(minutes=61)
        assert escalate_due(uow_factory, clock, CAL).levels == {1: 2}
        deliver()
        erin = _titles(slack, "erin")
        assert sum("escalated to you" in t for t in erin) == 2
        assert sum("has been escalated" in t for t in _titles(slack, "amara")) == 2

        # the deputy acknowledges one concern mid-chain: its chain stops there
        outcome = acknowledge(
            uow_factory(), concern_id=stopped, practitioner_id=d.people["erin"], clock=clock
        )
        assert isinstance(outcome, Acknowledged)
        clock.advance(minutes=61)
        report = escalate_due(uow_factory, clock, CAL)
        assert report.levels == {2: 1}
        deliver()
        femi = _titles(slack, "femi")
        assert len(femi) == 1 and "escalated to you" in femi[0]
        # Erin's escalation message for the acknowledged concern was edited in place
        assert any(t.startswith("Acknowledged by you") for t in _titles(slack, "erin"))
        clock.advance(days=5)
        assert escalate_due(uow_factory, clock, CAL).escalated == 0
        deliver()
        assert len(_titles(slack, "femi")) == 1
        counts = landed(slack)
        assert counts and max(counts.values()) == 1  # nothing doubled
        assert {r[2] for r in outbox_rows(uow_factory)} == {"sent"}
        assert CANARY.encode() not in slack.sent_bytes()
        assert escalated != stopped


def test_429_storm_retry_after_respected_nothing_lost(
    uow_factory: UowFactory, clock: FakeClock, minter: FakeMinter
) -> None:
    with TimedSlackAPI() as slack:
        slack.add_team(TEAM, token=BOT_TOKEN)
        d = seed_directory(uow_factory, clock.now())
        everyone_on_slack(uow_factory, slack)
        add_network_members(uow_factory, slack, d, client="C-1001", count=9)
        for n in range(3):
            raise_one(uow_factory, clock, d, key=f"storm-{n}")
        rows = outbox_rows(uow_factory)
        assert len(rows) == 3 * 12  # lead, deputy, dev and 9 more members, three times

        retry_after, storm = 1, 2
        slack.fail("chat.postMessage", status=429, retry_after=retry_after, times=storm)
        real = RealClock()
        notifier = SlackNotifier(uow_factory, real, SingleWorkspace(BOT_TOKEN), slack.url)
        throttle = Throttle()  # one worker's memory of the workspace's Retry-After
        policy = OutboxPolicy(base_backoff=0.05, max_backoff=0.2, batch=10)
        started, sent, second_storm = time.monotonic(), 0, False
        while time.monotonic() - started < 30:
            report = deliver_due(
                uow_factory, {Platform.SLACK: notifier}, minter, real, policy, throttle
            )
            sent += report.sent
            if sent >= 15 and not second_storm:  # another storm halfway through
                slack.fail("chat.postMessage", status=429, retry_after=retry_after, times=storm)
                second_storm = True
            if {r[2] for r in outbox_rows(uow_factory)} == {"sent"}:
                break
            time.sleep(0.02)
        elapsed = time.monotonic() - started

        assert {r[2] for r in outbox_rows(uow_factory)} == {"sent"}  # nothing lost
        counts = landed(slack)
        assert len(counts) == len(rows) and set(counts.values()) == {1}  # nothing doubled
        limited = [i for i, p in enumerate(slack.posts) if p.status == 429]
        assert len(limited) == 2 * storm
        for i in limited:  # after a 429, nothing was posted until Retry-After had passed
            assert slack.posts[i + 1].at - slack.posts[i].at >= retry_after - 0.05
        print(
            f"\n429 storm: {len(rows)} pointers, {len(slack.posts)} posts, {len(limited)} "
            f"answered 429 (Retry-After {retry_after}s), 0 lost, 0 doubled, {elapsed:.1f}s"
        )
