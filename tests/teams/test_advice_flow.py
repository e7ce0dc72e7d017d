"""Seek advice first from the Teams dialog over real HTTP: card 2's "Ask for advice first"
keeps the draft and asks the raiser's safeguarding lead, who gets a card pointer (title and
link); the reply points the raiser back, and only the send reaches the network. A canary
typed into the draft never reaches Teams (the connector's requests, the dialog's answer), a
log line or the audit."""

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
from tests.teams.fake_connector import FakeTeams
from tests.teams.inbound_world import TeamsWorld, teams_world
from tests.teams.test_inbound_flows import card_of, open_dialog, submit, submit_data

DRAFT = {
    "noticed": f"{ADVICE_CANARY} noticed",
    "family_informed": "not_safe",
    "family_reason": f"{ADVICE_CANARY} family",
    "rationale": "",
    "lawful_basis": "",
    "protected_identities": f"{ADVICE_CANARY} protected",
    "narrowing_reason": "",
}


@pytest.fixture
def world(
    engine: Engine, tmp_path: Path, teams: FakeTeams, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TeamsWorld]:
    with teams_world(engine, tmp_path, teams, monkeypatch) as w:
        w.put_on_teams("amara", "ben", "chloe", "erin", "dev")
        set_advisers(w.runtime.uow, "riverside-cc", lead="ben")
        for ref in ("amara", "ben", "chloe"):
            w.say(ref, "help")  # each has the bot; their conversation is stored
        yield w


def _ask(world: TeamsWorld) -> dict[str, Any]:
    first = card_of(open_dialog(world, "amara", from_chat=True))
    step = submit_data(first) | {
        "client": world.clients["C-1001"],
        "category": "neglect",
        "severity": "high",
    }
    second = card_of(submit(world, "amara", step, from_chat=True))
    (advice,) = [a for a in second["actions"] if a["title"] == "Ask for advice first"]
    return submit(world, "amara", dict(advice["data"]) | DRAFT, from_chat=True)


def _requests(world: TeamsWorld) -> list[tuple[str, str]]:
    with world.runtime.uow() as uow:
        return [(r.id, r.adviser_id) for r in uow.session.scalars(select(AdviceRequest))]


def _pointers(world: TeamsWorld, ref: str) -> list[str]:
    """The summaries of the pointer cards sent to this person (not the help answers)."""
    return [
        str(m.activity.get("summary", ""))
        for m in world.messages(ref)
        if "attachments" in m.activity and "summary" in m.activity
    ]


def _sent_to_teams(world: TeamsWorld) -> bytes:
    return b"\n".join(r.raw for r in world.teams.all_requests)


def test_the_advice_round_trip_from_teams(debug_logs: io.StringIO, world: TeamsWorld) -> None:
    chloe_before = _pointers(world, "chloe")
    answer = _ask(world)
    assert answer["task"]["type"] == "message"
    assert "safeguarding lead has been asked" in answer["task"]["value"]
    assert concerns_about(world.runtime.uow, world.clients["C-1001"]) == []
    ((request_id, ben),) = _requests(world)
    assert ben == world.people["ben"]

    world.deliver()
    (to_ben,) = [p for p in _pointers(world, "ben") if "advice" in p]
    assert "asks for your advice before sharing" in to_ben
    assert f"/advice/{request_id}".encode() in _sent_to_teams(world)
    assert _pointers(world, "chloe") == chloe_before

    reply_to_advice(
        world.runtime.uow(),
        request_id,
        adviser_id=ben,
        reply=f"{ADVICE_CANARY} ok",
        clock=world.clock,
    )
    world.deliver()
    (back,) = [p for p in _pointers(world, "amara") if "advice" in p]
    assert "You have advice" in back
    assert _pointers(world, "chloe") == chloe_before

    sent = send_after_advice(
        world.runtime.uow(),
        request_id,
        raiser_id=world.people["amara"],
        updates={"rationale": "The lead needs to know", "lawful_basis": "public_task"},
        clock=world.clock,
        calendar=world.runtime.calendar,
        via="teams",
    )
    assert isinstance(sent, Raised)
    world.deliver()
    assert len(_pointers(world, "chloe")) > len(chloe_before)  # the network hears of it now

    assert_no_canary(
        [ADVICE_CANARY],
        sent_to_teams=_sent_to_teams(world),
        dialog_answer=json.dumps(answer),
        logs=captured_logs(debug_logs),
        audit=audit_text(world.runtime.uow),
    )


def test_asking_without_what_was_noticed_shows_card_two_again(world: TeamsWorld) -> None:
    first = card_of(open_dialog(world, "amara", from_chat=True))
    step = submit_data(first) | {
        "client": world.clients["C-1001"],
        "category": "neglect",
        "severity": "high",
    }
    second = card_of(submit(world, "amara", step, from_chat=True))
    (advice,) = [a for a in second["actions"] if a["title"] == "Ask for advice first"]
    again = card_of(
        submit(world, "amara", dict(advice["data"]) | DRAFT | {"noticed": ""}, from_chat=True)
    )
    assert "Enter what you noticed" in json.dumps(again)
    assert _requests(world) == []
