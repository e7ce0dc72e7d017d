"""Requests to Flare's /slack/events signed exactly as Slack signs them, over real HTTP.

Slack's v0 signature: HMAC-SHA256 of `v0:{X-Slack-Request-Timestamp}:{raw body}` under the
signing secret, sent as `X-Slack-Signature: v0=<hex>`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx
import uvicorn
from fastapi import FastAPI

if TYPE_CHECKING:
    from tests.slack.fake_api import FakeSlackAPI

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
# How long a test waits for Flare's answer over loopback (httpx's default is 5 s). The first
# request of a world also pays bolt's one-time auth.test to the fake Slack API and the ledger
# thread's start, ahead of the ack: about 0.1-0.5 s at a load average of 7-9, but over 5 s
# once at 11 (2 cores shared with other suites). 15 s, as the worlds wait for a listener's
# work; a real hang still fails, and bolt answers within 3 s of a listener that never acks.
REPLY_TIMEOUT = 15.0


def signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    body: bytes, *, content_type: str, secret: str = SIGNING_SECRET, at: float | None = None
) -> dict[str, str]:
    timestamp = str(int(at if at is not None else time.time()))
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature(secret, timestamp, body),
    }


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run the ASGI app with uvicorn on 127.0.0.1 (a real socket); yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


_counter = itertools.count(1)


def _id(prefix: str) -> str:
    return f"{prefix}{next(_counter):06d}{secrets.token_hex(3).upper()}"


@dataclass
class SlackSender:
    """Plays Slack: builds payloads, signs them, posts them to Flare's /slack/events."""

    base_url: str
    secret: str = SIGNING_SECRET
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=REPLY_TIMEOUT))
    slack: FakeSlackAPI | None = None  # checks Flare's replies as Slack would

    def __post_init__(self) -> None:
        if self.slack is not None:
            self.client.event_hooks["response"].append(self._check_reply)

    def _check_reply(self, response: httpx.Response) -> None:
        response.read()
        ok = response.status_code == 200 and response.request.url.path == "/slack/events"
        if ok and self.slack is not None:
            self.slack.check_http_reply(response.request.content, response.content)

    @property
    def events_url(self) -> str:
        return f"{self.base_url}/slack/events"

    def post_raw(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return self.client.post(self.events_url, content=body, headers=headers)

    def post(
        self,
        body: bytes,
        *,
        content_type: str,
        retry: int | None = None,
        at: float | None = None,
        secret: str | None = None,
    ) -> httpx.Response:
        headers = signed_headers(
            body, content_type=content_type, secret=secret or self.secret, at=at
        )
        if retry is not None:
            headers["X-Slack-Retry-Num"] = str(retry)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return self.post_raw(body, headers)

    # -- payloads ------------------------------------------------------------------------
    @staticmethod
    def event_body(event: dict[str, Any], *, team: str, event_id: str | None = None) -> bytes:
        envelope = {
            "token": "legacy-unused",
            "team_id": team,
            "api_app_id": "AFLARE",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or _id("Ev"),
            "event_time": int(time.time()),
            "authorizations": [{"team_id": team, "user_id": f"UB{team}", "is_bot": True}],
        }
        return json.dumps(envelope).encode()

    @staticmethod
    def interaction_body(payload: dict[str, Any]) -> bytes:
        return urlencode({"payload": json.dumps(payload)}).encode()

    @staticmethod
    def block_action(
        *,
        team: str,
        user: str,
        action_id: str,
        value: str | None = None,
        channel: str = "DCHANNEL",
        message_ts: str = "1700000000.000001",
        trigger_id: str | None = None,
    ) -> dict[str, Any]:
        action: dict[str, Any] = {
            "type": "button",
            "action_id": action_id,
            "block_id": "flare_actions",
            "action_ts": f"{time.time():.6f}",
        }
        if value is not None:
            action["value"] = value
        return {
            "type": "block_actions",
            "team": {"id": team, "domain": team.lower()},
            "user": {"id": user, "team_id": team, "username": user.lower()},
            "api_app_id": "AFLARE",
            "token": "legacy-unused",
            "trigger_id": trigger_id or _id("trig."),
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": False,
            },
            "channel": {"id": channel, "name": "directmessage"},
            "message": {"type": "message", "ts": message_ts, "text": "", "blocks": []},
            "response_url": "http://127.0.0.1:9/unused",
            "actions": [action],
        }

    @staticmethod
    def command_body(
        *,
        team: str,
        user: str,
        command: str = "/concern",
        text: str = "",
        channel: str = "CGENERAL",
        trigger_id: str | None = None,
    ) -> bytes:
        return urlencode(
            {
                "token": "legacy-unused",
                "team_id": team,
                "team_domain": team.lower(),
                "channel_id": channel,
                "channel_name": "general",
                "user_id": user,
                "user_name": user.lower(),
                "command": command,
                "text": text,
                "api_app_id": "AFLARE",
                "response_url": "http://127.0.0.1:9/unused",
                "trigger_id": trigger_id or _id("trig."),
            }
        ).encode()

    # -- shortcuts -----------------------------------------------------------------------
    def action(self, payload: dict[str, Any], **kwargs: Any) -> httpx.Response:
        return self.post(
            self.interaction_body(payload),
            content_type="application/x-www-form-urlencoded",
            **kwargs,
        )

    def event(self, event: dict[str, Any], *, team: str, **kwargs: Any) -> httpx.Response:
        event_id = kwargs.pop("event_id", None)
        body = self.event_body(event, team=team, event_id=event_id)
        return self.post(body, content_type="application/json", **kwargs)

    def command(self, **kwargs: Any) -> httpx.Response:
        post_kwargs = {k: kwargs.pop(k) for k in ("retry", "at", "secret") if k in kwargs}
        return self.post(
            self.command_body(**kwargs),
            content_type="application/x-www-form-urlencoded",
            **post_kwargs,
        )
