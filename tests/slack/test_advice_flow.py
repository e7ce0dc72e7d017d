"""Seek advice first from Slack over real HTTP: the modal's "Ask for advice before sharing"
keeps the draft and asks the raiser's safeguarding lead, who gets a DM pointer (title and
link); their reply points the raiser back, and only the send reaches the network. A canary
typed into the draft never reaches Slack (requests, modal answers), a log line or the audit."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from handlers.concern.advice import reply_to_advice
from handlers.concern.advice_outcome import send_after_advice
from handlers.concern.raising import Raised
from store.models import AdviceRequest
from tests.advice import ADVICE_CANARY, concerns_about, set_advisers
from tests.no_leak import assert_no_canary, audit_text, captured_logs
from tests.slack.block_kit_check import view_problems
from tests.slack.raise_world import SlackWorld, slack_user, slack_world
from tests.slack.slack_client import picked, state, ticked, typed

AMARA = slack_user("amara")


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[SlackWorld]:
    with slack_world(engine, tmp_path) as w:
        set_advisers(w.runtime.uow, "riverside-cc", lead="ben")
        yield w


def _ask(world: SlackWorld, *, advice: bool = True) -> dict[str, Any]:
    exchange, trigger = world.sender.command(AMARA)
    assert exchange.status == 200
    view = {**world.form(trigger), "id": "VADVICE" + trigger.split(".")[0], "hash": "h1"}
    assert any(b.get("block_id") == "ask_advice" for b in view["blocks"])
    values = {
        "client": picked(world.clients["C-1001"]),
        "category": picked("neglect"),
        "severity": picked("high"),
        "noticed": typed(f"{ADVICE_CANARY} noticed"),
        "family_informed": picked("not_safe"),
        "family_reason": typed(f"{ADVICE_CANARY} family"),
        "rationale": typed(f"{ADVICE_CANARY} not sure yet"),
        "lawful_basis": picked("public_task"),
    }
    if advice:
        values["ask_advice"] = ticked(["ask"])
    answer: dict[str, Any] = world.sender.submit(AMARA, view, state(**values)).json()
    return answer


def _pointers(world: SlackWorld) -> list[dict[str, Any]]:
    world.deliver()
    return [c.args for c in world.calls("chat.postMessage")]


def test_the_advice_round_trip_from_slack(world: SlackWorld, debug_logs: io.StringIO) -> None:
    answer = _ask(world)
    assert answer["response_action"] == "update", answer
    asked = answer["view"]
    assert asked["callback_id"] == "flare_advice_asked"
    assert "safeguarding lead has been asked" in json.dumps(asked)
    assert view_problems(asked, kind="modal") == []
    assert concerns_about(world.runtime.uow, world.clients["C-1001"]) == []

    (to_ben,) = _pointers(world)
    assert "asks for your advice before sharing" in json.dumps(to_ben)
    ((request_id, ben),) = _requests(world)
    assert ben == world.people["ben"]
    assert f"/advice/{request_id}" in json.dumps(to_ben)

    given = reply_to_advice(
        world.runtime.uow(),
        request_id,
        adviser_id=ben,
        reply=f"{ADVICE_CANARY} advice",
        clock=world.clock,
    )
    assert given is not None
    posted = _pointers(world)
    assert len(posted) == 2 and "You have advice" in json.dumps(posted[-1])
    assert concerns_about(world.runtime.uow, world.clients["C-1001"]) == []  # nothing yet

    sent = send_after_advice(
        world.runtime.uow(),
        request_id,
        raiser_id=world.people["amara"],
        updates={},
        clock=world.clock,
        calendar=world.runtime.calendar,
        via="slack",
    )
    assert isinstance(sent, Raised) and sent.recipients == 3
    assert len(_pointers(world)) == 2 + 3  # the network hears of it only now

    assert_no_canary(
        [ADVICE_CANARY],
        sent_to_slack=world.slack.sent_bytes(),
        modal_answer=json.dumps(answer),
        logs=captured_logs(debug_logs),
        audit=audit_text(world.runtime.uow),
    )


def test_without_the_box_ticked_step_one_goes_on_to_who_it_will_reach(world: SlackWorld) -> None:
    answer = _ask(world, advice=False)
    assert answer["view"]["callback_id"] == "flare_raise_send"
    assert _requests(world) == []


def test_without_an_adviser_the_modal_says_so_on_the_box(world: SlackWorld) -> None:
    set_advisers(world.runtime.uow, "riverside-cc", lead=None)
    with world.runtime.uow() as uow:
        ben = uow.directory.practitioner(world.people["ben"])
        assert ben is not None
        ben.is_admin = False
        uow.commit()
    answer = _ask(world)
    assert answer["response_action"] == "errors"
    assert "no safeguarding lead" in answer["errors"]["ask_advice"]


def _requests(world: SlackWorld) -> list[tuple[str, str]]:
    """Every advice request kept: (its id, its adviser's id)."""
    with world.runtime.uow() as uow:
        return [(r.id, r.adviser_id) for r in uow.session.scalars(select(AdviceRequest))]
