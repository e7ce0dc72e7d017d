"""The user flows' side of Slack: commands, shortcuts, view submissions, home events.

Built on tests/slack/inbound.py (signing exactly as Slack signs, uvicorn on loopback);
`SlackSender` adds the payloads of the raise flows and records every response Flare gave.
"""

from __future__ import annotations

import itertools
import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.demo import SLACK_WORKSPACE
from tests.slack.fake_api import FakeSlackAPI
from tests.slack.inbound import REPLY_TIMEOUT, signed_headers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Exchange:
    body: bytes
    status: int
    response: bytes

    def json(self) -> Any:
        return json.loads(self.response) if self.response else None


@dataclass
class SlackSender:
    """A Slack workspace's side of the conversation with Flare's /slack/events."""

    base_url: str
    team: str = SLACK_WORKSPACE
    domain: str = "acme"
    response_base: str = ""  # where response_url points (the fake Slack API records it)
    slack: FakeSlackAPI | None = None  # checks Flare's replies as Slack would
    exchanges: list[Exchange] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def post(self, body: bytes, content_type: str, **extra_headers: str) -> Exchange:
        headers = {**signed_headers(body, content_type=content_type), **extra_headers}
        response = httpx.post(
            f"{self.base_url}/slack/events", content=body, headers=headers, timeout=REPLY_TIMEOUT
        )
        exchange = Exchange(body, response.status_code, response.content)
        self.exchanges.append(exchange)
        if self.slack is not None and response.status_code == 200:
            self.slack.check_http_reply(body, response.content)
        return exchange

    def trigger(self) -> str:
        return f"{next(self._ids)}.{time.monotonic_ns()}.trigger"

    def response_url(self) -> str:
        return f"{self.response_base}/hooks/{next(self._ids)}"

    def command(self, user: str, text: str = "", *, channel: str = "C100") -> tuple[Exchange, str]:
        trigger = self.trigger()
        form = {
            "token": "legacy",
            "team_id": self.team,
            "team_domain": self.domain,
            "channel_id": channel,
            "user_id": user,
            "command": "/concern",
            "text": text,
            "response_url": self.response_url(),
            "trigger_id": trigger,
        }
        body = urlencode(form).encode()
        return self.post(body, "application/x-www-form-urlencoded"), trigger

    def interaction(self, payload: dict[str, Any]) -> Exchange:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(body, "application/x-www-form-urlencoded")

    def shortcut(self, user: str, callback_id: str = "flare_raise") -> tuple[Exchange, str]:
        trigger = self.trigger()
        payload = {
            "type": "shortcut",
            "callback_id": callback_id,
            "trigger_id": trigger,
            "team": {"id": self.team, "domain": self.domain},
            "user": {"id": user, "team_id": self.team},
            "token": "legacy",
        }
        return self.interaction(payload), trigger

    def message_shortcut(
        self, user: str, text: str, *, channel: str = "C100", ts: str = "1700000000.000100"
    ) -> tuple[Exchange, str]:
        trigger = self.trigger()
        payload = {
            "type": "message_action",
            "callback_id": "flare_raise_message",
            "trigger_id": trigger,
            "response_url": self.response_url(),
            "team": {"id": self.team, "domain": self.domain},
            "channel": {"id": channel, "name": "general"},
            "user": {"id": user, "team_id": self.team},
            "message": {"type": "message", "user": "UOTHER", "ts": ts, "text": text},
            "message_ts": ts,
            "token": "legacy",
        }
        return self.interaction(payload), trigger

    def submit(self, user: str, view: dict[str, Any], values: dict[str, Any]) -> Exchange:
        """Submit a view as Slack would: the view as last shown, with the user's state."""
        payload = {
            "type": "view_submission",
            "trigger_id": self.trigger(),
            "team": {"id": self.team, "domain": self.domain},
            "user": {"id": user, "team_id": self.team},
            "view": {**view, "state": {"values": values}},
            "token": "legacy",
        }
        return self.interaction(payload)

    def block_action(
        self,
        user: str,
        action_id: str,
        *,
        value: str = "",
        channel: str = "",
        message_ts: str = "",
        view: dict[str, Any] | None = None,
    ) -> Exchange:
        """A button pressed in a message (`channel`), a modal (`view`, as Slack shows it), or
        App Home (neither)."""
        payload: dict[str, Any] = {
            "type": "block_actions",
            "trigger_id": self.trigger(),
            "team": {"id": self.team, "domain": self.domain},
            "user": {"id": user, "team_id": self.team},
            "actions": [
                {"action_id": action_id, "block_id": "b", "type": "button", "value": value}
            ],
            "token": "legacy",
        }
        if channel:
            payload["channel"] = {"id": channel}
            payload["container"] = {"type": "message", "channel_id": channel}
            payload["container"]["message_ts"] = message_ts
            payload["message"] = {"ts": message_ts}
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload["view"] = view
        return self.interaction(payload)

    def event(self, event: dict[str, Any], *, event_id: str | None = None) -> Exchange:
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": self.team,
                "api_app_id": "AFLARE",
                "type": "event_callback",
                "event_id": event_id or f"Ev{next(self._ids):08d}",
                "event_time": int(time.time()),
                "event": event,
            }
        ).encode()
        return self.post(body, "application/json")


def typed(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def picked(value: str) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"value": value}}


def ticked(values: list[str]) -> dict[str, Any]:
    return {"type": "checkboxes", "selected_options": [{"value": v} for v in values]}


def state(**fields: dict[str, Any]) -> dict[str, Any]:
    """View state in Slack's shape: block id -> action id -> element value."""
    return {name: {name: element} for name, element in fields.items()}
