"""Socket Mode: with SLACK_APP_TOKEN, Flare opens a WebSocket to Slack instead of needing a
public /slack/events (for running behind a firewall). Started and stopped with the app."""

from __future__ import annotations

from typing import Protocol

import structlog
from slack_bolt import App

log = structlog.get_logger("flare.slack")


class SocketConnection(Protocol):
    def connect(self) -> None: ...

    def close(self) -> None: ...


def _bolt_handler(app: App, app_token: str) -> SocketConnection:
    """bolt's handler on slack_sdk's built-in WebSocket client: `apps.connections.open` on
    SLACK_API_URL (bolt's own WebClient), then hello, envelopes, acks and refreshes."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(app, app_token=app_token)


class SocketMode:
    """One Socket Mode connection for the life of the web app."""

    def __init__(self, app: App, app_token: str) -> None:
        self._app = app
        self._token = app_token
        self._connection: SocketConnection | None = None

    @property
    def running(self) -> bool:
        return self._connection is not None

    def start(self) -> None:
        if self._connection is None:
            self._connection = _bolt_handler(self._app, self._token)
            self._connection.connect()  # returns at once; bolt keeps the socket in a thread
            log.info("slack.socket_mode_started")

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
            log.info("slack.socket_mode_stopped")
