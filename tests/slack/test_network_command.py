"""`/concern network …` over real HTTP: one handler call, an ephemeral reply, a pointer.

The reply never repeats what was typed; a member who is not the lead or deputy gets a
clear refusal, and the person added or removed is told by a pointer in Slack.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from handlers.outbox.pointer_words import _TITLES
from handlers.values import PointerKind
from tests.slack.raise_world import SlackWorld, slack_user, slack_world


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[SlackWorld]:
    with slack_world(engine, tmp_path) as w:
        yield w


def _reply(world: SlackWorld, who: str, text: str, n: int) -> dict[str, object]:
    exchange, _ = world.sender.command(slack_user(who), text)
    assert exchange.status == 200 and exchange.response in (b"", b"null")
    reply: dict[str, object] = json.loads(world.wait_hooks(n)[n - 1].body)
    assert reply["response_type"] == "ephemeral"
    return reply


def _dm_titles(world: SlackWorld) -> str:
    world.deliver()
    return "\n".join(json.dumps(c.args) for c in world.calls("chat.postMessage"))


def test_a_lead_adds_and_removes_from_slack_and_the_person_is_told(world: SlackWorld) -> None:
    added = _reply(world, "chloe", "network add C-1001 ben deputy", 1)
    assert str(added["text"]).startswith("Done")
    assert "C-1001" not in json.dumps(added) and "ben" not in json.dumps(added)
    assert _TITLES[PointerKind.ADDED_TO_NETWORK] in _dm_titles(world)

    removed = _reply(world, "erin", "network remove C-1001 ben", 2)
    assert str(removed["text"]).startswith("Done")
    assert _TITLES[PointerKind.REMOVED_FROM_NETWORK] in _dm_titles(world)
    with world.runtime.uow() as uow:
        assert uow.directory.membership(world.clients["C-1001"], world.people["ben"]) is None


def test_a_member_is_refused_in_plain_words_and_nothing_changes(world: SlackWorld) -> None:
    refused = _reply(world, "dev", "network remove C-1001 amara", 1)
    assert "Only the lead professional or deputy" in str(refused["text"])
    unknown = _reply(world, "dev", "network remove C-4040 amara", 2)
    assert unknown["text"] == refused["text"]  # an unknown client looks the same
    usage = _reply(world, "dev", "network frobnicate", 3)
    assert "network add" in str(usage["text"]) and "frobnicate" not in str(usage["text"])
    with world.runtime.uow() as uow:
        assert uow.directory.membership(world.clients["C-1001"], world.people["amara"])
