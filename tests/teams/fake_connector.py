"""Fake Microsoft login and Bot Connector over real HTTP on loopback.

`FakeLogin` is an HTTPS server (msal only talks to https authorities) with a self-signed
certificate made at start-up: the tenant's OpenID configuration and a client-credentials
token endpoint. `FakeConnector` is a plain-HTTP Bot Connector that checks the bearer token,
records every request's raw bytes, and can be told to answer 429 (with Retry-After) or 500.
Every Adaptive Card posted or put is checked with Microsoft's renderer library
(tests/teams/adaptive_cards.py): a card with problems is refused with 400, like Teams refuses
a bad card, and `fake_teams()` fails the test that sent it.
"""

from __future__ import annotations

import json
import re
import secrets
import ssl
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from tests.loopback import LoopbackServer, self_signed_certificate
from tests.teams.adaptive_cards import card_problems

APP_ID = "00000000-0000-0000-0000-00000000b07a"
APP_PASSWORD = "fake-bot-password"
TENANT_ID = "11111111-1111-1111-1111-111111111111"


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def raw(self) -> bytes:
        head = "".join(f"{k}: {v}\r\n" for k, v in self.headers.items())
        return f"{self.method} {self.path}\r\n{head}\r\n".encode() + self.body

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Scripted:
    status: int
    retry_after: str | None = None
    carry_out: bool = False  # do the work, then answer `status` anyway (a lost response)


class _Server:
    """A threaded HTTP(S) server on 127.0.0.1 that records every request."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if len(body) < length:  # the sender died mid-request: never act on a part
                    self.close_connection = True
                    return
                record = Recorded(self.command, self.path, dict(self.headers.items()), body)
                with owner._lock:
                    owner.requests.append(record)
                status, payload, headers = owner.answer(record)
                data = json.dumps(payload).encode() if payload is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _handle

        self._httpd = LoopbackServer(("127.0.0.1", 0), Handler)
        self.port = self._httpd.server_address[1]

    def answer(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        raise NotImplementedError

    def wrap_tls(self, cert: Path, key: Path) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)

    def start(self) -> None:
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class FakeLogin(_Server):
    """Microsoft identity platform, just enough for msal's client-credentials flow."""

    def __init__(self, directory: Path, *, app_id: str = APP_ID, password: str = APP_PASSWORD):
        super().__init__()
        self.app_id, self.password = app_id, password
        self.issued: set[str] = set()
        self.cert_path, key_path = self_signed_certificate(directory)
        self.wrap_tls(self.cert_path, key_path)
        self.url = f"https://127.0.0.1:{self.port}"

    @property
    def token_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/oauth2/v2.0/token")]

    def answer(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        match = re.match(r"^/([^/]+)/v2\.0/\.well-known/openid-configuration", request.path)
        if request.method == "GET" and match:
            tenant = match.group(1)
            base = f"{self.url}/{tenant}"
            return (
                200,
                {
                    "issuer": f"{base}/v2.0",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                },
                {},
            )
        if request.method == "POST" and request.path.endswith("/oauth2/v2.0/token"):
            form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
            if form.get("grant_type") != "client_credentials":
                return 400, {"error": "unsupported_grant_type"}, {}
            if form.get("client_id") != self.app_id or form.get("client_secret") != self.password:
                return 401, {"error": "invalid_client"}, {}
            if form.get("scope") != "https://api.botframework.com/.default":
                return 400, {"error": "invalid_scope"}, {}
            token = secrets.token_urlsafe(24)
            self.issued.add(token)
            return 200, {"token_type": "Bearer", "expires_in": 3599, "access_token": token}, {}
        return 404, {"error": "not_found"}, {}


@dataclass
class Message:
    conversation_id: str
    activity_id: str
    activity: dict[str, Any]
    versions: list[dict[str, Any]] = field(default_factory=list)


class FakeConnector(_Server):
    """Bot Connector v3: conversations, activities (POST and PUT) and members."""

    def __init__(self, login: FakeLogin, *, app_id: str = APP_ID) -> None:
        super().__init__()
        self.login = login
        self.app_id = app_id
        self.url = f"http://127.0.0.1:{self.port}/"
        self.script: list[Scripted] = []
        self.conversations: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, Message] = {}
        self.members: dict[str, dict[str, Any]] = {}  # user id or aadObjectId -> account
        self.card_problems: list[str] = []

    def fail_next(
        self,
        status: int,
        *,
        retry_after: str | None = None,
        times: int = 1,
        carry_out: bool = False,
    ) -> None:
        self.script.extend([Scripted(status, retry_after, carry_out)] * times)

    def add_member(self, *, aad_object_id: str, upn: str, email: str = "") -> str:
        user_id = f"29:{aad_object_id}"
        account = {
            "id": user_id,
            "aadObjectId": aad_object_id,
            "userPrincipalName": upn,
            "email": email or upn,
            "name": "Teams user",
        }
        self.members[user_id] = self.members[aad_object_id] = account
        return user_id

    @property
    def activity_requests(self) -> list[Recorded]:
        return [r for r in self.requests if "/activities" in r.path]

    def messages_to(self, aad_object_id: str) -> list[Message]:
        ids = {c for c, v in self.conversations.items() if v["member"] == aad_object_id}
        return [m for m in self.messages.values() if m.conversation_id in ids]

    def answer(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.login.issued:
            return 401, {"error": {"code": "Unauthorized"}}, {}
        scripted = self.script.pop(0) if self.script else None
        if scripted is not None and not scripted.carry_out:
            headers = {"Retry-After": scripted.retry_after} if scripted.retry_after else {}
            return scripted.status, {"error": {"code": "Scripted"}}, headers
        status, payload = self._route(request)
        if scripted is not None:  # the work is done, but the answer is lost
            return scripted.status, {"error": {"code": "Scripted"}}, {}
        return status, payload, {}

    def _route(self, request: Recorded) -> tuple[int, Any]:
        path = request.path.split("?")[0]
        if request.method == "POST" and path == "/v3/conversations":
            body = request.json()
            member = body["members"][0]["id"]
            if body.get("tenantId") != body.get("channelData", {}).get("tenant", {}).get("id"):
                return 400, {"error": {"code": "BadArgument"}}
            if member not in self.members:
                return 403, {"error": {"code": "BotNotInConversationRoster"}}
            conversation_id = f"a:{self.members[member]['aadObjectId']}"
            self.conversations[conversation_id] = {
                "member": self.members[member]["aadObjectId"],
                "tenant": body["tenantId"],
            }
            return 201, {"id": conversation_id}
        parts = [unquote(p) for p in path.split("/")]
        if len(parts) >= 5 and parts[1:3] == ["v3", "conversations"]:
            conversation_id = parts[3]
            if conversation_id not in self.conversations:
                return 404, {"error": {"code": "ConversationNotFound"}}
            if parts[4] == "activities" and request.method in ("POST", "PUT"):
                problems = card_problems(request.json())
                if problems:
                    self.card_problems += problems
                    return 400, {"error": {"code": "BadArgument", "message": problems}}
            if parts[4] == "activities" and len(parts) == 5 and request.method == "POST":
                activity_id = f"1:{secrets.token_hex(8)}"
                self.messages[activity_id] = Message(conversation_id, activity_id, request.json())
                return 201, {"id": activity_id}
            if parts[4] == "activities" and len(parts) == 6 and request.method == "PUT":
                message = self.messages.get(parts[5])
                if message is None or message.conversation_id != conversation_id:
                    return 404, {"error": {"code": "ActivityNotFound"}}
                message.versions.append(message.activity)
                message.activity = request.json()
                return 200, {"id": parts[5]}
            if parts[4] == "members" and len(parts) == 6 and request.method == "GET":
                account = self.members.get(parts[5])
                if account is None:
                    return 404, {"error": {"code": "MemberNotFound"}}
                return 200, account
        return 404, {"error": {"code": "NotFound"}}


@dataclass
class FakeTeams:
    login: FakeLogin
    connector: FakeConnector

    @property
    def all_requests(self) -> list[Recorded]:
        return [*self.login.requests, *self.connector.requests]


@contextmanager
def fake_teams() -> Iterator[FakeTeams]:
    """Start the fake login (HTTPS) and Bot Connector (HTTP); stop both afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        login = FakeLogin(Path(tmp))
        connector = FakeConnector(login)
        login.start()
        connector.start()
        try:
            yield FakeTeams(login, connector)
        finally:
            connector.stop()
            login.stop()
        assert not connector.card_problems, (
            f"Teams would refuse these cards: {connector.card_problems}"
        )
