"""Raising about any child from Teams over real HTTP: a raiser in no network opens the raise
dialog, picks "Raise about any child", and sends by NHS number. The concern reaches the
network's lead and deputy (or their own safeguarding people when nothing matched), and the
dialog closes with the same words either way. Every card passes the Adaptive Cards renderer
(TeamsWorld.post)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.teams.package import RAISE_COMMAND_ID
from handlers.concern.outsider import SENT
from tests.follow.flows import CANARY
from tests.outsiders import KNOWN_NHS, OUTSIDERS, UNKNOWN_NHS, add_outside_organisation
from tests.teams.fake_connector import FakeTeams
from tests.teams.inbound_world import TeamsWorld, teams_world
from tests.teams.test_inbound_flows import card_of

ANSWERS = {
    "category": "neglect",
    "severity": "high",
    "noticed": f"{CANARY} arrived hungry again",
    "family_informed": "not_safe",
    "family_reason": f"{CANARY} risk at home",
    "rationale": f"{CANARY} the lead needs to know",
    "lawful_basis": "public_task",
}


@pytest.fixture
def world(
    engine: Engine, tmp_path: Path, teams: FakeTeams, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TeamsWorld]:
    with teams_world(engine, tmp_path, teams, monkeypatch) as w:
        w.people |= add_outside_organisation(w.runtime.uow, w.clock.now())
        for ref, _name in OUTSIDERS:
            w.put_on_teams(ref, upn=f"{ref}@library.flare.invalid")
        w.put_on_teams("chloe")
        for ref in ("chloe", "gail"):
            w.say(ref, "help")  # the bot is installed: their conversations are stored
        yield w


def invoke(world: TeamsWorld, name: str, value: dict[str, Any]) -> dict[str, Any]:
    answer = world.invoke("gail", name, value)
    assert answer.status_code == 200
    found: dict[str, Any] = answer.json()
    return found


def submit(world: TeamsWorld, data: dict[str, Any]) -> dict[str, Any]:
    value = {"commandId": RAISE_COMMAND_ID, "data": data}
    return invoke(world, "composeExtension/submitAction", value)


def action(card: dict[str, Any], title: str) -> dict[str, Any]:
    (found,) = [a for a in card["actions"] if a.get("title") == title]
    return dict(found["data"])


def send(world: TeamsWorld, identifier: str) -> dict[str, Any]:
    value = {"commandId": RAISE_COMMAND_ID, "commandContext": "message"}
    first = card_of(invoke(world, "composeExtension/fetchTask", value))
    child = card_of(submit(world, action(first, "Raise about any child")))
    assert "identifier" in str(child) and "value" not in str(
        [i for i in child["body"] if i.get("id") == "identifier"]
    )
    return submit(world, action(child, "Send") | ANSWERS | {"identifier": identifier})


def newest(world: TeamsWorld) -> dict[str, str]:
    with world.runtime.uow() as uow:
        concern = uow.concerns.raised_by(world.people["gail"])[0]
        return {d.recipient_id: d.role for d in uow.concerns.deliveries(concern.id)}


def test_an_outsider_raises_by_nhs_number_from_teams_to_lead_and_deputy_only(
    world: TeamsWorld,
) -> None:
    answer = send(world, KNOWN_NHS)

    assert answer == {"task": {"type": "message", "value": SENT + "."}}
    p = world.people
    assert newest(world) == {p["chloe"]: "lead", p["erin"]: "deputy", p["gail"]: "outsider"}
    before = len(world.messages("gail"))  # the help answer
    world.deliver()
    (pointer,) = [m for m in world.messages("chloe") if "new concern" in str(m.activity)]
    assert CANARY not in str(pointer.activity)
    assert len(world.messages("gail")) == before  # nothing until it is acknowledged
    card = pointer.activity["attachments"][0]["content"]
    (execute,) = [a for a in card["actions"] if a["type"] == "Action.Execute"]
    value = {"action": {"type": "Action.Execute", "verb": "acknowledge", "data": execute["data"]}}
    assert world.invoke("chloe", "adaptiveCard/action", value).status_code == 200
    world.deliver()
    (receipt,) = world.messages("gail")[before:]
    assert "acknowledged" in str(receipt.activity)
    assert "/l/" not in str(receipt.activity) and CANARY not in str(receipt.activity)


def test_matched_and_unmatched_close_the_dialog_with_the_same_words(world: TeamsWorld) -> None:
    matched = send(world, KNOWN_NHS)
    world.clock.advance(minutes=1)
    unmatched = send(world, UNKNOWN_NHS)
    assert matched == unmatched
    p = world.people
    assert newest(world) == {p["hana"]: "duty", p["ivan"]: "duty", p["gail"]: "outsider"}


def test_a_bad_identifier_comes_back_to_correct_without_it(world: TeamsWorld) -> None:
    again = card_of(send(world, "y" * 121))
    assert "Enter the child's NHS number" in str(again) and "y" * 121 not in str(again)
