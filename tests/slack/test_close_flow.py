"""Closing from Slack: the lead's pointer has a Close button that opens a small modal with
the outcomes; the submission is one call to the close use case. Over real HTTP, every view
and message checked as Slack checks them (the autouse fixture)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.slack.blocks import CLOSE_ACTION
from bot.slack.closing import CLOSE_VIEW
from handlers.values import FamilyInformed
from store.models import AuditEvent, Concern
from tests.raising import raise_for_test
from tests.slack.raise_world import SlackWorld, slack_user, slack_world
from tests.slack.slack_client import state, typed

CANARY = "CANARY-slack-close-5e1d"


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[SlackWorld]:
    with slack_world(engine, tmp_path) as w:
        yield w


def _raise(world: SlackWorld) -> str:
    runtime = world.runtime
    outcome = raise_for_test(
        runtime.uow,
        world,
        runtime.clock,
        runtime.calendar,
        key="slack-close-1",
        noticed=f"{CANARY} noticed",
        rationale=f"{CANARY} rationale",
        family_informed=FamilyInformed.YES,
        family_reason="",
    )
    world.deliver()
    return outcome.concern_id


def _buttons(world: SlackWorld, ref: str) -> list[str]:
    (message,) = world.slack.messages(world.slack.dm_channel(slack_user(ref)))
    actions = [b for b in message.blocks if b["type"] == "actions"]
    return [e["action_id"] for block in actions for e in block["elements"]]


def _open_modal(world: SlackWorld, ref: str, concern_id: str) -> dict[str, Any]:
    before = len(world.calls("views.open"))
    pressed = world.sender.block_action(slack_user(ref), CLOSE_ACTION, value=concern_id)
    assert pressed.status == 200
    view: dict[str, Any] = world.wait_for("views.open", before + 1)[-1].args["view"]
    assert view["callback_id"] == CLOSE_VIEW and view["private_metadata"] == concern_id
    return {**view, "id": f"VCLOSE{before}", "hash": "h1"}


def _chose(outcome: str, note: str = "") -> dict[str, Any]:
    chosen = {"type": "radio_buttons", "selected_option": {"value": outcome}}
    return state(outcome=chosen, note=typed(note))


def test_the_lead_closes_from_the_pointer_and_the_raiser_and_network_are_told(
    world: SlackWorld,
) -> None:
    concern_id = _raise(world)
    assert CLOSE_ACTION in _buttons(world, "chloe") and CLOSE_ACTION in _buttons(world, "erin")
    assert CLOSE_ACTION not in _buttons(world, "dev")  # a member: Open only
    view = _open_modal(world, "chloe", concern_id)

    missing = world.sender.submit(slack_user("chloe"), view, state()).json()
    assert missing == {
        "response_action": "errors",
        "errors": {"outcome": missing["errors"]["outcome"]},
    }
    no_note = world.sender.submit(slack_user("chloe"), view, _chose("other")).json()
    assert no_note["response_action"] == "errors" and set(no_note["errors"]) == {"note"}
    done = world.sender.submit(slack_user("chloe"), view, _chose("other", CANARY)).json()
    assert done["response_action"] == "update"
    assert "The concern is closed" in str(done["view"]["blocks"])

    with world.runtime.uow() as uow:
        concern = uow.session.get(Concern, concern_id)
        assert concern is not None and (concern.status, concern.outcome) == ("closed", "other")
    world.wait_for("chat.postMessage", 3 + 3)  # the first three, then amara, erin and dev
    for ref in ("amara", "erin", "dev"):
        told = world.slack.messages(world.slack.dm_channel(slack_user(ref)))[-1]
        assert told.text.startswith("A concern you raised or were sent has been closed")
    assert CANARY.encode() not in world.slack.sent_bytes()
    again = world.sender.submit(slack_user("chloe"), view, _chose("police")).json()
    assert "The concern is closed" in str(again["view"]["blocks"])  # already: nothing new
    with world.runtime.uow() as uow:
        details = [
            e.detail for e in uow.session.query(AuditEvent).filter_by(action="concern.closed")
        ]
    assert details == [{"via": "slack", "outcome": "other", "told": 3}]


def test_someone_who_does_not_lead_is_refused_in_the_modal_and_it_is_audited(
    world: SlackWorld,
) -> None:
    concern_id = _raise(world)
    view = _open_modal(world, "dev", concern_id)  # a forged press: the handler decides
    answer = world.sender.submit(slack_user("dev"), view, _chose("police")).json()
    assert answer["response_action"] == "update"
    assert "Only the lead professional or deputy" in str(answer["view"]["blocks"])
    forged = {**view, "private_metadata": "not-an-id"}
    refused = world.sender.submit(slack_user("chloe"), forged, _chose("police")).json()
    assert "Only the lead professional or deputy" in str(refused["view"]["blocks"])
    pressed = world.sender.block_action(slack_user("chloe"), CLOSE_ACTION, value="x; drop")
    assert pressed.status == 200
    with world.runtime.uow() as uow:
        concern = uow.session.get(Concern, concern_id)
        assert concern is not None and concern.status == "open"
        actions = [e.action for e in uow.session.query(AuditEvent)]
    assert actions.count("concern.close_refused") == 1 and "concern.closed" not in actions
