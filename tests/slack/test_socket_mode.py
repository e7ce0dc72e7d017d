"""Socket Mode for real: slack_sdk's own WebSocket client (what `flare serve` runs with
SLACK_APP_TOKEN) against Slack's end of the socket on loopback (tests/slack/socket_mode_slack.py).

The connection is opened with `apps.connections.open` on the fake Web API, Slack says hello,
and a whole raise travels over the socket: `/concern` as a `slash_commands` envelope opens
the modal (views.open at the fake API), both steps are `interactive` view submissions whose
acks carry the `response_action`, App Home is an `events_api` envelope, and Acknowledge is a
button press. Slack then asks for a refresh (`disconnect`), Flare reconnects with a new URL,
and the next command is answered over the new socket. No canary crosses the socket, the Web
API or a log line.
"""

from __future__ import annotations

import io
import json
import logging
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, select

import bot.slack.socket_mode as socket_mode
from bot.app import create_app
from bot.logging import configure
from bot.slack.blocks import ACKNOWLEDGE_ACTION
from bot.slack.home_views import HELP
from store.models import Concern
from tests.slack.conftest import slack_runtime, slack_settings
from tests.slack.fake_api import FakeSlackAPI
from tests.slack.inbound import serve
from tests.slack.raise_world import TEAM, SlackWorld, slack_user, slack_world
from tests.slack.slack_client import picked, state, ticked, typed
from tests.slack.socket_mode_slack import SocketModeSlack

APP_TOKEN = "xapp-1-A1-test"
AMARA, CHLOE = slack_user("amara"), slack_user("chloe")


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """Every log line, structlog and the standard library, at DEBUG."""
    buffer = io.StringIO()
    configure(json=True, level="DEBUG", stream=buffer)
    handler = logging.StreamHandler(buffer)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield buffer
    root.removeHandler(handler)
    root.setLevel(previous)
    structlog.reset_defaults()


@pytest.fixture
def over_socket(engine: Engine, tmp_path: Path) -> Iterator[tuple[SlackWorld, SocketModeSlack]]:
    """Flare with SLACK_APP_TOKEN, served on loopback, connected to Slack's end of the socket."""
    with (
        FakeSlackAPI() as api,
        SocketModeSlack(api, APP_TOKEN) as socket,
        slack_world(engine, tmp_path, api=api, slack_app_token=APP_TOKEN) as world,
    ):
        yield world, socket


def _command(text: str = "", *, trigger: str, response_url: str) -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": TEAM,
        "team_domain": "acme",
        "channel_id": "C100",
        "channel_name": "general",
        "user_id": AMARA,
        "user_name": "amara",
        "command": "/concern",
        "text": text,
        "api_app_id": "AFLARE",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger,
    }


def _submission(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": AMARA, "team_id": TEAM},
        "api_app_id": "AFLARE",
        "trigger_id": f"{secrets.randbelow(10**9)}.trigger",
        "view": {**view, "state": {"values": values}},
    }


def _answers(world: SlackWorld, canary: str) -> dict[str, Any]:
    return state(
        client=picked(world.clients["C-1001"]),
        category=picked("neglect"),
        severity=picked("high"),
        noticed=typed(f"Always hungry {canary} at pick-up"),
        family_informed=picked("not_safe"),
        family_reason=typed(f"Risk at home {canary}"),
        rationale=typed(f"The school should know {canary}"),
        lawful_basis=picked("public_task"),
        protected_identities=typed(f"The neighbour {canary}"),
    )


def _interactive(socket: SocketModeSlack, payload: dict[str, Any]) -> dict[str, Any]:
    """An interaction over the socket; the payload of Flare's ack (its response)."""
    envelope = socket.send("interactive", payload, accepts_response_payload=True)
    answer: dict[str, Any] = socket.ack(envelope).get("payload") or {}
    return answer


def _raise_over_the_socket(
    world: SlackWorld, socket: SocketModeSlack, canary: str
) -> dict[str, Any]:
    """/concern, the modal's two steps; the confirmation view Flare acked with."""
    trigger = f"{secrets.randbelow(10**9)}.command.trigger"
    envelope = socket.send(
        "slash_commands",
        _command(trigger=trigger, response_url=world.sender.response_url()),
        accepts_response_payload=True,
    )
    assert socket.ack(envelope) == {"envelope_id": envelope}  # acked at once, nothing echoed
    (opened,) = world.wait_for("views.open")
    assert opened.args["trigger_id"] == trigger
    view = {**world.form(trigger), "id": "VSOCKET1", "hash": "h1"}
    assert view["callback_id"] == "flare_raise"

    step_two = _interactive(socket, _submission(view, _answers(world, canary)))
    assert step_two["response_action"] == "update", step_two
    boxes = next(b for b in step_two["view"]["blocks"] if b.get("block_id") == "recipients")
    chosen = [o["value"] for o in boxes["element"]["initial_options"]]
    two = {**step_two["view"], "id": view["id"], "hash": "h2"}
    values = {**_answers(world, canary), **state(recipients=ticked(chosen))}
    sent = _interactive(socket, _submission(two, values))
    assert sent["response_action"] == "update", sent
    return dict(sent["view"])


def _concerns(world: SlackWorld) -> int:
    with world.runtime.uow() as uow:
        return len(list(uow.session.scalars(select(Concern.id))))


def _app_home_opened(event_id: str) -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": TEAM,
        "api_app_id": "AFLARE",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "event": {"type": "app_home_opened", "user": AMARA, "channel": "DAMARA", "tab": "home"},
        "authorizations": [{"team_id": TEAM, "user_id": f"UB{TEAM}", "is_bot": True}],
    }


def _acknowledge_press(world: SlackWorld) -> tuple[dict[str, Any], str]:
    """The lead's pointer delivered, and Acknowledge pressed on it; its DM channel."""
    world.deliver()
    (pointer,) = world.slack.messages(world.slack.dm_channel(CHLOE))
    (button,) = [
        e
        for b in pointer.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ACKNOWLEDGE_ACTION
    ]
    press = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": CHLOE, "team_id": TEAM},
        "api_app_id": "AFLARE",
        "trigger_id": f"{secrets.randbelow(10**9)}.press.trigger",
        "channel": {"id": pointer.channel},
        "container": {"type": "message", "channel_id": pointer.channel, "message_ts": pointer.ts},
        "message": {"ts": pointer.ts, "type": "message"},
        "actions": [{**button, "block_id": "b1", "action_ts": f"{time.time():.6f}"}],
    }
    return press, pointer.channel


def test_a_concern_raised_over_a_real_socket_leaks_no_canary(
    over_socket: tuple[SlackWorld, SocketModeSlack], logs: io.StringIO
) -> None:
    world, socket = over_socket
    socket.wait_sessions(1)
    (opened,) = world.calls("apps.connections.open")
    assert opened.token == APP_TOKEN  # the app-level token, never the bot token
    canary = f"CANARY{secrets.token_hex(6)}"

    confirmation = _raise_over_the_socket(world, socket, canary)

    assert "sent to 3 people" in json.dumps(confirmation) and _concerns(world) == 1
    world.deliver()
    for where, seen in (
        ("the socket", socket.frames()),
        ("the Web API", world.slack.sent_bytes().decode(errors="replace")),
        ("the logs", logs.getvalue()),
    ):
        assert canary not in seen, f"the canary reached {where}"


def test_app_home_and_acknowledge_arrive_as_events_and_actions_over_the_socket(
    over_socket: tuple[SlackWorld, SocketModeSlack],
) -> None:
    world, socket = over_socket
    _raise_over_the_socket(world, socket, "nothing secret")

    # Events API: App Home is published; Slack's retry of the same event is dropped.
    event_id = f"Ev{secrets.token_hex(5).upper()}"
    home = socket.send("events_api", _app_home_opened(event_id))
    assert socket.ack(home) == {"envelope_id": home}
    world.wait_for("views.publish")
    again = socket.send("events_api", _app_home_opened(event_id), retry_attempt=1)
    assert socket.ack(again) == {"envelope_id": again}

    # Interactivity: the lead presses Acknowledge on the pointer; it is edited in place.
    press, channel = _acknowledge_press(world)
    assert _interactive(socket, press) == {}  # acked with no response payload
    deadline = time.monotonic() + 15
    while not world.slack.messages(channel)[0].edited:
        assert time.monotonic() < deadline, "the lead's pointer was never edited"
        time.sleep(0.02)
    assert "Acknowledged by you" in world.slack.messages(channel)[0].text
    assert len(world.calls("views.publish")) == 1  # the retry published nothing


def test_slack_refreshes_the_socket_and_flare_answers_on_the_new_one(
    over_socket: tuple[SlackWorld, SocketModeSlack],
) -> None:
    world, socket = over_socket
    first = socket.wait_sessions(1)

    second = socket.refresh()  # disconnect (refresh_requested): a new URL, the old one closed

    assert second is not first and first.closed and len(world.calls("apps.connections.open")) == 2
    command = _command("help", trigger="9.help.trigger", response_url=world.sender.response_url())
    envelope = socket.send("slash_commands", command, accepts_response_payload=True)
    assert socket.ack(envelope)["payload"] == {"response_type": "ephemeral", "text": HELP}
    assert json.loads(second.received[-1])["envelope_id"] == envelope  # on the new socket
    assert socket.refused == []  # every connection used a URL issued for it, once


def test_app_token_chooses_socket_mode_started_and_stopped_with_the_app(
    engine: Engine, tmp_path: Path
) -> None:
    with FakeSlackAPI() as api, SocketModeSlack(api, APP_TOKEN) as socket:
        api.add_team(TEAM, token="xoxb-test-t1")
        settings = slack_settings(engine, tmp_path, api, slack_app_token=APP_TOKEN)
        app = create_app(settings, slack_runtime(engine, settings))
        assert isinstance(app.state.slack_socket_mode, socket_mode.SocketMode)
        with serve(app):
            session = socket.wait_sessions(1)
            assert app.state.slack_socket_mode.running and not session.closed
        socket.wait_closed(session)
        assert not app.state.slack_socket_mode.running


def test_no_app_token_no_socket_mode(engine: Engine, tmp_path: Path, slack: FakeSlackAPI) -> None:
    settings = slack_settings(engine, tmp_path, slack)
    app = create_app(settings, slack_runtime(engine, settings))
    assert getattr(app.state, "slack_socket_mode", None) is None


def test_a_bot_token_cannot_open_a_socket(slack: FakeSlackAPI) -> None:
    with SocketModeSlack(slack, APP_TOKEN):
        client = WebClient(base_url=slack.url)
        with pytest.raises(SlackApiError) as refused:
            client.apps_connections_open(app_token="xoxb-test-t1")
        assert refused.value.response["error"] == "not_allowed_token_type"
        assert client.apps_connections_open(app_token=APP_TOKEN)["url"].startswith(
            "ws://127.0.0.1:"
        )
