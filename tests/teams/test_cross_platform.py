"""Networks that span Slack and Teams, over real HTTP against both fake platforms.

- A concern raised by a Slack practitioner reaches the Teams lead, who acknowledges from
  the card; the Slack raiser's receipt arrives in Slack.
- A concern raised in the Teams dialog reaches the Slack lead, who acknowledges from the
  Slack message; the Teams raiser's receipt arrives in Teams.
In both, a canary in every sensitive field reaches neither fake platform.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.slack.blocks import ACKNOWLEDGE_ACTION
from handlers.deadlines import WorkingCalendar
from tests.raising import raise_for_test
from tests.slack.conftest import BOT_TOKEN, TEAM, InlineExecutor, slack_user
from tests.slack.fake_api import FakeSlackAPI
from tests.slack.inbound import SIGNING_SECRET, SlackSender
from tests.teams.fake_connector import FakeTeams
from tests.teams.inbound_world import TeamsWorld, teams_world
from tests.teams.test_inbound_flows import acknowledge_value, raise_in_dialog


@pytest.fixture
def slack() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as api:
        api.add_team(TEAM, token=BOT_TOKEN)
        yield api


@pytest.fixture
def world(
    engine: Engine,
    tmp_path: Path,
    teams: FakeTeams,
    slack: FakeSlackAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[TeamsWorld]:
    with teams_world(
        engine,
        tmp_path,
        teams,
        monkeypatch,
        slack_signing_secret=SIGNING_SECRET,
        slack_bot_token=BOT_TOKEN,
        slack_api_url=slack.url,
    ) as w:
        w.app.state.slack_app.listener_runner.listener_executor = InlineExecutor()
        with w.runtime.uow() as uow:
            for ref in ("amara", "erin", "ben"):
                person = uow.directory.practitioner(w.people[ref])
                assert person is not None
                person.preferred_platform = "slack"
                person.slack_team_id, person.slack_user_id = TEAM, slack_user(ref)
                slack.add_user(TEAM, slack_user(ref), email=person.email)
            uow.commit()
        w.put_on_teams("chloe", "dev")
        w.say("chloe", "help")
        w.say("dev", "help")
        yield w


def _canary() -> str:
    return f"qz{secrets.token_hex(6)}zq"


def test_raised_in_slack_acknowledged_in_teams(world: TeamsWorld, slack: FakeSlackAPI) -> None:
    canary = _canary()
    raised = raise_for_test(
        world.runtime.uow,
        world,
        world.clock,
        WorkingCalendar(),
        key=secrets.token_hex(8),
        noticed=f"{canary} noticed",
        rationale=f"{canary} rationale",
        family_reason=f"{canary} family",
        protected_identities=f"{canary} protected",
        via="slack",
    )
    world.deliver()
    # Erin (deputy) is on Slack; Chloe (lead) and Dev (member) are on Teams.
    assert len(slack.messages(slack.dm_channel(slack_user("erin")))) == 1
    cards = [m for m in world.messages("chloe") if "new concern" in m.activity.get("summary", "")]
    assert len(cards) == 1

    answer = world.invoke("chloe", "adaptiveCard/action", acknowledge_value(raised.concern_id))
    assert "Acknowledged by you" in answer.text
    world.deliver()

    (receipt,) = slack.messages(slack.dm_channel(slack_user("amara")))
    assert receipt.text.startswith("The lead professional has acknowledged")
    (erin,) = slack.messages(slack.dm_channel(slack_user("erin")))
    assert erin.text.startswith("Acknowledged by the lead professional")
    assert cards[0].versions  # Chloe's card was also updated in place by the outbox
    assert canary.encode() not in slack.sent_bytes()
    assert all(canary.encode() not in r.raw for r in world.teams.all_requests)


def test_raised_in_teams_acknowledged_in_slack(world: TeamsWorld, slack: FakeSlackAPI) -> None:
    canary = _canary()
    # Erin leads C-1002 (on Slack); Dev (a member) raises from the Teams dialog.
    raise_in_dialog(
        world,
        "dev",
        "C-1002",
        noticed=f"{canary} noticed",
        rationale=f"{canary} rationale",
        family_reason=f"{canary} family",
        protected_identities=f"{canary} protected",
    )
    world.deliver()
    (pointer,) = slack.messages(slack.dm_channel(slack_user("erin")))
    concern_id = next(
        e["value"]
        for b in pointer.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ACKNOWLEDGE_ACTION
    )
    sender = SlackSender(world.url, slack=slack)
    payload = sender.block_action(
        team=TEAM,
        user=slack_user("erin"),
        action_id=ACKNOWLEDGE_ACTION,
        value=concern_id,
        channel=slack.dm_channel(slack_user("erin")),
        message_ts=pointer.ts,
    )
    assert sender.action(payload).status_code == 200
    world.deliver()

    receipts = [
        m
        for m in world.messages("dev")
        if "acknowledged the concern you raised" in m.activity.get("summary", "")
    ]
    assert len(receipts) == 1
    assert canary.encode() not in slack.sent_bytes()
    assert all(canary.encode() not in r.raw for r in world.teams.all_requests)
