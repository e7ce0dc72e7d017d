"""Raising from Slack over real HTTP: /concern, the shortcuts, the modal's two steps."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot import logging as flare_logging
from handlers.concern.answers import BY_NAME
from store.models import AuditEvent, Concern
from tests.slack.raise_world import SlackWorld, slack_user, slack_world
from tests.slack.slack_client import picked, state, ticked, typed

NHS_C1001 = "9434765919"
AMARA = slack_user("amara")


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[SlackWorld]:
    with slack_world(engine, tmp_path) as w:
        yield w


def step_one_values(world: SlackWorld, **over: dict[str, Any]) -> dict[str, Any]:
    values = {
        "client": picked(world.clients["C-1001"]),
        "category": picked("neglect"),
        "severity": picked("high"),
        "noticed": typed("Always hungry at pick-up"),
        "family_informed": picked("not_safe"),
        "family_reason": typed("Could raise the risk at home"),
        "rationale": typed("A pattern the school should know about"),
        "lawful_basis": picked("public_task"),
    }
    values.update(over)
    return state(**values)


def opened_view(world: SlackWorld, trigger: str) -> dict[str, Any]:
    """The form as Slack shows it: the loading modal, filled in by views.update."""
    view = world.form(trigger)
    return {**view, "id": "VRAISE" + trigger.split(".")[0], "hash": "h1"}


def options(view: dict[str, Any], block_id: str) -> list[dict[str, Any]]:
    for block in view["blocks"]:
        if block.get("block_id") == block_id:
            found: list[dict[str, Any]] = block["element"]["options"]
            return found
    raise AssertionError(block_id)


def to_step_two(world: SlackWorld, user: str = AMARA, **over: Any) -> dict[str, Any]:
    exchange, trigger = world.sender.command(user)
    assert exchange.status == 200
    view = opened_view(world, trigger)
    answer = world.sender.submit(user, view, step_one_values(world, **over)).json()
    assert answer["response_action"] == "update", answer
    return {**answer["view"], "id": view["id"], "hash": "h2"}


def concerns(world: SlackWorld) -> list[Concern]:
    with world.runtime.uow() as uow:
        rows = list(uow.session.scalars(select(Concern)))
        for row in rows:
            uow.session.expunge(row)
        return rows


def test_concern_opens_the_modal_with_my_clients_by_reference(world: SlackWorld) -> None:
    exchange, trigger = world.sender.command(AMARA)
    assert exchange.status == 200 and exchange.response in (b"", b"null")
    view = opened_view(world, trigger)
    assert view["callback_id"] == "flare_raise"
    assert [o["text"]["text"] for o in options(view, "client")] == ["C-1001", "C-1003"]
    (loading,) = world.calls("views.open")  # opened at once, then filled in by views.update
    assert loading.token == "xoxb-test-t1" and "Opening Flare" in json.dumps(loading.args)
    assert not [b for b in loading.args["view"]["blocks"] if b["type"] == "input"]


@pytest.mark.parametrize("text", ["C-1001", "c-1001", NHS_C1001])
def test_command_text_preselects_a_client_and_is_never_echoed(world: SlackWorld, text: str) -> None:
    exchange, trigger = world.sender.command(AMARA, text)
    view = opened_view(world, trigger)
    client = next(b for b in view["blocks"] if b.get("block_id") == "client")
    assert client["element"]["initial_option"]["value"] == world.clients["C-1001"]
    if text == NHS_C1001:
        assert text.encode() not in world.slack.sent_bytes()
    assert text.encode() not in exchange.response


def test_unknown_command_text_is_ignored_silently(world: SlackWorld) -> None:
    secret = "Jamie Rivers lives at 4 Elm Road"
    exchange, trigger = world.sender.command(AMARA, secret)
    view = opened_view(world, trigger)
    client = next(b for b in view["blocks"] if b.get("block_id") == "client")
    assert "initial_option" not in client["element"]
    assert b"Elm Road" not in world.slack.sent_bytes() and b"Elm Road" not in exchange.response


def test_two_steps_then_one_concern_however_often_it_is_submitted(world: SlackWorld) -> None:
    step2 = to_step_two(world)
    assert step2["callback_id"] == "flare_raise_send"
    boxes = next(b for b in step2["blocks"] if b.get("block_id") == "recipients")["element"]
    names = [o["text"]["text"] for o in boxes["options"]]
    assert names[0].startswith("Chloe Patel (Lead professional)")
    ticked_ids = [o["value"] for o in boxes["initial_options"]]
    assert set(ticked_ids) == {world.people[r] for r in ("chloe", "erin", "dev")}
    # Nothing typed travels back to Slack: step 2 repeats inputs without values.
    assert "Always hungry" not in json.dumps(step2)

    values = step_one_values(world, recipients=ticked(ticked_ids))
    first = world.sender.submit(AMARA, step2, values).json()
    assert first["response_action"] == "update"
    assert "sent to 3 people" in json.dumps(first["view"])
    again = world.sender.submit(AMARA, step2, values).json()
    assert "not been sent again" in json.dumps(again["view"])

    rows = concerns(world)
    assert len(rows) == 1 and rows[0].raiser_id == world.people["amara"]
    assert rows[0].submission_key.startswith("slack:")
    hooks = world.wait_hooks(1)
    assert len(hooks) == 1
    body = json.loads(hooks[0].body)
    assert body["response_type"] == "ephemeral" and "3 people" in body["text"]
    with world.runtime.uow() as uow:
        raised = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "concern.raised")
        ).one()
        assert raised.detail["via"] == "slack"


def test_unticking_needs_a_reason_and_the_lead_stays(world: SlackWorld) -> None:
    step2 = to_step_two(world)
    chloe, erin = world.people["chloe"], world.people["erin"]
    narrowed = step_one_values(world, recipients=ticked([chloe, erin]))
    answer = world.sender.submit(AMARA, step2, narrowed).json()
    assert answer == {
        "response_action": "errors",
        "errors": {"narrowing_reason": "Say why you changed who it goes to"},
    }
    no_lead = step_one_values(
        world, recipients=ticked([erin]), narrowing_reason=typed("need to know")
    )
    answer = world.sender.submit(AMARA, step2, no_lead).json()
    assert answer["errors"] == {"recipients": "The lead professional always receives the concern"}
    narrowed["narrowing_reason"] = {"narrowing_reason": typed("Dev has no role here")}
    answer = world.sender.submit(AMARA, step2, narrowed).json()
    assert "sent to 2 people" in json.dumps(answer["view"])
    assert len(concerns(world)) == 1


def test_step_one_errors_point_at_the_fields(world: SlackWorld) -> None:
    _, trigger = world.sender.command(AMARA)
    view = opened_view(world, trigger)
    answer = world.sender.submit(
        AMARA,
        view,
        state(client=picked(world.clients["C-1001"]), noticed=typed(""), rationale=typed("")),
    ).json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {
        "category",
        "severity",
        "noticed",
        "family_informed",
        "lawful_basis",
    }
    # An identifier that is not one of my clients: an error that does not repeat it.
    answer = world.sender.submit(
        AMARA, view, step_one_values(world, client={}, identifier=typed("9434765870"))
    ).json()
    assert answer["errors"] == {"identifier": "No client in your networks has that identifier"}
    assert concerns(world) == []


def test_identifier_instead_of_the_list(world: SlackWorld) -> None:
    step2 = to_step_two(world, client={}, identifier=typed(NHS_C1001))
    assert "client C-1001" in json.dumps(step2)
    assert NHS_C1001 not in json.dumps(step2)


def test_global_shortcut_and_home_button_open_the_modal(world: SlackWorld) -> None:
    _, trigger = world.sender.shortcut(AMARA)
    assert opened_view(world, trigger)["callback_id"] == "flare_raise"
    exchange = world.sender.block_action(AMARA, "flare_home_raise")
    assert exchange.status == 200
    world.wait_for("views.open", 2)


def test_message_shortcut_prefills_and_suggests_removing_the_original(
    world: SlackWorld,
) -> None:
    _, trigger = world.sender.message_shortcut(AMARA, "He said he sleeps in the car")
    view = opened_view(world, trigger)
    noticed = next(b for b in view["blocks"] if b.get("block_id") == "noticed")
    assert noticed["element"]["initial_value"] == "He said he sleeps in the car"
    answer = world.sender.submit(AMARA, view, step_one_values(world)).json()
    step2 = {**answer["view"], "id": view["id"]}
    assert "sleeps in the car" not in json.dumps(step2)
    values = step_one_values(world, recipients=ticked([world.people["chloe"]]))
    values["narrowing_reason"] = {"narrowing_reason": typed("only the lead")}
    assert "sent to 1 person" in json.dumps(world.sender.submit(AMARA, step2, values).json())
    hooks = [json.loads(h.body) for h in world.wait_hooks(2)]
    assert all(h["response_type"] == "ephemeral" for h in hooks)
    assert "https://acme.slack.com/archives/C100/p1700000000000100" in hooks[1]["text"]
    assert all("sleeps in the car" not in h["text"] for h in hooks)


def test_message_shortcut_in_a_dm_sends_no_removal_note(world: SlackWorld) -> None:
    _, trigger = world.sender.message_shortcut(AMARA, "a note", channel="D123")
    view = opened_view(world, trigger)
    step2 = {**world.sender.submit(AMARA, view, step_one_values(world)).json()["view"]}
    step2["id"] = view["id"]
    ids = [world.people[r] for r in ("chloe", "erin", "dev")]
    world.sender.submit(AMARA, step2, step_one_values(world, recipients=ticked(ids)))
    assert len(world.wait_hooks(1)) == 1
    assert len(concerns(world)) == 1


def test_help_is_an_ephemeral_ack(world: SlackWorld) -> None:
    exchange, _ = world.sender.command(AMARA, "help")
    answer = exchange.json()
    assert answer["response_type"] == "ephemeral" and "/concern inbox" in answer["text"]
    assert world.calls("views.open") == []


def test_someone_not_in_flare_is_told_whom_to_ask_and_nothing_is_stored(
    world: SlackWorld,
) -> None:
    before = world.state_counts()
    stranger = "UNOBODY"
    exchange, _ = world.sender.command(stranger, "C-1001")
    assert exchange.status == 200
    hook = json.loads(world.wait_hooks(1)[0].body)
    assert hook["response_type"] == "ephemeral" and "not registered in Flare" in hook["text"]
    _, trigger = world.sender.shortcut(stranger)
    assert "not registered" in json.dumps(world.form(trigger))
    world.sender.command(stranger, "inbox")
    world.wait_hooks(2)
    world.sender.event({"type": "app_home_opened", "user": stranger, "tab": "home"})
    world.slack.wait_idle()
    after = world.state_counts()
    refused = after.pop("AuditEvent") - before.pop("AuditEvent")
    assert after == before
    # Each refusal is audited (ids and reason, never an e-mail), and nothing else is.
    with world.runtime.uow() as uow:
        query = select(AuditEvent.action, AuditEvent.detail).order_by(AuditEvent.seq.desc())
        rows = uow.session.execute(query.limit(refused)).all()
    assert refused > 0 and {action for action, _ in rows} == {"identity.refused"}
    assert {detail["user"] for _, detail in rows} == {stranger}


def test_two_submissions_at_once_still_make_one_concern(world: SlackWorld) -> None:
    step2 = to_step_two(world)
    ids = [world.people[r] for r in ("chloe", "erin", "dev")]
    values = step_one_values(world, recipients=ticked(ids))
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(
            pool.map(lambda _: world.sender.submit(AMARA, step2, values).json(), range(4))
        )
    views = [json.dumps(a["view"]) for a in answers]
    assert sum("sent to 3 people" in v for v in views) == 1
    assert sum("not been sent again" in v for v in views) == 3
    assert len(concerns(world)) == 1


def test_a_form_that_cannot_be_filled_in_is_not_left_loading(world: SlackWorld) -> None:
    """The modal opens before the lookups; if they fail, it says so in fixed words."""
    with world.runtime.engine.begin() as conn:  # the directory is gone mid-flight
        conn.exec_driver_sql("ALTER TABLE clients RENAME TO clients_unavailable")
    try:
        exchange, trigger = world.sender.command(AMARA, "C-1001")
        assert exchange.status == 200
        view = world.form(trigger)
    finally:
        with world.runtime.engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE clients_unavailable RENAME TO clients")
    assert "could not load the form" in json.dumps(view)
    assert not [b for b in view["blocks"] if b["type"] == "input"]
    _, again = world.sender.command(AMARA)  # the fill-in threads survived it
    assert [o["text"]["text"] for o in options(opened_view(world, again), "client")] == [
        "C-1001",
        "C-1003",
    ]


def test_a_failure_after_the_modal_is_filled_in_is_logged_by_type_only(
    world: SlackWorld,
) -> None:
    """Nobody waits on the fill-in thread, so what goes wrong there must still be logged."""
    stream = io.StringIO()
    flare_logging.configure(json=True, level="INFO", stream=stream)
    world.sender.response_url = lambda: "http://127.0.0.1:9/hooks/closed"  # type: ignore[method-assign]
    _, trigger = world.sender.command("UNOBODY", "C-1001")
    assert "not registered" in json.dumps(world.form(trigger))  # then respond() fails
    deadline = time.monotonic() + 10
    while "slack.modal_fill_failed" not in stream.getvalue():
        assert time.monotonic() < deadline, stream.getvalue()
        time.sleep(0.02)
    (line,) = [json.loads(x) for x in stream.getvalue().splitlines() if "modal_fill" in x]
    assert line["error"] in {"URLError", "ConnectionRefusedError"}
    assert "127.0.0.1:9" not in stream.getvalue() and "C-1001" not in stream.getvalue()


def test_a_bad_category_or_severity_gets_the_one_message(world: SlackWorld) -> None:
    _, trigger = world.sender.command(AMARA)
    view = opened_view(world, trigger)
    values = step_one_values(world, category=picked("bogus"), severity={})
    answer = world.sender.submit(AMARA, view, values).json()
    assert answer == {
        "response_action": "errors",
        "errors": {
            "category": BY_NAME["category"].missing,
            "severity": BY_NAME["severity"].missing,
        },
    }
    assert concerns(world) == []


def test_a_client_named_after_the_command_is_chosen_in_the_filled_form_only_if_theirs(
    world: SlackWorld,
) -> None:
    """`/concern C-1001` (or its NHS number) preselects that client; another's is not chosen."""

    def chosen(text: str) -> str | None:
        _, trigger = world.sender.command(AMARA, text)
        for block in opened_view(world, trigger)["blocks"]:
            if block.get("block_id") == "client":
                initial = block["element"].get("initial_option")
                return str(initial["value"]) if initial else None
        raise AssertionError("no client block")

    assert chosen("C-1001") == chosen(NHS_C1001) == world.clients["C-1001"]
    assert chosen("C-1002") is None  # not in Amara's networks


def test_a_decision_not_to_share_is_recorded_from_the_modal_and_told_to_no_one(
    world: SlackWorld,
) -> None:
    step2 = to_step_two(world, rationale={})  # no sharing rationale asked first
    decision = {"type": "radio_buttons", "selected_option": {"value": "not_share"}}
    values = step_one_values(world, decision=decision)
    answer = world.sender.submit(AMARA, step2, values).json()
    assert answer["errors"] == {"not_sharing_reason": "Say why you decided not to share"}
    values["not_sharing_reason"] = {"not_sharing_reason": typed("Talked it through with Ben")}
    answer = world.sender.submit(AMARA, step2, values).json()
    assert answer["view"]["callback_id"] == "flare_raise_not_shared", answer
    (concern,) = concerns(world)
    assert concern.status == "not_shared" and concern.rationale_ct is None
    assert concern.not_sharing_reason_ct is not None
    world.deliver()
    assert world.calls("chat.postMessage") == []  # nobody is told
    again = world.sender.submit(AMARA, step2, values).json()  # the same view: once
    assert "already recorded" in json.dumps(again["view"]) and len(concerns(world)) == 1
