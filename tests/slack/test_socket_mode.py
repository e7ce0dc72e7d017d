"""Socket Mode: chosen when SLACK_APP_TOKEN is set, started and stopped with the app."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from slack_bolt import App, BoltRequest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from sqlalchemy import Engine

import bot.slack.socket_mode as socket_mode
from bot.app import create_app
from bot.slack.blocks import ACKNOWLEDGE_ACTION
from tests.slack.conftest import TEAM, InlineExecutor, slack_runtime, slack_settings
from tests.slack.fake_api import FakeSlackAPI
from tests.slack.inbound import SlackSender, serve

APP_TOKEN = "xapp-1-A1-test"


@dataclass
class FakeConnection:
    """Slack's end of the socket, as far as Flare can tell: connected, then closed."""

    app: App
    token: str
    events: list[str] = field(default_factory=list)

    def connect(self) -> None:
        self.events.append("connect")

    def close(self) -> None:
        self.events.append("close")


def test_app_token_chooses_socket_mode_started_and_stopped_with_the_app(
    engine: Engine, tmp_path: Path, slack: FakeSlackAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[FakeConnection] = []

    def factory(app: App, token: str) -> FakeConnection:
        opened.append(FakeConnection(app, token))
        return opened[-1]

    monkeypatch.setattr(socket_mode, "HANDLER_FACTORY", factory)
    settings = slack_settings(engine, tmp_path, slack, slack_app_token=APP_TOKEN)
    app = create_app(settings, slack_runtime(engine, settings))
    assert isinstance(app.state.slack_socket_mode, socket_mode.SocketMode)
    with serve(app):
        assert [c.events for c in opened] == [["connect"]]
        assert opened[0].token == APP_TOKEN and opened[0].app is app.state.slack_app
    assert opened[0].events == ["connect", "close"]
    assert not app.state.slack_socket_mode.running


def test_no_app_token_no_socket_mode(engine: Engine, tmp_path: Path, slack: FakeSlackAPI) -> None:
    settings = slack_settings(engine, tmp_path, slack)
    app = create_app(settings, slack_runtime(engine, settings))
    assert getattr(app.state, "slack_socket_mode", None) is None


def test_the_real_handler_uses_slack_api_url_and_socket_requests_are_de_duplicated(
    engine: Engine, tmp_path: Path, slack: FakeSlackAPI
) -> None:
    settings = slack_settings(engine, tmp_path, slack, slack_app_token=APP_TOKEN)
    runtime = slack_runtime(engine, settings)
    app = create_app(settings, runtime)
    bolt: App = app.state.slack_app
    handler = socket_mode.HANDLER_FACTORY(bolt, APP_TOKEN)
    assert isinstance(handler, SocketModeHandler)
    assert handler.client.web_client.base_url == slack.url  # type: ignore[attr-defined]
    assert handler.client.app_token == APP_TOKEN  # type: ignore[attr-defined]

    # What SocketModeHandler hands bolt: no signature (the socket is authenticated), but
    # Slack's redeliveries over the socket are still de-duplicated.
    bolt.listener_runner.listener_executor = InlineExecutor()
    slack.add_user(TEAM, "UNOBODY", email="nobody@elsewhere.invalid")
    payload = SlackSender.block_action(
        team=TEAM, user="UNOBODY", action_id=ACKNOWLEDGE_ACTION, value="0" * 32
    )
    first = bolt.dispatch(BoltRequest(body=payload, mode="socket_mode"))
    again = bolt.dispatch(BoltRequest(body=payload, mode="socket_mode"))
    assert first.status == again.status == 200
    assert len(slack.calls("chat.postEphemeral")) == 1
