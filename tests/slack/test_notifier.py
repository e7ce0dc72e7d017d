"""SlackNotifier over real HTTP against the fake Slack Web API, through the real outbox."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.slack.blocks import ACKNOWLEDGE_ACTION, CLOSE_ACTION, OPEN_ACTION
from bot.slack.notifier import SingleWorkspace, SlackNotifier
from handlers.deadlines import WorkingCalendar
from handlers.follow_through.acknowledge import Acknowledged, acknowledge
from handlers.outbox.delivery import DeliveryReport, OutboxPolicy, deliver_due
from handlers.values import Platform
from store.models import AuditEvent, OutboxMessage
from tests.conftest import FakeClock, FakeMinter, UowFactory
from tests.raising import raise_for_test
from tests.slack.conftest import BOT_TOKEN, TEAM, SlackDirectory, slack_user
from tests.slack.fake_api import FakeSlackAPI

CANARY = "CANARY-7f3a-hungry-at-pickup"


CANARY_ANSWERS = {
    "noticed": f"{CANARY} always hungry",
    "rationale": f"{CANARY} rationale",
    "family_reason": f"{CANARY} reason",
}


def _notifier(
    uow_factory: UowFactory, clock: FakeClock, slack: FakeSlackAPI, timeout: float = 5.0
) -> SlackNotifier:
    return SlackNotifier(uow_factory, clock, SingleWorkspace(BOT_TOKEN), slack.url, timeout=timeout)


def _deliver(
    uow_factory: UowFactory, clock: FakeClock, minter: FakeMinter, notifier: SlackNotifier
) -> DeliveryReport:
    return deliver_due(uow_factory, {Platform.SLACK: notifier}, minter, clock)


def _rows(uow_factory: UowFactory) -> list[OutboxMessage]:
    with uow_factory() as uow:
        rows = list(uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at)))
        for row in rows:
            uow.session.expunge(row)
        return rows


def test_pointers_go_to_dms_with_buttons_metadata_and_no_unfurl(
    uow_factory: UowFactory,
    clock: FakeClock,
    minter: FakeMinter,
    calendar: WorkingCalendar,
    slack: FakeSlackAPI,
    slack_directory: SlackDirectory,
) -> None:
    d = slack_directory
    raise_for_test(uow_factory, d, clock, calendar, **CANARY_ANSWERS)
    report = _deliver(uow_factory, clock, minter, _notifier(uow_factory, clock, slack))
    assert report.sent == 3 and report.dead == 0

    posts = slack.calls("chat.postMessage")
    assert len(posts) == 3
    assert {p.token for p in posts} == {BOT_TOKEN}
    by_channel = {p.args["channel"]: p.args for p in posts}
    assert set(by_channel) == {slack.dm_channel(slack_user(r)) for r in ("chloe", "erin", "dev")}
    keys = {row.id for row in _rows(uow_factory)}
    for args in by_channel.values():
        assert args["unfurl_links"] is False and args["unfurl_media"] is False
        assert args["metadata"]["event_type"] == "flare_pointer"
        assert args["metadata"]["event_payload"]["key"] in keys
        assert set(args["metadata"]["event_payload"]) == {"key"}
        assert args["text"].startswith("A new concern was raised")
        facts = json.dumps(args["blocks"])
        assert "Severity: High" in facts and "1 entry" in facts and "just now" in facts

    lead = by_channel[slack.dm_channel(slack_user("chloe"))]
    member = by_channel[slack.dm_channel(slack_user("dev"))]
    lead_buttons = {b["action_id"]: b for b in lead["blocks"][-1]["elements"]}
    member_buttons = {b["action_id"]: b for b in member["blocks"][-1]["elements"]}
    assert set(lead_buttons) == {OPEN_ACTION, ACKNOWLEDGE_ACTION, CLOSE_ACTION}
    assert set(member_buttons) == {OPEN_ACTION}
    assert lead_buttons[OPEN_ACTION]["url"] != member_buttons[OPEN_ACTION]["url"]
    assert lead_buttons[OPEN_ACTION]["url"].startswith(f"{minter.base}/l/")
    assert CANARY.encode() not in slack.sent_bytes()


def test_dm_channel_is_opened_once_and_remembered(
    uow_factory: UowFactory,
    clock: FakeClock,
    minter: FakeMinter,
    calendar: WorkingCalendar,
    slack: FakeSlackAPI,
    slack_directory: SlackDirectory,
) -> None:
    notifier = _notifier(uow_factory, clock, slack)
    raise_for_test(uow_factory, slack_directory, clock, calendar, key="a", **CANARY_ANSWERS)
    _deliver(uow_factory, clock, minter, notifier)
    raise_for_test(uow_factory, slack_directory, clock, calendar, key="b", **CANARY_ANSWERS)
    _deliver(uow_factory, clock, minter, notifier)
    assert len(slack.calls("chat.postMessage")) == 6
    assert len(slack.calls("conversations.open")) == 3
    with uow_factory() as uow:
        chloe = uow.directory.practitioner(slack_directory.people["chloe"])
        assert chloe is not None and chloe.slack_dm_channel == slack.dm_channel("UCHLOE")


def test_429_waits_for_retry_after_then_sends_once(
    uow_factory: UowFactory,
    clock: FakeClock,
    minter: FakeMinter,
    calendar: WorkingCalendar,
    slack: FakeSlackAPI,
    slack_directory: SlackDirectory,
) -> None:
    notifier = _notifier(uow_factory, clock, slack)
    raise_for_test(uow_factory, slack_directory, clock, calendar, **CANARY_ANSWERS)
    slack.fail("chat.postMessage", status=429, retry_after=30, times=3)
    report = _deliver(uow_factory, clock, minter, notifier)
    assert report.retried == 3 and report.sent == 0
    for row in _rows(uow_factory):
        assert row.state == "pending" and row.last_error == "ratelimited"
        assert row.next_attempt_at >= clock.now() + timedelta(seconds=30)
        assert row.detail["reconcile"] is False  # a 429 did nothing: no need to look first

    clock.advance(seconds=29)
    assert _deliver(uow_factory, clock, minter, notifier).claimed == 0
    clock.advance(seconds=2)
    report = _deliver(uow_factory, clock, minter, notifier)
    assert report.sent == 3 and report.reconciled == 0
    assert len(slack.messages(slack.dm_channel("UCHLOE"))) == 1
    assert not slack.calls("conversations.history")


def test_recipients_sent_side_by_side_never_call_conversations_open_inside_its_retry_after(
    uow_factory: UowFactory,
    clock: FakeClock,
    minter: FakeMinter,
    calendar: WorkingCalendar,
    slack: FakeSlackAPI,
    slack_directory: SlackDirectory,
) -> None:
    notifier = _notifier(uow_factory, clock, slack)
    raise_for_test(uow_factory, slack_directory, clock, calendar, **CANARY_ANSWERS)
    slack.fail("conversations.open", status=429, retry_after=30, times=1)
    side_by_side = OutboxPolicy(senders=3)  # three first contacts share the workspace's limit
    report = deliver_due(uow_factory, {Platform.SLACK: notifier}, minter, clock, side_by_side)
    assert report.retried == 3 and report.sent == 0
    assert len(slack.calls("conversations.open")) == 1  # the others waited their turn, and out
    assert not slack.calls("chat.postMessage")
    for row in _rows(uow_factory):
        assert row.state == "pending" and row.last_error == "ratelimited"
        assert row.next_attempt_at >= clock.now() + timedelta(seconds=29)


@pytest.mark.parametrize("landed", [True, False], ids=["landed", "lost"])
def test_500_is_ambiguous_and_reconciled_through_history(
    uow_factory: UowFactory,
    clock: FakeClock,
    minter: FakeMinter,
    calendar: WorkingCalendar,
    slack: FakeSlackAPI,
    slack_directory: SlackDirectory,
    landed: bool,
) -> None:
    notifier = _notifier(uow_factory, clock, slack)
    raise_for_test(uow_factory, slack_directory, clock, calendar, **CANARY_ANSWERS)
    slack.fail("chat.postMessage", status=500, times=3, apply=landed)
    report = _deliver(uow_factory, clock, minter, notifier)
    assert report.retried == 3
    assert all(row.detail["reconcile"] is True for row in _rows(uow_factory))

    clock.advance(hours=1)
    report = _deliver(uow_factory, clock, minter, notifier)
    assert report.sent == 3
    assert report.reconciled == (3 if landed else 0)
    assert len(slack.calls("conversations.history")) == 3
    assert all(
        r.args["include_all_metadata"] in ("true", "1", True)
        for r in slack.calls("conversations.history")
    )
    for ref in ("chloe", "erin", "dev"):
        assert len(slack.messages(slack.dm_channel(slack_user(ref)))) == 1
    assert len(slack.calls("chat.postMessage")) == (3 if landed else 6)
    sent = {row.id: row.message_ref for row in _rows(uow_factory)}
    for message in slack.messages(slack.dm_channel("UCHLOE")):
        key = message.metadata["event_payload"]["key"]  # type: ignore[index]
        assert sent[key] == {"team": TEAM, "channel": "DUCHLOE", "ts": message.ts}


def test_a_timeout_is_ambiguous_and_never_doubles_the_pointer(
    uow_factory: UowFactory,
    clock: FakeClock,
    minter: FakeMinter,
    calendar: WorkingCalendar,
    slack: FakeSlackAPI,
    slack_directory: SlackDirectory,
) -> None:
    notifier = _notifier(uow_factory, clock, slack, timeout=0.3)
    raise_for_test(uow_factory, slack_directory, clock, calendar, **CANARY_ANSWERS)
    slack.fail("chat.postMessage", delay=0.8, times=3)  # lands, but after the client gave up
    report = _deliver(uow_factory, clock, minter, notifier)
    assert report.retried == 3 and report.sent == 0
    slack.wait_idle()
    clock.advance(hours=1)
    report = _deliver(uow_factory, clock, minter, notifier)
    assert report.reconciled == 3
    assert len(slack.calls("chat.postMessage")) == 3


@pytest.mark.parametrize(
    "error", ["user_not_found", "account_inactive", "channel_not_found", "not_in_channel"]
)
def test_permanent_errors_dead_letter_the_pointer(
    uow_factory: UowFactory,
    clock: FakeClock,
    minter: FakeMinter,
    calendar: WorkingCalendar,
    slack: FakeSlackAPI,
    slack_directory: SlackDirectory,
    error: str,
) -> None:
    notifier = _notifier(uow_factory, clock, slack)
    raise_for_test(uow_factory, slack_directory, clock, calendar, **CANARY_ANSWERS)
    slack.fail("chat.postMessage", error=error, times=1)
    report = _deliver(uow_factory, clock, minter, notifier)
    assert report.dead == 1 and report.sent == 2
    dead = [row for row in _rows(uow_factory) if row.state == "dead"]
    assert [row.last_error for row in dead] == [error]
    with uow_factory() as uow:
        actions = list(uow.session.scalars(select(AuditEvent.action)))
    assert actions.count("pointer.dead_letter") == 1


def test_unknown_slack_user_is_undeliverable(
    uow_factory: UowFactory,
    clock: FakeClock,
    minter: FakeMinter,
    calendar: WorkingCalendar,
    slack: FakeSlackAPI,
    slack_directory: SlackDirectory,
) -> None:
    with uow_factory() as uow:
        dev = uow.directory.practitioner(slack_directory.people["dev"])
        assert dev is not None
        dev.slack_user_id = "UGONE"
        uow.commit()
    raise_for_test(uow_factory, slack_directory, clock, calendar, **CANARY_ANSWERS)
    report = _deliver(uow_factory, clock, minter, _notifier(uow_factory, clock, slack))
    assert report.dead == 1
    assert [r.last_error for r in _rows(uow_factory) if r.state == "dead"] == ["user_not_found"]


def test_recipient_without_a_slack_identity_is_undeliverable_without_calling_slack(
    uow_factory: UowFactory,
    clock: FakeClock,
    minter: FakeMinter,
    calendar: WorkingCalendar,
    slack: FakeSlackAPI,
    slack_directory: SlackDirectory,
) -> None:
    with uow_factory() as uow:
        for person in uow.directory.practitioners():
            person.slack_team_id = person.slack_user_id = None
        uow.commit()
    raise_for_test(uow_factory, slack_directory, clock, calendar, **CANARY_ANSWERS)
    report = _deliver(uow_factory, clock, minter, _notifier(uow_factory, clock, slack))
    assert report.dead == 3
    assert not slack.calls("chat.postMessage") and not slack.calls("conversations.open")


def test_a_stale_dm_channel_is_reopened(
    uow_factory: UowFactory,
    clock: FakeClock,
    minter: FakeMinter,
    calendar: WorkingCalendar,
    slack: FakeSlackAPI,
    slack_directory: SlackDirectory,
) -> None:
    with uow_factory() as uow:
        chloe = uow.directory.practitioner(slack_directory.people["chloe"])
        assert chloe is not None
        chloe.slack_dm_channel = "DSTALE"
        uow.commit()
    notifier = _notifier(uow_factory, clock, slack)
    raise_for_test(uow_factory, slack_directory, clock, calendar, **CANARY_ANSWERS)
    assert _deliver(uow_factory, clock, minter, notifier).retried == 1
    clock.advance(seconds=5)
    assert _deliver(uow_factory, clock, minter, notifier).sent == 1
    assert len(slack.messages("DUCHLOE")) == 1


def test_acknowledging_edits_the_leads_message_in_place(
    uow_factory: UowFactory,
    clock: FakeClock,
    minter: FakeMinter,
    calendar: WorkingCalendar,
    slack: FakeSlackAPI,
    slack_directory: SlackDirectory,
) -> None:
    d = slack_directory
    notifier = _notifier(uow_factory, clock, slack)
    raised = raise_for_test(uow_factory, d, clock, calendar, **CANARY_ANSWERS)
    _deliver(uow_factory, clock, minter, notifier)
    clock.advance(minutes=2)
    outcome = acknowledge(
        uow_factory(), concern_id=raised.concern_id, practitioner_id=d.people["chloe"], clock=clock
    )
    assert isinstance(outcome, Acknowledged)
    report = _deliver(uow_factory, clock, minter, notifier)
    assert report.dead == 0
    updates = slack.calls("chat.update")
    by_channel = {u.args["channel"]: u.args for u in updates}
    lead = by_channel["DUCHLOE"]
    assert lead["text"] == "Acknowledged by you at 10:02."
    buttons = [
        e["action_id"] for b in lead["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert buttons == [CLOSE_ACTION]  # Acknowledge is gone; the lead may close it from here
    deputy = by_channel["DUERIN"]
    assert deputy["text"] == "Acknowledged by the lead professional at 10:02."
    (message,) = slack.messages("DUCHLOE")
    assert message.edited == 1 and message.text == "Acknowledged by you at 10:02."
    receipts = [p for p in slack.calls("chat.postMessage") if p.args["channel"] == "DUAMARA"]
    assert len(receipts) == 1 and receipts[0].args["text"].startswith("The lead professional")


def _conversation_events(uow_factory: UowFactory) -> list[tuple[str, str | None, dict[str, str]]]:
    with uow_factory() as uow:
        events = uow.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.like("identity.conversation_%"))
            .order_by(AuditEvent.seq)
        ).all()
        return [(e.action, e.subject, dict(e.detail)) for e in events]


def test_opening_and_forgetting_a_dm_channel_are_audited_by_ids_only(
    uow_factory: UowFactory,
    clock: FakeClock,
    minter: FakeMinter,
    calendar: WorkingCalendar,
    slack: FakeSlackAPI,
    slack_directory: SlackDirectory,
) -> None:
    chloe_id = slack_directory.people["chloe"]
    with uow_factory() as uow:
        chloe = uow.directory.practitioner(chloe_id)
        assert chloe is not None
        chloe.slack_dm_channel = "DSTALE"
        uow.commit()
    notifier = _notifier(uow_factory, clock, slack)
    raise_for_test(uow_factory, slack_directory, clock, calendar)
    _deliver(uow_factory, clock, minter, notifier)  # DSTALE refused: forgotten
    clock.advance(seconds=5)
    _deliver(uow_factory, clock, minter, notifier)  # opened afresh: stored
    events = _conversation_events(uow_factory)
    slack_only = {"platform": "slack"}
    assert ("identity.conversation_forgotten", chloe_id, slack_only) in events
    assert ("identity.conversation_stored", chloe_id, slack_only) in events
    stored = [e for e in events if e[0] == "identity.conversation_stored"]
    assert len(stored) == 3  # one per recipient whose DM was opened, none on re-use
    assert "DSTALE" not in str(events) and slack.dm_channel("UCHLOE") not in str(events)
