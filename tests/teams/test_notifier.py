"""TeamsNotifier against the fake login and Bot Connector, over real HTTP on loopback."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.teams.notifier import TeamsNotifier
from handlers.deadlines import WorkingCalendar
from handlers.follow_through.acknowledge import Acknowledged, acknowledge
from handlers.outbox.delivery import deliver_due
from handlers.ports import MessageRef, Notifier, Pointer, SendResult
from handlers.values import Platform
from store.models import AuditEvent, OutboxMessage, TeamsActivity
from tests.conftest import FakeClock, FakeMinter, UowFactory
from tests.fakes import FakeNotifier
from tests.raising import raise_for_test
from tests.teams.conftest import TeamsPeople, make_notifier
from tests.teams.fake_connector import TENANT_ID, FakeTeams, Message


def _card(message: Message) -> dict[str, Any]:
    (attachment,) = message.activity["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    content: dict[str, Any] = attachment["content"]
    return content


def _actions(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["type"]: a for a in card.get("actions", [])}


def test_a_teams_lead_gets_a_card_in_a_new_one_to_one_chat(
    uow_factory: UowFactory,
    clock: FakeClock,
    minter: FakeMinter,
    calendar: WorkingCalendar,
    teams: FakeTeams,
    notifier: TeamsNotifier,
    on_teams: TeamsPeople,
) -> None:
    d = on_teams.directory
    raised = raise_for_test(uow_factory, d, clock, calendar)
    playground = FakeNotifier()
    report = deliver_due(
        uow_factory, {Platform.TEAMS: notifier, Platform.PLAYGROUND: playground}, minter, clock
    )
    assert report.sent == 3 and report.dead == 0
    assert {p.recipient_id for p in playground.sent} == {d.people["erin"]}

    (lead_message,) = teams.connector.messages_to(on_teams.aad["chloe"])
    card = _card(lead_message)
    assert card["version"] == "1.5"  # Teams: Action.Execute needs 1.5
    actions = _actions(card)
    assert actions["Action.OpenUrl"]["url"] == minter.url(minter.minted[0]) or actions[
        "Action.OpenUrl"
    ]["url"].startswith(minter.base + "/l/")
    assert actions["Action.Execute"]["verb"] == "acknowledge"
    assert actions["Action.Execute"]["data"] == {"concern": raised.concern_id}
    assert "Severity" in str(card["body"]) and "High" in str(card["body"])

    (member_message,) = teams.connector.messages_to(on_teams.aad["dev"])
    assert set(_actions(_card(member_message))) == {"Action.OpenUrl"}  # members cannot ack

    # the 1:1 conversation was created in the tenant and remembered
    creations = [r for r in teams.connector.requests if r.path == "/v3/conversations"]
    assert len(creations) == 2
    assert creations[0].json()["tenantId"] == TENANT_ID
    assert creations[0].json()["channelData"] == {"tenant": {"id": TENANT_ID}}
    with uow_factory() as uow:
        chloe = uow.directory.practitioner(d.people["chloe"])
        assert chloe is not None and chloe.teams_conversation is not None
        assert chloe.teams_conversation["id"] == lead_message.conversation_id
        assert chloe.teams_conversation["serviceUrl"] == teams.connector.url
        landed = uow.session.scalars(select(TeamsActivity)).all()
        assert {a.activity_id for a in landed} == set(teams.connector.messages)


def test_a_stored_conversation_is_reused(
    uow_factory: UowFactory,
    clock: FakeClock,
    minter: FakeMinter,
    calendar: WorkingCalendar,
    teams: FakeTeams,
    notifier: TeamsNotifier,
    on_teams: TeamsPeople,
) -> None:
    d = on_teams.directory
    notifiers: dict[Platform, Notifier] = {
        Platform.TEAMS: notifier,
        Platform.PLAYGROUND: FakeNotifier(),
    }
    raise_for_test(uow_factory, d, clock, calendar, key="one")
    deliver_due(uow_factory, notifiers, minter, clock)
    raise_for_test(uow_factory, d, clock, calendar, key="two")
    deliver_due(uow_factory, notifiers, minter, clock)
    creations = [r for r in teams.connector.requests if r.path == "/v3/conversations"]
    assert len(creations) == 2  # once per person, not once per pointer
    assert len(teams.connector.messages_to(on_teams.aad["chloe"])) == 2
    assert len(teams.connector.messages_to(on_teams.aad["dev"])) == 2


def test_acknowledging_updates_the_lead_card_in_place(
    uow_factory: UowFactory,
    clock: FakeClock,
    minter: FakeMinter,
    calendar: WorkingCalendar,
    teams: FakeTeams,
    notifier: TeamsNotifier,
    on_teams: TeamsPeople,
) -> None:
    d = on_teams.directory
    notifiers: dict[Platform, Notifier] = {
        Platform.TEAMS: notifier,
        Platform.PLAYGROUND: FakeNotifier(),
    }
    raised = raise_for_test(uow_factory, d, clock, calendar)
    deliver_due(uow_factory, notifiers, minter, clock)
    (before,) = teams.connector.messages_to(on_teams.aad["chloe"])
    clock.advance(minutes=62)
    outcome = acknowledge(
        uow_factory(), concern_id=raised.concern_id, practitioner_id=d.people["chloe"], clock=clock
    )
    assert isinstance(outcome, Acknowledged)
    posts_before = len([r for r in teams.connector.activity_requests if r.method == "POST"])
    report = deliver_due(uow_factory, notifiers, minter, clock)
    assert report.dead == 0

    (after,) = teams.connector.messages_to(on_teams.aad["chloe"])  # still one message
    assert after.activity_id == before.activity_id and len(after.versions) == 1
    card = _card(after)
    assert "Acknowledged by you at 11:02" in str(card["body"])  # 10:00 UTC + 62 min, London
    assert "Action.Execute" not in _actions(card)
    puts = [r for r in teams.connector.activity_requests if r.method == "PUT"]
    assert len(puts) == 1 and puts[0].path.endswith(after.activity_id)
    posts_after = len([r for r in teams.connector.activity_requests if r.method == "POST"])
    assert posts_after == posts_before  # the update posted nothing new to Teams


def test_one_token_request_for_many_sends(
    uow_factory: UowFactory,
    clock: FakeClock,
    minter: FakeMinter,
    calendar: WorkingCalendar,
    teams: FakeTeams,
    notifier: TeamsNotifier,
    on_teams: TeamsPeople,
) -> None:
    d = on_teams.directory
    notifiers: dict[Platform, Notifier] = {
        Platform.TEAMS: notifier,
        Platform.PLAYGROUND: FakeNotifier(),
    }
    for n in range(3):
        raise_for_test(uow_factory, d, clock, calendar, key=f"many-{n}")
        deliver_due(uow_factory, notifiers, minter, clock)
    assert len(teams.connector.messages) == 6
    assert len(teams.login.token_requests) == 1
    form = teams.login.token_requests[0].body.decode()
    assert "grant_type=client_credentials" in form
    assert "scope=https%3A%2F%2Fapi.botframework.com%2F.default" in form


def test_429_waits_for_retry_after_then_delivers_once(
    uow_factory: UowFactory,
    clock: FakeClock,
    minter: FakeMinter,
    calendar: WorkingCalendar,
    teams: FakeTeams,
    notifier: TeamsNotifier,
    on_teams: TeamsPeople,
) -> None:
    d = on_teams.directory
    notifiers: dict[Platform, Notifier] = {
        Platform.TEAMS: notifier,
        Platform.PLAYGROUND: FakeNotifier(),
    }
    _only_chloe_on_teams_with_a_known_chat(uow_factory, teams, on_teams)
    raise_for_test(uow_factory, d, clock, calendar)
    teams.connector.fail_next(429, retry_after="120")  # Chloe's post is throttled
    first = deliver_due(uow_factory, notifiers, minter, clock)
    assert first.retried == 1 and first.sent == 2  # Erin and Dev on the playground
    assert teams.connector.messages_to(on_teams.aad["chloe"]) == []
    row = _row_for(uow_factory, d.people["chloe"])
    assert row.state == "pending" and row.detail.get("reconcile") is False  # refused, not lost
    assert row.next_attempt_at >= clock.now() + timedelta(seconds=120)

    clock.advance(seconds=60)
    assert deliver_due(uow_factory, notifiers, minter, clock).claimed == 0  # not yet
    clock.advance(seconds=61)
    second = deliver_due(uow_factory, notifiers, minter, clock)
    assert second.sent == 1
    assert len(teams.connector.messages_to(on_teams.aad["chloe"])) == 1


def _only_chloe_on_teams_with_a_known_chat(
    uow_factory: UowFactory, teams: FakeTeams, on_teams: TeamsPeople
) -> None:
    """Dev back on the playground; Chloe has talked to the bot, so her chat is stored."""
    d = on_teams.directory
    conversation_id = f"a:{on_teams.aad['chloe']}"
    with uow_factory() as uow:
        dev = uow.directory.practitioner(d.people["dev"])
        chloe = uow.directory.practitioner(d.people["chloe"])
        assert dev is not None and chloe is not None
        dev.preferred_platform = "playground"
        chloe.teams_conversation = {
            "id": conversation_id,
            "serviceUrl": teams.connector.url,
            "tenantId": TENANT_ID,
        }
        uow.commit()
    teams.connector.conversations[conversation_id] = {
        "member": on_teams.aad["chloe"],
        "tenant": TENANT_ID,
    }


def _row_for(uow_factory: UowFactory, recipient_id: str) -> OutboxMessage:
    with uow_factory() as uow:
        row = uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient_id == recipient_id)
        ).one()
        uow.session.expunge(row)
        return row


def test_500_is_retried_and_the_message_lands_once(
    uow_factory: UowFactory,
    clock: FakeClock,
    minter: FakeMinter,
    calendar: WorkingCalendar,
    teams: FakeTeams,
    notifier: TeamsNotifier,
    on_teams: TeamsPeople,
) -> None:
    d = on_teams.directory
    notifiers: dict[Platform, Notifier] = {
        Platform.TEAMS: notifier,
        Platform.PLAYGROUND: FakeNotifier(),
    }
    _only_chloe_on_teams_with_a_known_chat(uow_factory, teams, on_teams)
    raise_for_test(uow_factory, d, clock, calendar)
    teams.connector.fail_next(500)  # Chloe's post fails
    first = deliver_due(uow_factory, notifiers, minter, clock)
    assert first.retried == 1
    assert _row_for(uow_factory, d.people["chloe"]).detail.get("reconcile") is True  # ambiguous
    clock.advance(minutes=20)
    second = deliver_due(uow_factory, notifiers, minter, clock)
    assert second.sent == 1 and second.reconciled == 0
    assert len(teams.connector.messages_to(on_teams.aad["chloe"])) == 1
    assert [r for r in teams.connector.requests if r.path == "/v3/conversations"] == []


def test_a_crash_after_the_post_does_not_post_twice(
    uow_factory: UowFactory,
    clock: FakeClock,
    minter: FakeMinter,
    calendar: WorkingCalendar,
    teams: FakeTeams,
    on_teams: TeamsPeople,
) -> None:
    """The worker dies between the Bot Connector's answer and recording the outbox row."""
    d = on_teams.directory
    real = make_notifier(uow_factory, clock, teams)

    class DiesAfterSending:
        platform = Platform.TEAMS

        def send(self, pointer: Pointer) -> SendResult:
            real.send(pointer)
            raise RuntimeError("worker killed")

        def find(self, pointer: Pointer) -> MessageRef | None:
            return real.find(pointer)

    raise_for_test(uow_factory, d, clock, calendar)
    playground = FakeNotifier()
    first = deliver_due(
        uow_factory,
        {Platform.TEAMS: DiesAfterSending(), Platform.PLAYGROUND: playground},
        minter,
        clock,
    )
    assert first.retried == 2  # Chloe's and Dev's rows are left ambiguous
    assert len(teams.connector.messages) == 2
    clock.advance(minutes=20)
    second = deliver_due(
        uow_factory, {Platform.TEAMS: real, Platform.PLAYGROUND: playground}, minter, clock
    )
    assert second.reconciled == 2 and second.sent == 2
    assert len(teams.connector.messages) == 2  # found, not posted again


def test_a_person_with_no_teams_identity_is_undeliverable(
    uow_factory: UowFactory,
    clock: FakeClock,
    minter: FakeMinter,
    calendar: WorkingCalendar,
    teams: FakeTeams,
    notifier: TeamsNotifier,
    on_teams: TeamsPeople,
) -> None:
    d = on_teams.directory
    with uow_factory() as uow:
        dev = uow.directory.practitioner(d.people["dev"])
        assert dev is not None
        dev.teams_aad_object_id = None
        dev.teams_tenant_id = None
        uow.commit()
    raise_for_test(uow_factory, d, clock, calendar)
    report = deliver_due(
        uow_factory, {Platform.TEAMS: notifier, Platform.PLAYGROUND: FakeNotifier()}, minter, clock
    )
    assert report.dead == 1 and report.sent == 2
    assert teams.connector.messages_to(on_teams.aad["dev"]) == []


def test_a_stale_stored_conversation_is_replaced(
    uow_factory: UowFactory,
    clock: FakeClock,
    minter: FakeMinter,
    calendar: WorkingCalendar,
    teams: FakeTeams,
    notifier: TeamsNotifier,
    on_teams: TeamsPeople,
) -> None:
    d = on_teams.directory
    notifiers: dict[Platform, Notifier] = {
        Platform.TEAMS: notifier,
        Platform.PLAYGROUND: FakeNotifier(),
    }
    with uow_factory() as uow:  # a chat stored long ago that Teams no longer knows
        chloe = uow.directory.practitioner(d.people["chloe"])
        assert chloe is not None
        chloe.teams_conversation = {
            "id": "a:gone",
            "serviceUrl": teams.connector.url,
            "tenantId": TENANT_ID,
        }
        uow.commit()
    raise_for_test(uow_factory, d, clock, calendar)
    first = deliver_due(uow_factory, notifiers, minter, clock)
    assert first.retried == 1 and first.dead == 0
    assert _row_for(uow_factory, d.people["chloe"]).detail.get("reconcile") is False
    clock.advance(minutes=5)
    second = deliver_due(uow_factory, notifiers, minter, clock)
    assert second.sent == 1
    assert len(teams.connector.messages_to(on_teams.aad["chloe"])) == 1
    with uow_factory() as uow:
        chloe = uow.directory.practitioner(d.people["chloe"])
        assert chloe is not None and chloe.teams_conversation is not None
        assert chloe.teams_conversation["id"] == f"a:{on_teams.aad['chloe']}"


def _audited(
    uow_factory: UowFactory, *actions: str
) -> list[tuple[str, str | None, dict[str, str]]]:
    with uow_factory() as uow:
        events = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(actions)).order_by(AuditEvent.seq)
        ).all()
        return [(e.action, e.subject, dict(e.detail)) for e in events]


def test_created_conversations_and_landed_activities_are_audited_by_ids_only(
    uow_factory: UowFactory,
    clock: FakeClock,
    minter: FakeMinter,
    calendar: WorkingCalendar,
    teams: FakeTeams,
    notifier: TeamsNotifier,
    on_teams: TeamsPeople,
) -> None:
    d = on_teams.directory
    raise_for_test(uow_factory, d, clock, calendar)
    deliver_due(
        uow_factory, {Platform.TEAMS: notifier, Platform.PLAYGROUND: FakeNotifier()}, minter, clock
    )
    chloe, dev = d.people["chloe"], d.people["dev"]
    teams_only = {"platform": "teams"}
    stored = _audited(uow_factory, "identity.conversation_stored")
    assert sorted(stored) == sorted(
        [("identity.conversation_stored", who, teams_only) for who in (chloe, dev)]
    )
    landed = _audited(uow_factory, "pointer.landed")
    assert sorted(e[1] or "" for e in landed) == sorted([chloe, dev])
    assert all(e[2] == {"platform": "teams", "kind": "new_concern"} for e in landed)
    audited = str(stored + landed)
    assert all(m.conversation_id not in audited for m in teams.connector.messages.values())
    assert all(activity_id not in audited for activity_id in teams.connector.messages)


def test_forgetting_a_stale_conversation_is_audited(
    uow_factory: UowFactory,
    clock: FakeClock,
    minter: FakeMinter,
    calendar: WorkingCalendar,
    teams: FakeTeams,
    notifier: TeamsNotifier,
    on_teams: TeamsPeople,
) -> None:
    d = on_teams.directory
    with uow_factory() as uow:
        chloe = uow.directory.practitioner(d.people["chloe"])
        assert chloe is not None
        chloe.teams_conversation = {"id": "a:gone", "serviceUrl": teams.connector.url}
        uow.commit()
    raise_for_test(uow_factory, d, clock, calendar)
    deliver_due(
        uow_factory, {Platform.TEAMS: notifier, Platform.PLAYGROUND: FakeNotifier()}, minter, clock
    )
    forgotten = _audited(uow_factory, "identity.conversation_forgotten")
    assert forgotten == [
        ("identity.conversation_forgotten", d.people["chloe"], {"platform": "teams"})
    ]
