"""`network …` in a personal chat with Flare over real HTTP: the same use cases as Slack.

The reply repeats nothing typed; a member who is not the lead or deputy is refused in
plain words; the person added is told by a pointer (an Adaptive Card the renderer checks).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from handlers.outbox.pointer_words import _TITLES
from handlers.values import PointerKind
from tests.teams.fake_connector import FakeTeams
from tests.teams.inbound_world import TeamsWorld, teams_world


@pytest.fixture
def world(
    engine: Engine, tmp_path: Path, teams: FakeTeams, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TeamsWorld]:
    with teams_world(engine, tmp_path, teams, monkeypatch) as w:
        w.put_on_teams("chloe", "dev", "ben")
        yield w


def test_a_lead_adds_from_teams_and_the_person_is_told(world: TeamsWorld) -> None:
    world.say("chloe", "network add C-1001 ben")
    reply = world.messages("chloe")[-1].activity["text"]
    assert reply.startswith("Done") and "C-1001" not in reply and "ben" not in reply
    world.say("ben", "help")  # Ben's personal chat is known to Flare from here on
    world.deliver()
    cards = [str(m.activity) for m in world.messages("ben")]
    assert any(_TITLES[PointerKind.ADDED_TO_NETWORK] in card for card in cards)
    assert world.audit_details("network.added") == [
        {"practitioner": world.people["ben"], "role": "member"}
    ]


def test_a_member_is_refused_and_a_channel_is_pointed_to_the_personal_chat(
    world: TeamsWorld,
) -> None:
    world.say("dev", "network remove C-1001 amara")
    assert "Only the lead professional or deputy" in world.messages("dev")[-1].activity["text"]
    activity = world.activity("chloe", "message", text="<at>Flare</at> network leave C-1001")
    activity["conversation"]["conversationType"] = "channel"
    world.post(activity)
    assert world.messages("chloe")[-1].activity["text"] == (
        "Change a network in your personal chat with Flare."
    )
    with world.runtime.uow() as uow:
        assert uow.directory.membership(world.clients["C-1001"], world.people["amara"])
        assert uow.directory.membership(world.clients["C-1001"], world.people["chloe"])
