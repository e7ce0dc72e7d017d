"""Slack's end of Socket Mode on 127.0.0.1: a real WebSocket server (`websockets`) speaking
Slack's Socket Mode envelope, for slack_sdk's own client to connect to.

What Slack does (docs.slack.dev "Using Socket Mode" / "Socket Mode implementation"):
`apps.connections.open`, called with the app-level token, answers a fresh one-use `wss://` URL
(here `ws://127.0.0.1:<port>/link/?ticket=…`, issued through the fake Web API). On connect
Slack sends `hello`; then envelopes of type `events_api`, `slash_commands` and
`interactive`, each with an `envelope_id` the app must acknowledge by sending
`{"envelope_id": …}` back, with a `payload` when the envelope `accepts_response_payload`
(a slash command's reply, a view submission's `response_action`). Slack recycles the
connection by sending `disconnect` (reason `refresh_requested`); the app opens a new URL,
connects, and the old socket is closed.

    with FakeSlackAPI() as api, SocketModeSlack(api, "xapp-1-…") as slack:
        envelope = slack.send("slash_commands", payload, accepts_response_payload=True)
        ack = slack.ack(envelope)           # what the app sent back for it
        slack.refresh()                     # disconnect, then wait for the new connection
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from tests.slack.fake_api import FakeSlackAPI


@dataclass
class Session:
    """One WebSocket connection from the app, opened with one issued URL."""

    ticket: str
    socket: ServerConnection
    received: list[str] = field(default_factory=list)  # every frame the app sent
    closed: bool = False


class SocketModeSlack:
    """Slack's end of the socket: issues URLs, says hello, sends envelopes, reads acks."""

    def __init__(self, api: FakeSlackAPI, app_token: str, *, timeout: float = 15.0) -> None:
        self.api = api
        self.timeout = timeout
        self.sessions: list[Session] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.sent: dict[str, dict[str, Any]] = {}  # envelopes by id
        self.refused: list[str] = []  # connections with a URL that was not issued, or reused
        self._issued: set[str] = set()
        self._changed = threading.Condition()
        self._server: Server = serve(
            self._serve, "127.0.0.1", 0, compression=None, logger=None, close_timeout=2
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        api.add_app_token(app_token, self.issue_url)

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
        with self._changed:  # Slack redelivers what is not acknowledged: that is a failure
            unacked = [e["type"] for i, e in self.sent.items() if i not in self.acks]
        if unacked:
            self.api.record_violation("Socket Mode", [f"{t} envelope never acked" for t in unacked])

    @property
    def port(self) -> int:
        return int(self._server.socket.getsockname()[1])

    def issue_url(self) -> str:
        """What `apps.connections.open` answers: a URL good for one connection."""
        ticket = secrets.token_hex(8)
        with self._changed:
            self._issued.add(ticket)
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}"

    # -- the server side of one connection ---------------------------------------------------
    def _serve(self, socket: ServerConnection) -> None:
        query = parse_qs(urlsplit(socket.request.path if socket.request else "").query)
        ticket = (query.get("ticket") or [""])[0]
        with self._changed:
            if ticket not in self._issued:
                self.refused.append(ticket)
                socket.close(code=1008, reason="invalid ticket")
                return
            self._issued.discard(ticket)  # one connection per URL
            session = Session(ticket, socket)
            self.sessions.append(session)
            self._changed.notify_all()
        socket.send(json.dumps(_hello(len(self.live()))))
        try:
            for frame in socket:
                self._received(session, frame if isinstance(frame, str) else frame.decode())
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                session.closed = True
                self._changed.notify_all()

    def _received(self, session: Session, frame: str) -> None:
        message = json.loads(frame)
        with self._changed:
            session.received.append(frame)
            envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
            if envelope_id in self.sent:
                self.acks[envelope_id] = message
                self._check(self.sent[envelope_id], message)
                self._changed.notify_all()

    def _check(self, envelope: dict[str, Any], ack: dict[str, Any]) -> None:
        """An ack's payload is Flare's response: checked as Slack checks it, on arrival."""
        if "payload" not in ack:
            return
        if not envelope["accepts_response_payload"]:
            self.api.record_violation("Socket Mode ack", [f"{envelope['type']}: takes no payload"])
        submitted = envelope["payload"] if envelope["type"] == "interactive" else None
        self.api.check_reply("Socket Mode ack", submitted, ack["payload"])

    # -- what a test does ----------------------------------------------------------------------
    def live(self) -> list[Session]:
        with self._changed:
            return [s for s in self.sessions if not s.closed]

    def wait_sessions(self, count: int) -> Session:
        """Wait until `count` connections were made; the newest one."""
        self._wait(lambda: len(self.sessions) >= count, f"{count} connection(s)")
        return self.sessions[count - 1]

    def wait_closed(self, session: Session) -> None:
        self._wait(lambda: session.closed, "close of the connection")

    def send(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool = False,
        retry_attempt: int = 0,
        envelope_id: str | None = None,
    ) -> str:
        """One envelope to the app over the newest open connection; its envelope id."""
        self._wait(lambda: bool(self.live()), "an open connection")
        session = self.live()[-1]
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id or str(uuid.uuid4()),
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == "events_api":
            envelope.update(
                retry_attempt=retry_attempt, retry_reason="timeout" * (retry_attempt > 0)
            )
        with self._changed:
            self.sent[envelope["envelope_id"]] = envelope
        session.socket.send(json.dumps(envelope))
        return str(envelope["envelope_id"])

    def ack(self, envelope_id: str) -> dict[str, Any]:
        """The app's acknowledgement of an envelope (its payload checked when it arrived)."""
        self._wait(lambda: envelope_id in self.acks, f"the ack of {envelope_id}")
        return self.acks[envelope_id]

    def refresh(self) -> Session:
        """`disconnect` (refresh_requested) on the open connection; the app's new one."""
        (old,) = self.live()
        count = len(self.sessions)
        old.socket.send(json.dumps(_disconnect("refresh_requested")))
        new = self.wait_sessions(count + 1)
        self.wait_closed(old)
        return new

    def frames(self) -> str:
        """Every frame the app sent, over every connection (for no-leak checks)."""
        with self._changed:
            return "\n".join(f for s in self.sessions for f in s.received)

    def _wait(self, done: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + self.timeout
        with self._changed:
            while not done():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"Socket Mode: no {what} within {self.timeout} s")
                self._changed.wait(left)


def _hello(connections: int) -> dict[str, Any]:
    return {
        "type": "hello",
        "num_connections": connections,
        "debug_info": {
            "host": "applink-fake-127-0-0-1",
            "build_number": 1,
            "approximate_connection_time": 18060,
        },
        "connection_info": {"app_id": "AFLARE"},
    }


def _disconnect(reason: str) -> dict[str, Any]:
    return {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}}
