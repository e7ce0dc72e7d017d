"""App Home and `/concern inbox` over real HTTP: counts, severities, ages and my own links."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from handlers.concern.opening import Opened, Refusal, Refused, check_token, open_link
from handlers.values import FamilyInformed, Severity
from tests.raising import raise_for_test
from tests.slack.raise_world import PUBLIC_URL, SlackWorld, slack_user, slack_world


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[SlackWorld]:
    with slack_world(engine, tmp_path) as w:
        yield w


def raise_one(world: SlackWorld, key: str = "k1") -> str:
    runtime = world.runtime
    outcome = raise_for_test(
        runtime.uow,
        world,
        runtime.clock,
        runtime.calendar,
        key=key,
        severity=Severity.IMMEDIATE,
        noticed="seen",
        rationale="why",
        family_informed=FamilyInformed.YES,
        family_reason="",
    )
    return outcome.concern_id


def open_buttons(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["accessory"]["url"] for b in blocks if "accessory" in b]


def home_of(world: SlackWorld, ref: str, count: int) -> dict[str, Any]:
    world.sender.event({"type": "app_home_opened", "user": slack_user(ref), "tab": "home"})
    call = world.wait_for("views.publish", count)[-1]
    assert call.args["user_id"] == slack_user(ref)
    view: dict[str, Any] = call.args["view"]
    return view


def test_home_shows_my_lists_with_links_only_i_can_open(world: SlackWorld) -> None:
    raise_one(world)
    world.clock.advance(minutes=30)
    view = home_of(world, "chloe", 1)
    text = json.dumps(view)
    assert view["type"] == "home"
    assert "Waiting for your acknowledgement (1)" in text and "Immediate risk" in text
    assert "raised 30 min ago" in text and "Concerns you raised (0)" in text
    (url,) = open_buttons(view["blocks"])
    assert url.startswith(f"{PUBLIC_URL}/l/")

    uow, clock = world.runtime.uow, world.clock
    target = check_token(uow(), url.rsplit("/", 1)[1], clock)
    assert not isinstance(target, Refused)
    other = open_link(
        uow(), link_id=target.link_id, practitioner_id=world.people["erin"], clock=clock
    )
    assert other == Refused(Refusal.NOT_YOU)
    mine = open_link(
        uow(), link_id=target.link_id, practitioner_id=world.people["chloe"], clock=clock
    )
    assert isinstance(mine, Opened)

    raiser = json.dumps(home_of(world, "amara", 2))
    assert "Concerns you raised (1)" in raiser and "awaiting acknowledgement" in raiser
    # Each publish mints a fresh link: the URL differs every time the tab opens.
    again = home_of(world, "chloe", 3)
    assert open_buttons(again["blocks"]) != [url]
    assert world.sender.block_action(slack_user("chloe"), "flare_open_ack_x").status == 200


def test_links_on_home_are_short_lived(world: SlackWorld) -> None:
    raise_one(world)
    (url,) = open_buttons(home_of(world, "chloe", 1)["blocks"])
    world.clock.advance(minutes=61)
    token = url.rsplit("/", 1)[1]
    assert check_token(world.runtime.uow(), token, world.clock) == Refused(Refusal.EXPIRED)


def test_inbox_is_ephemeral_with_fresh_links(world: SlackWorld) -> None:
    raise_one(world, "k1")
    raise_one(world, "k2")
    exchange, _ = world.sender.command(slack_user("chloe"), "inbox")
    assert exchange.status == 200
    hook = json.loads(world.wait_hooks(1)[0].body)
    assert hook["response_type"] == "ephemeral"
    assert "Waiting for your acknowledgement (2)" in json.dumps(hook["blocks"])
    assert "Concerns you raised" not in json.dumps(hook["blocks"])
    assert len(open_buttons(hook["blocks"])) == 2
    world.sender.command(slack_user("femi"), "inbox")
    empty = json.loads(world.wait_hooks(2)[1].body)
    assert "Nothing is waiting for you" in json.dumps(empty["blocks"])


def test_other_tabs_publish_nothing(world: SlackWorld) -> None:
    world.sender.event({"type": "app_home_opened", "user": slack_user("chloe"), "tab": "messages"})
    home_of(world, "chloe", 1)  # the home tab after it is published once ...
    time.sleep(0.2)
    assert len(world.calls("views.publish")) == 1  # ... and the messages tab never was
