"""Raising about any child from Slack over real HTTP: `/concern child`, one modal, one send.
An outsider's concern reaches the network's lead and deputy (or their own safeguarding people
when nothing matched) and the outsider sees the same view either way."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.slack.raise_child import CALLBACK
from handlers.ports import OPAQUE_ID
from store.models import Concern
from tests.follow.flows import CANARY
from tests.outsiders import KNOWN_NHS, OUTSIDERS, UNKNOWN_NHS, add_outside_organisation
from tests.slack.raise_world import TEAM, SlackWorld, slack_user, slack_world
from tests.slack.slack_client import picked, state, typed

GAIL = slack_user("gail")


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[SlackWorld]:
    with slack_world(engine, tmp_path) as w:
        w.people |= add_outside_organisation(w.runtime.uow, w.clock.now())
        with w.runtime.uow() as uow:
            for ref, _name in OUTSIDERS:
                person = uow.directory.practitioner(w.people[ref])
                assert person is not None
                person.slack_team_id, person.slack_user_id = TEAM, slack_user(ref)
                person.preferred_platform = "slack"
                w.slack.add_user(TEAM, slack_user(ref), email=person.email)
            uow.commit()
        yield w


def values(identifier: str) -> dict[str, Any]:
    return state(
        identifier=typed(identifier),
        category=picked("neglect"),
        severity=picked("high"),
        noticed=typed(f"{CANARY} always hungry"),
        family_informed=picked("not_safe"),
        family_reason=typed(f"{CANARY} risk at home"),
        rationale=typed(f"{CANARY} the school should know"),
        lawful_basis=picked("public_task"),
    )


def send(world: SlackWorld, identifier: str) -> dict[str, Any]:
    wanted = len(world.calls("views.open")) + 1
    exchange, trigger = world.sender.command(GAIL, "child")
    assert exchange.status == 200
    opened = world.wait_for("views.open", count=wanted)
    view = next(c.args["view"] for c in opened if c.args.get("trigger_id") == trigger)
    assert view["callback_id"] == CALLBACK
    shown = {**view, "id": "V" + trigger.split(".")[0], "hash": "h1"}
    answer: dict[str, Any] = world.sender.submit(GAIL, shown, values(identifier)).json()
    return answer


def as_seen(answer: dict[str, Any]) -> str:
    """The answer as the raiser sees it: the Ask to join button carries the new concern's
    opaque id (different for every concern, known child or not), so it is masked."""
    text = json.dumps(answer)
    for concern_id in re.findall(r'"value": "([0-9a-f]{32})"', text):
        assert OPAQUE_ID.match(concern_id)
        text = text.replace(concern_id, "<concern>")
    return text


def newest(world: SlackWorld) -> dict[str, str]:
    with world.runtime.uow() as uow:
        concern = uow.concerns.raised_by(world.people["gail"])[0]
        return {d.recipient_id: d.role for d in uow.concerns.deliveries(concern.id)}


def test_an_outsider_raises_by_nhs_number_from_slack_to_lead_and_deputy_only(
    world: SlackWorld,
) -> None:
    answer = send(world, KNOWN_NHS)

    assert answer["response_action"] == "update"
    assert answer["view"]["title"]["text"] == "Concern sent"
    p = world.people
    assert newest(world) == {p["chloe"]: "lead", p["erin"]: "deputy", p["gail"]: "outsider"}
    world.deliver()
    assert world.calls("chat.postMessage")  # the lead's and deputy's pointers
    assert all(CANARY.encode() not in r.body for r in world.slack.requests)
    outsider = {"gail"}
    with world.runtime.uow() as uow:
        gail = uow.directory.practitioner(p["gail"])
        assert gail is not None
        outsider.add(gail.slack_dm_channel or "no channel opened")
    assert not any(c.args.get("channel") in outsider for c in world.calls("chat.postMessage"))


def test_matched_and_unmatched_look_the_same_from_slack(world: SlackWorld) -> None:
    matched = send(world, KNOWN_NHS)
    world.clock.advance(minutes=1)
    unmatched = send(world, UNKNOWN_NHS)
    assert as_seen(matched) == as_seen(unmatched) and "<concern>" in as_seen(matched)
    p = world.people
    assert newest(world) == {p["hana"]: "duty", p["ivan"]: "duty", p["gail"]: "outsider"}
    assert world.count(Concern) == 2


def test_a_bad_identifier_is_a_field_error_that_does_not_echo_it(world: SlackWorld) -> None:
    answer = send(world, "x" * 121)
    assert answer["response_action"] == "errors"
    assert "x" * 121 not in str(answer)
    assert world.count(Concern) == 0
