"""Asking to join a child's network from Slack, over real HTTP against the fake Slack API:
`/concern join` (by identifier) or the receipt's button (from outside the network) -> the
lead's pointer with Approve and Decline -> the asker told either way -> audited. Every view
and message is checked as Slack checks them (the autouse fixture)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot.slack.blocks import JOIN_APPROVE_ACTION, JOIN_ASK_ACTION, JOIN_DECLINE_ACTION
from bot.slack.joining import CALLBACK, HOME_JOIN_ACTION
from bot.slack.raise_child import CALLBACK as RAISE
from handlers.child_identifier import MAX_IDENTIFIER
from handlers.concern.joining import APPROVED, ASKED, CANNOT_DECIDE, DECLINED
from handlers.follow_through.acknowledge import acknowledge
from handlers.outbox.pointer_words import DECIDED_BY_YOU
from handlers.values import PointerKind
from store.models import AuditEvent, JoinRequest
from tests.outsiders import KNOWN_NHS, OUTSIDERS, UNKNOWN_NHS, add_outside_organisation
from tests.slack.block_kit_check import view_problems
from tests.slack.raise_world import TEAM, SlackWorld, slack_user, slack_world
from tests.slack.slack_client import state, typed
from tests.slack.test_raise_child import send as raise_as_gail

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


def ask_by_identifier(world: SlackWorld, user: str, identifier: str) -> dict[str, Any]:
    """`/concern join`, then the modal submitted with the identifier typed."""
    wanted = len(world.calls("views.open")) + 1
    exchange, trigger = world.sender.command(user, "join")
    assert exchange.status == 200 and not exchange.response.strip()  # nothing echoed
    opened = world.wait_for("views.open", count=wanted)
    view = next(c.args["view"] for c in opened if c.args.get("trigger_id") == trigger)
    assert view["callback_id"] == CALLBACK
    shown = {**view, "id": "V" + trigger.split(".")[0], "hash": "h1"}
    answer: dict[str, Any] = world.sender.submit(
        user, shown, state(identifier=typed(identifier))
    ).json()
    world.deliver()
    return answer


def last_pointer(world: SlackWorld, ref: str) -> Any:
    return world.slack.messages(world.slack.dm_channel(slack_user(ref)))[-1]


def now_reads(world: SlackWorld, ref: str, message: Any) -> Any:
    """The message as it reads now (chat.update edits it in place)."""
    (found,) = [
        m
        for m in world.slack.messages(world.slack.dm_channel(slack_user(ref)))
        if m.ts == message.ts
    ]
    return found


def buttons(message: Any) -> dict[str, str]:
    """action_id -> value of the message's buttons."""
    return block_buttons(message.blocks)


def block_buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    actions = [b for b in blocks if b["type"] == "actions"]
    return {e["action_id"]: e.get("value", "") for a in actions for e in a["elements"]}


def press(world: SlackWorld, ref: str, action: str, value: str) -> str:
    """Press a button; the ephemeral answer it gets."""
    before = len(world.calls("chat.postEphemeral"))
    assert world.sender.block_action(slack_user(ref), action, value=value).status == 200
    told = world.wait_for("chat.postEphemeral", before + 1)[-1]
    world.deliver()
    return str(told.args["text"])


def audited(world: SlackWorld) -> list[tuple[str, dict[str, Any]]]:
    with world.runtime.uow() as uow:
        rows = uow.session.scalars(select(AuditEvent).where(AuditEvent.action.like("join.%")))
        return [(e.action, dict(e.detail)) for e in rows]


def test_asking_by_identifier_reaches_the_lead_who_approves_and_the_asker_is_told(
    world: SlackWorld,
) -> None:
    answer = ask_by_identifier(world, GAIL, KNOWN_NHS)
    assert answer["response_action"] == "update"
    assert ASKED in json.dumps(answer["view"]) and KNOWN_NHS not in json.dumps(answer)

    for lead in ("chloe", "erin"):
        pointer = last_pointer(world, lead)
        assert pointer.text.startswith("Someone asked to join a network you lead")
        assert set(buttons(pointer)) == {JOIN_APPROVE_ACTION, JOIN_DECLINE_ACTION}
    asked = {lead: last_pointer(world, lead) for lead in ("chloe", "erin")}
    request_id = buttons(asked["chloe"])[JOIN_APPROVE_ACTION]

    assert press(world, "chloe", JOIN_APPROVE_ACTION, request_id) == APPROVED
    # The pressed message and the deputy's say what was decided, with no button left to press.
    pressed, deputys = (
        now_reads(world, "chloe", asked["chloe"]),
        now_reads(world, "erin", asked["erin"]),
    )
    assert pressed.edited and deputys.edited
    assert pressed.text == DECIDED_BY_YOU[PointerKind.JOIN_REQUEST_APPROVED]
    assert deputys.text == "Someone else who leads this network approved this request to join it."
    assert not buttons(pressed) and not buttons(deputys)
    told = last_pointer(world, "gail")
    assert told.text == "Your request to join a child's network was approved."
    assert not buttons(told)
    with world.runtime.uow() as uow:
        member = uow.directory.membership(world.clients["C-1001"], world.people["gail"])
        assert member is not None and member.role == "member"
    # Erin's buttons are stale now: a clear answer, never an error, and nothing changes.
    assert press(world, "erin", JOIN_DECLINE_ACTION, request_id) == CANNOT_DECIDE
    assert [a for a, _ in audited(world)] == ["join.requested", "join.approved"]
    assert audited(world)[1][1] == {"request": request_id, "asker": world.people["gail"]}
    assert KNOWN_NHS.encode() not in world.slack.sent_bytes()


def test_matched_and_unmatched_requests_look_the_same_to_the_asker(world: SlackWorld) -> None:
    matched = ask_by_identifier(world, GAIL, KNOWN_NHS)
    unmatched = ask_by_identifier(world, GAIL, UNKNOWN_NHS)
    assert matched == unmatched
    # Nothing matched: Gail's own safeguarding people are asked (they confirm the child first).
    assert last_pointer(world, "hana").text.startswith("Someone asked to join")
    bad = ask_by_identifier(world, GAIL, "x" * (MAX_IDENTIFIER + 1))
    assert bad["response_action"] == "errors" and set(bad["errors"]) == {"identifier"}
    assert "x" * (MAX_IDENTIFIER + 1) not in json.dumps(bad)


def test_an_outsider_asks_from_the_receipt_and_a_decline_is_told_too(world: SlackWorld) -> None:
    assert raise_as_gail(world, KNOWN_NHS)["response_action"] == "update"
    with world.runtime.uow() as uow:
        concern_id = uow.concerns.raised_by(world.people["gail"])[0].id
    acknowledge(
        world.runtime.uow(),
        concern_id=concern_id,
        practitioner_id=world.people["chloe"],
        clock=world.clock,
        via="slack",
    )
    world.deliver()
    receipt = last_pointer(world, "gail")
    assert receipt.text.startswith("The lead professional has acknowledged")
    assert buttons(receipt) == {JOIN_ASK_ACTION: concern_id}

    assert press(world, "gail", JOIN_ASK_ACTION, concern_id) == ASKED + "."
    asked = last_pointer(world, "chloe")
    request_id = buttons(asked)[JOIN_APPROVE_ACTION]
    assert press(world, "dev", JOIN_APPROVE_ACTION, request_id) == CANNOT_DECIDE  # a member
    assert buttons(now_reads(world, "chloe", asked))  # a refused press changes no message
    assert press(world, "chloe", JOIN_DECLINE_ACTION, request_id) == DECLINED
    pressed = now_reads(world, "chloe", asked)
    assert pressed.text == DECIDED_BY_YOU[PointerKind.JOIN_REQUEST_DECLINED]
    assert not buttons(pressed)
    told = last_pointer(world, "gail")
    assert told.text == "Your request to join a child's network was not approved."
    with world.runtime.uow() as uow:
        assert uow.directory.membership(world.clients["C-1001"], world.people["gail"]) is None
        request = uow.session.get(JoinRequest, request_id)
        assert request is not None and request.state == "declined"
    assert [a for a, _ in audited(world)] == ["join.requested", "join.declined"]


def test_the_concern_sent_modal_offers_asking_to_join_like_the_receipt(world: SlackWorld) -> None:
    answer = raise_as_gail(world, KNOWN_NHS)
    sent = answer["view"]
    assert sent["title"]["text"] == "Concern sent" and view_problems(sent, kind="modal") == []
    with world.runtime.uow() as uow:
        concern_id = uow.concerns.raised_by(world.people["gail"])[0].id
    assert block_buttons(sent["blocks"]) == {JOIN_ASK_ACTION: concern_id}

    # Slack shows the modal under the id views.open gave it; the press carries that view.
    (view_id,) = [i for i, v in world.slack.state.views.items() if v["callback_id"] == RAISE]
    shown = {**sent, "id": view_id, "hash": "h2"}
    updated = len(world.calls("views.update"))
    assert (
        world.sender.block_action(GAIL, JOIN_ASK_ACTION, value=concern_id, view=shown).status == 200
    )
    (answered,) = world.wait_for("views.update", updated + 1)[updated:]
    assert answered.args["view_id"] == view_id
    assert ASKED in json.dumps(answered.args["view"])
    assert view_problems(answered.args["view"], kind="modal") == []
    world.deliver()
    assert set(buttons(last_pointer(world, "chloe"))) == {JOIN_APPROVE_ACTION, JOIN_DECLINE_ACTION}
    assert [a for a, _ in audited(world)] == ["join.requested"]
    assert KNOWN_NHS.encode() not in world.slack.sent_bytes()


def test_a_forged_or_foreign_press_is_answered_and_changes_nothing(world: SlackWorld) -> None:
    assert (
        press(world, "dev", JOIN_ASK_ACTION, "x; drop")
        == "You can ask to join only about a concern you raised."
    )
    assert press(world, "dev", JOIN_APPROVE_ACTION, "not-an-id") == CANNOT_DECIDE
    assert press(world, "dev", JOIN_APPROVE_ACTION, "0" * 32) == CANNOT_DECIDE
    assert audited(world) == []


def test_app_home_offers_asking_to_join_by_identifier(world: SlackWorld) -> None:
    published = len(world.calls("views.publish"))
    world.sender.event({"type": "app_home_opened", "user": GAIL, "tab": "home"})
    home = world.wait_for("views.publish", published + 1)[-1].args["view"]
    assert HOME_JOIN_ACTION in json.dumps(home)
    opened = len(world.calls("views.open"))
    assert world.sender.block_action(GAIL, HOME_JOIN_ACTION).status == 200
    view = world.wait_for("views.open", opened + 1)[-1].args["view"]
    assert view["callback_id"] == CALLBACK
