"""Asking to join a child's network from Teams, over real HTTP against the fake Bot Connector:
`join` -> a dialog with one identifier field, or the receipt's "Ask to join" (from outside
the network) -> the lead's card with Approve and Decline (Action.Execute) -> the asker told
either way -> audited. Every card Flare answers or sends passes the Adaptive Cards check
(TeamsWorld.post and the fake connector)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.teams.cards import CARD_CONTENT_TYPE
from handlers.child_identifier import MAX_IDENTIFIER
from handlers.concern.joining import ASKED, CANNOT_DECIDE, NOT_YOURS
from handlers.follow_through.acknowledge import acknowledge
from handlers.outbox.pointer_words import DECIDED_BY_YOU
from handlers.values import PointerKind
from tests.outsiders import KNOWN_NHS, OUTSIDERS, UNKNOWN_NHS, add_outside_organisation
from tests.teams.adaptive_cards import card_problems
from tests.teams.fake_connector import FakeTeams
from tests.teams.inbound_world import TeamsWorld, teams_world
from tests.teams.test_inbound_flows import card_of
from tests.teams.test_raise_child import send as raise_as_gail


@pytest.fixture
def world(
    engine: Engine, tmp_path: Path, teams: FakeTeams, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TeamsWorld]:
    with teams_world(engine, tmp_path, teams, monkeypatch) as w:
        w.people |= add_outside_organisation(w.runtime.uow, w.clock.now())
        for ref, _name in OUTSIDERS:
            w.put_on_teams(ref, upn=f"{ref}@library.flare.invalid")
        w.put_on_teams("chloe", "erin", "dev")
        for ref in ("chloe", "erin", "dev", "gail", "hana"):
            w.say(ref, "help")  # the bot is installed: their conversations are stored
        yield w


def ask_by_identifier(world: TeamsWorld, ref: str, identifier: str) -> dict[str, Any]:
    """`join` -> its card's button opens the dialog -> Ask with the identifier typed."""
    assert world.say(ref, "join").status_code == 200
    prompt = world.messages(ref)[-1].activity
    assert card_problems(prompt) == []
    (button,) = prompt["attachments"][0]["content"]["actions"]
    opened = world.invoke(ref, "task/fetch", {"data": button["data"]}).json()
    dialog = card_of(opened)
    (ask,) = dialog["actions"]
    answer = world.invoke(ref, "task/submit", {"data": ask["data"] | {"identifier": identifier}})
    assert answer.status_code == 200
    world.deliver()
    found: dict[str, Any] = answer.json()
    return found


def last_card(world: TeamsWorld, ref: str) -> dict[str, Any]:
    activity = world.messages(ref)[-1].activity
    (attachment,) = activity["attachments"]
    assert attachment["contentType"] == CARD_CONTENT_TYPE
    card: dict[str, Any] = attachment["content"]
    return card


def executes(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """verb -> data of the card's Action.Execute buttons."""
    return {a["verb"]: a["data"] for a in card.get("actions", []) if a["type"] == "Action.Execute"}


def press(world: TeamsWorld, ref: str, verb: str, data: dict[str, Any]) -> str:
    """Press a button; the message Flare answers with (the card is left as it was)."""
    answer = answer_to(world, ref, verb, data)
    assert answer["type"] == "application/vnd.microsoft.activity.message"
    text: str = answer["value"]
    return text


def answer_to(world: TeamsWorld, ref: str, verb: str, data: dict[str, Any]) -> dict[str, Any]:
    value = {"action": {"type": "Action.Execute", "verb": verb, "data": data}}
    answer = world.invoke(ref, "adaptiveCard/action", value)
    assert answer.status_code == 200
    world.deliver()
    found: dict[str, Any] = answer.json()
    return found


def decide(world: TeamsWorld, ref: str, verb: str, data: dict[str, Any]) -> dict[str, Any]:
    """Approve or Decline: the pressed card is refreshed in place; the card it shows now."""
    answer = answer_to(world, ref, verb, data)
    assert answer["statusCode"] == 200 and answer["type"] == CARD_CONTENT_TYPE
    card: dict[str, Any] = answer["value"]
    assert card_problems(card) == []
    return card


def test_asking_by_identifier_reaches_the_lead_who_approves_and_the_asker_is_told(
    world: TeamsWorld,
) -> None:
    answer = ask_by_identifier(world, "gail", KNOWN_NHS)
    assert answer == {"task": {"type": "message", "value": ASKED + "."}}
    for lead in ("chloe", "erin"):
        card = last_card(world, lead)
        assert "Someone asked to join a network you lead" in json.dumps(card)
        assert set(executes(card)) == {"join_approve", "join_decline"}
    request = executes(last_card(world, "chloe"))["join_approve"]

    pressed = decide(world, "chloe", "join_approve", request)
    assert DECIDED_BY_YOU[PointerKind.JOIN_REQUEST_APPROVED] in json.dumps(pressed)
    assert not pressed.get("actions")
    # Both leads' request cards were updated in place (PUT), without their buttons.
    for lead, words in (
        ("chloe", DECIDED_BY_YOU[PointerKind.JOIN_REQUEST_APPROVED]),
        ("erin", "Someone else who leads this network approved this request to join it."),
    ):
        card = last_card(world, lead)
        assert words in json.dumps(card) and not card.get("actions")
    assert "was approved" in json.dumps(last_card(world, "gail"))
    assert not executes(last_card(world, "gail"))
    with world.runtime.uow() as uow:
        member = uow.directory.membership(world.clients["C-1001"], world.people["gail"])
        assert member is not None and member.role == "member"
    assert press(world, "erin", "join_decline", request) == CANNOT_DECIDE  # decided already
    assert world.audit_details("join.requested") == [{"request": request["request"], "to": 2}]
    assert world.audit_details("join.approved") == [
        {"request": request["request"], "asker": world.people["gail"]}
    ]
    assert world.audit_details("join.declined") == []
    assert KNOWN_NHS not in json.dumps(
        [m.activity for m in world.teams.connector.messages.values()]
    )


def test_matched_and_unmatched_requests_look_the_same_to_the_asker(world: TeamsWorld) -> None:
    matched = ask_by_identifier(world, "gail", KNOWN_NHS)
    unmatched = ask_by_identifier(world, "gail", UNKNOWN_NHS)
    assert matched == unmatched
    assert "Someone asked to join" in json.dumps(last_card(world, "hana"))
    bad = ask_by_identifier(world, "gail", "x" * (MAX_IDENTIFIER + 1))
    assert "identifier" in json.dumps(card_of(bad)) and "x" * (
        MAX_IDENTIFIER + 1
    ) not in json.dumps(bad)


def test_an_outsider_asks_from_the_receipt_and_a_decline_is_told_too(world: TeamsWorld) -> None:
    raise_as_gail(world, KNOWN_NHS)
    with world.runtime.uow() as uow:
        concern_id = uow.concerns.raised_by(world.people["gail"])[0].id
    acknowledge(
        world.runtime.uow(),
        concern_id=concern_id,
        practitioner_id=world.people["chloe"],
        clock=world.clock,
        via="teams",
    )
    world.deliver()
    receipt = last_card(world, "gail")
    assert "The lead professional has acknowledged" in json.dumps(receipt)
    assert executes(receipt) == {"join_ask": {"concern": concern_id}}

    assert press(world, "gail", "join_ask", {"concern": concern_id}) == ASKED + "."
    request = executes(last_card(world, "chloe"))["join_decline"]
    assert press(world, "dev", "join_approve", request) == CANNOT_DECIDE  # a member
    pressed = decide(world, "chloe", "join_decline", request)
    assert DECIDED_BY_YOU[PointerKind.JOIN_REQUEST_DECLINED] in json.dumps(pressed)
    assert not pressed.get("actions") and not last_card(world, "chloe").get("actions")
    assert "was not approved" in json.dumps(last_card(world, "gail"))
    with world.runtime.uow() as uow:
        assert uow.directory.membership(world.clients["C-1001"], world.people["gail"]) is None
    assert len(world.audit_details("join.declined")) == 1
    assert world.audit_details("join.approved") == []


def test_a_forged_or_foreign_press_is_answered_and_changes_nothing(world: TeamsWorld) -> None:
    before = world.counts()
    assert press(world, "dev", "join_ask", {"concern": "x; drop"}) == NOT_YOURS + "."
    assert press(world, "dev", "join_ask", {"concern": "0" * 32}) == NOT_YOURS + "."
    assert press(world, "dev", "join_approve", {"request": "not-an-id"}) == CANNOT_DECIDE
    assert press(world, "dev", "join_decline", {"request": "0" * 32}) == CANNOT_DECIDE
    after = world.counts()
    assert after["audit"] == before["audit"] and after["outbox"] == before["outbox"]
