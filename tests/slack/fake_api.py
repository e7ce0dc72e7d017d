"""A fake Slack Web API on 127.0.0.1: real HTTP, records every request, fails on demand.

Flare reaches it through SLACK_API_URL (`FakeSlackAPI().url`). It answers the methods Flare
calls with the shapes Slack documents, keeps DM histories (with message metadata) so
`conversations.history` can answer "did that message land?", and can be told to fail:

    with FakeSlackAPI() as slack:
        slack.add_team("T1", token="xoxb-1")
        slack.add_user("T1", "U1", email="amara@example.org")
        slack.fail("chat.postMessage", status=429, retry_after=7, times=2)
        slack.fail("chat.postMessage", status=500, apply=True)   # lands, then answers 500
        slack.fail("chat.postMessage", error="account_inactive")
        slack.fail("chat.postMessage", delay=3.0)                 # a slow answer (timeouts)

Every `views.*` and `chat.*` body, and every post to a `response_url`, is checked as Slack
would check it (tests/slack/block_kit_check.py: slack_sdk's models and Slack's documented
limits). A body Slack would refuse gets Slack's answer (`ok: false`, `invalid_blocks` or
`invalid_arguments`) and is kept in `violations`; the autouse fixture
`slack_payloads_are_valid` (tests/conftest.py) fails the test that caused it.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
import weakref
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl, urlsplit

from tests.loopback import LoopbackServer
from tests.slack.block_kit_check import message_problems, reply_problems, view_problems

JSON_FIELDS = ("blocks", "attachments", "metadata", "view", "users")


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request as it arrived: method name, headers, raw bytes and parsed arguments."""

    method: str
    http_method: str
    path: str
    headers: dict[str, str]
    body: bytes
    query: dict[str, str]
    form: dict[str, Any]
    json: Any

    @property
    def args(self) -> dict[str, Any]:
        """Query, form and JSON arguments merged, JSON-in-form fields decoded."""
        merged: dict[str, Any] = {**self.query, **self.form}
        if isinstance(self.json, dict):
            merged.update(self.json)
        for key in JSON_FIELDS:
            if isinstance(merged.get(key), str) and merged[key][:1] in ("[", "{"):
                merged[key] = json.loads(merged[key])
        return merged

    @property
    def token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:]
        return self.args.get("token")

    def raw(self) -> bytes:
        """Every byte the client sent: request line parts, headers and body."""
        head = f"{self.http_method} {self.path}\n" + "\n".join(
            f"{k}: {v}" for k, v in self.headers.items()
        )
        return head.encode() + b"\n\n" + self.body


@dataclass(frozen=True)
class Violation:
    """A body Slack would have refused: where it went and what was wrong with it."""

    where: str
    problems: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.where}: " + "; ".join(self.problems)


@dataclass
class Failure:
    status: int = 200
    error: str | None = None
    retry_after: float | None = None
    delay: float = 0.0
    apply: bool = False


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[Any]
    metadata: dict[str, Any] | None
    user: str
    edited: int = 0


@dataclass
class FakeUser:
    id: str
    team_id: str
    email: str | None
    email_confirmed: bool = True
    deleted: bool = False
    is_bot: bool = False


@dataclass
class FakeTeam:
    id: str
    token: str
    bot_user_id: str
    name: str


@dataclass
class _State:
    teams: dict[str, FakeTeam] = field(default_factory=dict)
    users: dict[tuple[str, str], FakeUser] = field(default_factory=dict)
    messages: dict[str, list[Message]] = field(default_factory=lambda: defaultdict(list))
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    published: dict[str, dict[str, Any]] = field(default_factory=dict)
    ephemeral: list[dict[str, Any]] = field(default_factory=list)
    oauth_codes: dict[str, tuple[str, str]] = field(default_factory=dict)
    app_tokens: dict[str, Callable[[], str]] = field(default_factory=dict)
    failures: dict[str, deque[Failure]] = field(default_factory=lambda: defaultdict(deque))


class FakeSlackAPI:
    """A threaded HTTP server speaking enough of the Slack Web API for Flare."""

    # Every fake alive, so the autouse fixture can fail a test whose payloads were refused.
    alive: ClassVar[weakref.WeakSet[FakeSlackAPI]] = weakref.WeakSet()

    def __init__(self) -> None:
        FakeSlackAPI.alive.add(self)
        self.requests: list[RecordedRequest] = []
        self.violations: list[Violation] = []
        self.state = _State()
        self._lock = threading.RLock()
        self._idle = threading.Condition(self._lock)
        self._inflight = 0
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._server = LoopbackServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._started = False

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/api/"

    def start(self) -> Self:
        if not self._started:
            self._thread.start()
            self._started = True
        return self

    def stop(self) -> None:
        if self._started:
            self._server.shutdown()
            self._started = False
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- set-up ----------------------------------------------------------------------------
    def add_team(self, team_id: str, *, token: str, name: str | None = None) -> FakeTeam:
        team = FakeTeam(team_id, token, f"UB{team_id}", name or f"Workspace {team_id}")
        with self._lock:
            self.state.teams[team_id] = team
        return team

    def add_user(
        self,
        team_id: str,
        user_id: str,
        *,
        email: str | None,
        email_confirmed: bool = True,
        deleted: bool = False,
        is_bot: bool = False,
    ) -> FakeUser:
        user = FakeUser(user_id, team_id, email, email_confirmed, deleted, is_bot)
        with self._lock:
            self.state.users[(team_id, user_id)] = user
        return user

    def add_app_token(self, token: str, socket_url: Callable[[], str]) -> None:
        """`apps.connections.open` with this app-level token answers `socket_url()`."""
        with self._lock:
            self.state.app_tokens[token] = socket_url

    def add_oauth_code(self, code: str, *, team_id: str, installer: str = "UINSTALLER") -> None:
        """`oauth.v2.access` with this code installs the app into `team_id`."""
        with self._lock:
            self.state.oauth_codes[code] = (team_id, installer)

    def fail(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: float | None = None,
        delay: float = 0.0,
        times: int = 1,
        apply: bool = False,
    ) -> None:
        """The next `times` calls of `method` fail. `apply`: do the work, then answer badly."""
        if status == 200 and error is None and not delay:
            raise ValueError("a failure needs a status, an error or a delay")
        with self._lock:
            for _ in range(times):
                self.state.failures[method].append(
                    Failure(status, error, retry_after, delay, apply)
                )

    # -- reading back ----------------------------------------------------------------------
    def calls(self, method: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == method]

    def messages(self, channel: str) -> list[Message]:
        with self._lock:
            return list(self.state.messages.get(channel, []))

    def dm_channel(self, user_id: str) -> str:
        return f"D{user_id}"

    def sent_bytes(self) -> bytes:
        """Everything any client sent to this server, for no-leak checks."""
        with self._lock:
            return b"\n".join(r.raw() for r in self.requests)

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[RecordedRequest]:
        """Block until `method` was called `count` times (listeners run after Flare acks)."""
        deadline = time.monotonic() + timeout
        while len(self.calls(method)) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{method} called {len(self.calls(method))} of {count} times")
            time.sleep(0.01)
        return self.calls(method)

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Block until no request is being answered (a slow answer the client gave up on)."""
        with self._idle:
            if not self._idle.wait_for(lambda: self._inflight == 0, timeout=timeout):
                raise TimeoutError("the fake Slack API is still answering a request")

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    # -- what Slack would refuse -------------------------------------------------------------
    def record_violation(self, where: str, problems: list[str]) -> None:
        """Keep a body that breaks Slack's rules; the test that sent it fails at teardown."""
        with self._lock:
            self.violations.append(Violation(where, tuple(problems)))

    def take_violations(self) -> list[Violation]:
        """The violations so far, forgotten here (a test that expects one takes it)."""
        with self._lock:
            taken, self.violations = self.violations, []
        return taken

    @classmethod
    def refused_anywhere(cls) -> list[Violation]:
        """Every violation any live fake has kept, taken from each (the autouse fixture's check)."""
        return [v for api in list(cls.alive) for v in api.take_violations()]

    def check_reply(self, where: str, submitted: dict[str, Any] | None, answer: Any) -> None:
        """Flare's own answer to an interaction (an HTTP response or a Socket Mode ack's
        payload), checked as Slack checks it; `submitted` is the payload it answers."""
        problems = reply_problems(submitted, answer)
        if problems:
            self.record_violation(where, problems)

    def check_http_reply(self, request_body: bytes, reply: bytes) -> None:
        """The same, for a signed request to /slack/events and Flare's response body."""
        try:
            answer = json.loads(reply) if reply.strip() else None
        except ValueError:
            return  # a plain-text or empty ack: nothing for Slack to parse
        self.check_reply("reply to /slack/events", _interaction(request_body), answer)

    # -- the API ---------------------------------------------------------------------------
    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.{next(self._ids):06d}"

    def _team_for(self, request: RecordedRequest) -> FakeTeam | None:
        for team in self.state.teams.values():
            if team.token == request.token:
                return team
        return None

    def handle(self, request: RecordedRequest) -> tuple[int, dict[str, str], dict[str, Any]]:
        with self._lock:
            self._inflight += 1
        try:
            return self._handle(request)
        finally:
            with self._idle:
                self._inflight -= 1
                self._idle.notify_all()

    def _handle(self, request: RecordedRequest) -> tuple[int, dict[str, str], dict[str, Any]]:
        with self._lock:
            self.requests.append(request)
            queue = self.state.failures.get(request.method)
            failure = queue.popleft() if queue else None
        if failure and failure.delay:
            time.sleep(failure.delay)
        if failure and not failure.apply and (failure.status != 200 or failure.error):
            return _failure_response(failure)
        answer = self._answer(request)
        if failure and (failure.status != 200 or failure.error):
            return _failure_response(failure)
        return 200, {}, answer

    def _answer(self, request: RecordedRequest) -> dict[str, Any]:
        problems = _payload_problems(request)
        if problems:
            where = "response_url" if _is_hook(request) else request.method
            self.record_violation(where, problems)
            return _refusal(request, problems)
        if request.method == "apps.connections.open":
            return _connections_open_answer(self, request)
        method = METHODS.get(request.method)
        if method is None:
            return {"ok": False, "error": "unknown_method"}
        if request.method != "oauth.v2.access":
            team = self._team_for(request)
            if team is None:
                return {"ok": False, "error": "invalid_auth"}
        else:
            team = None
        with self._lock:
            return method(self, team, request.args)


VIEW_KINDS = {
    "views.open": "modal",
    "views.push": "modal",
    "views.update": "modal",
    "views.publish": "home",
}


def _is_hook(request: RecordedRequest) -> bool:
    return "/hooks/" in request.path


def _payload_problems(request: RecordedRequest) -> list[str]:
    """What Slack would refuse in a views.*, chat.* or response_url body."""
    if _is_hook(request):
        return message_problems(request.args)
    if request.method.startswith("views."):
        return view_problems(request.args.get("view"), kind=VIEW_KINDS.get(request.method))
    if request.method.startswith("chat."):
        return message_problems(request.args)
    return []


def _refusal(request: RecordedRequest, problems: list[str]) -> dict[str, Any]:
    """Slack's answer: `invalid_blocks` for a message's blocks, else `invalid_arguments`."""
    in_blocks = request.method.startswith("chat.") or _is_hook(request)
    blocks = in_blocks and any(p.startswith("blocks") for p in problems)
    return {
        "ok": False,
        "error": "invalid_blocks" if blocks else "invalid_arguments",
        "response_metadata": {"messages": [f"[ERROR] {p}" for p in problems]},
    }


def _interaction(body: bytes) -> dict[str, Any] | None:
    """The interaction payload in a form-encoded request body, if it is one."""
    form = dict(parse_qsl(body.decode(errors="replace"), keep_blank_values=True))
    try:
        payload = json.loads(form.get("payload", ""))
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _connections_open_answer(api: FakeSlackAPI, request: RecordedRequest) -> dict[str, Any]:
    """A fresh WebSocket URL for an app-level token; a bot token is the wrong kind."""
    with api._lock:
        issue = api.state.app_tokens.get(request.token or "")
        is_bot = any(t.token == request.token for t in api.state.teams.values())
    if issue is None:
        return {"ok": False, "error": "not_allowed_token_type" if is_bot else "invalid_auth"}
    return {"ok": True, "url": issue()}


def _failure_response(failure: Failure) -> tuple[int, dict[str, str], dict[str, Any]]:
    headers: dict[str, str] = {}
    if failure.retry_after is not None:
        headers["Retry-After"] = str(int(failure.retry_after))
    if failure.status == 429:
        return 429, headers, {"ok": False, "error": failure.error or "ratelimited"}
    if failure.status >= 500:
        return failure.status, headers, {"ok": False, "error": failure.error or "internal_error"}
    return failure.status, headers, {"ok": False, "error": failure.error}


# -- method implementations (called with the lock held) ---------------------------------------
Answer = dict[str, Any]
Method = Callable[[FakeSlackAPI, Any, dict[str, Any]], Answer]


def _auth_test(api: FakeSlackAPI, team: FakeTeam, _args: dict[str, Any]) -> Answer:
    return {
        "ok": True,
        "url": f"https://{team.id.lower()}.slack.test/",
        "team": team.name,
        "team_id": team.id,
        "user": "flare",
        "user_id": team.bot_user_id,
        "bot_id": f"B{team.id}",
        "is_enterprise_install": False,
    }


def _users_info(api: FakeSlackAPI, team: FakeTeam, args: dict[str, Any]) -> Answer:
    user = api.state.users.get((team.id, str(args.get("user"))))
    if user is None:
        return {"ok": False, "error": "user_not_found"}
    profile: dict[str, Any] = {"real_name": f"User {user.id}", "display_name": user.id}
    if user.email is not None:
        profile["email"] = user.email
    return {
        "ok": True,
        "user": {
            "id": user.id,
            "team_id": user.team_id,
            "name": user.id.lower(),
            "deleted": user.deleted,
            "is_bot": user.is_bot,
            "is_email_confirmed": user.email_confirmed,
            "profile": profile,
        },
    }


def _known_user(api: FakeSlackAPI, team: FakeTeam, user_id: str) -> FakeUser | None:
    return api.state.users.get((team.id, user_id))


def _conversations_open(api: FakeSlackAPI, team: FakeTeam, args: dict[str, Any]) -> Answer:
    users = args.get("users")
    ids = users if isinstance(users, list) else str(users or "").split(",")
    if len(ids) != 1 or not ids[0]:
        return {"ok": False, "error": "not_implemented"}
    user = _known_user(api, team, ids[0])
    if user is None:
        return {"ok": False, "error": "user_not_found"}
    if user.deleted:
        return {"ok": False, "error": "user_disabled"}
    return {"ok": True, "channel": {"id": api.dm_channel(user.id)}}


def _channel_ok(api: FakeSlackAPI, team: FakeTeam, channel: str) -> str | None:
    """The DM channel a post goes to (a user id posts to their DM), or None if unknown."""
    if channel.startswith("D") and _known_user(api, team, channel[1:]):
        return channel
    if channel.startswith("U") and _known_user(api, team, channel):
        return api.dm_channel(channel)
    if channel.startswith("C"):
        return channel
    return None


def _post_message(api: FakeSlackAPI, team: FakeTeam, args: dict[str, Any]) -> Answer:
    channel = _channel_ok(api, team, str(args.get("channel", "")))
    if channel is None:
        return {"ok": False, "error": "channel_not_found"}
    if not args.get("text") and not args.get("blocks"):
        return {"ok": False, "error": "no_text"}
    message = Message(
        channel=channel,
        ts=api._next_ts(),
        text=str(args.get("text", "")),
        blocks=list(args.get("blocks") or []),
        metadata=args.get("metadata"),
        user=team.bot_user_id,
    )
    api.state.messages[channel].append(message)
    return {"ok": True, "channel": channel, "ts": message.ts, "message": _as_json(message)}


def _reused_block_ids(where: str, before: list[Any], after: list[Any]) -> list[str]:
    """Slack: "block_id should be unique for each message and each iteration of a message.
    If a message is updated, use a new block_id." (Slack takes it, and may show stale state.)"""
    old = {b.get("block_id") for b in before if isinstance(b, dict) and b.get("block_id")}
    new = [b.get("block_id") for b in after if isinstance(b, dict) and b.get("block_id")]
    return [f"{where}: block_id {i!r} reused from the previous iteration" for i in new if i in old]


def _update(api: FakeSlackAPI, team: FakeTeam, args: dict[str, Any]) -> Answer:
    channel, ts = str(args.get("channel", "")), str(args.get("ts", ""))
    for message in api.state.messages.get(channel, []):
        if message.ts == ts:
            reused = _reused_block_ids("blocks", message.blocks, list(args.get("blocks") or []))
            if reused:  # Slack answers ok all the same
                api.record_violation("chat.update", reused)
            message.text = str(args.get("text", message.text))
            message.blocks = list(args.get("blocks") or message.blocks)
            if args.get("metadata"):
                message.metadata = args["metadata"]
            message.edited += 1
            return {"ok": True, "channel": channel, "ts": ts, "text": message.text}
    return {"ok": False, "error": "message_not_found"}


def _post_ephemeral(api: FakeSlackAPI, team: FakeTeam, args: dict[str, Any]) -> Answer:
    if not args.get("user") or not args.get("channel"):
        return {"ok": False, "error": "invalid_arguments"}
    api.state.ephemeral.append(dict(args))
    return {"ok": True, "message_ts": api._next_ts()}


def _history(api: FakeSlackAPI, team: FakeTeam, args: dict[str, Any]) -> Answer:
    channel = str(args.get("channel", ""))
    if _channel_ok(api, team, channel) is None:
        return {"ok": False, "error": "channel_not_found"}
    with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
    limit = int(args.get("limit") or 100)
    newest_first = list(reversed(api.state.messages.get(channel, [])))[:limit]
    messages = [_as_json(m, with_metadata=with_metadata) for m in newest_first]
    return {"ok": True, "messages": messages, "has_more": False}


def _as_json(message: Message, *, with_metadata: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "message",
        "user": message.user,
        "ts": message.ts,
        "text": message.text,
        "blocks": message.blocks,
    }
    if with_metadata and message.metadata:
        out["metadata"] = message.metadata
    return out


def _view(api: FakeSlackAPI, team: FakeTeam, args: dict[str, Any], *, new: bool) -> Answer:
    view = args.get("view")
    if not isinstance(view, dict):
        return {"ok": False, "error": "invalid_arguments"}
    if new and not args.get("trigger_id"):
        return {"ok": False, "error": "invalid_trigger_id"}
    view_id = str(args.get("view_id") or "") if not new else ""
    if not new and view_id not in api.state.views and not args.get("external_id"):
        return {"ok": False, "error": "not_found"}
    view_id = view_id or f"V{next(api._ids):08d}"
    stored = {**view, "id": view_id, "team_id": team.id, "hash": f"h{next(api._ids)}"}
    api.state.views[view_id] = stored
    return {"ok": True, "view": stored}


def _views_open(api: FakeSlackAPI, team: FakeTeam, args: dict[str, Any]) -> Answer:
    return _view(api, team, args, new=True)


def _views_push(api: FakeSlackAPI, team: FakeTeam, args: dict[str, Any]) -> Answer:
    return _view(api, team, args, new=True)


def _views_update(api: FakeSlackAPI, team: FakeTeam, args: dict[str, Any]) -> Answer:
    return _view(api, team, args, new=False)


def _views_publish(api: FakeSlackAPI, team: FakeTeam, args: dict[str, Any]) -> Answer:
    user = str(args.get("user_id", ""))
    if _known_user(api, team, user) is None:
        return {"ok": False, "error": "user_not_found"}
    view = args.get("view")
    if not isinstance(view, dict) or view.get("type") != "home":
        return {"ok": False, "error": "invalid_arguments"}
    before = api.state.published.get(user, {}).get("blocks") or []
    reused = _reused_block_ids("view.blocks", before, list(view.get("blocks") or []))
    if reused:  # the Home tab is one view, published again: the same rule as a message
        api.record_violation("views.publish", reused)
    api.state.published[user] = view
    return {"ok": True, "view": {**view, "id": f"V{next(api._ids):08d}", "team_id": team.id}}


def _oauth_access(api: FakeSlackAPI, _team: None, args: dict[str, Any]) -> Answer:
    code = str(args.get("code", ""))
    found = api.state.oauth_codes.pop(code, None)
    if found is None:
        return {"ok": False, "error": "invalid_code"}
    team = api.state.teams[found[0]]
    return {
        "ok": True,
        "app_id": "AFLARE",
        "authed_user": {"id": found[1]},
        "scope": "commands,chat:write,im:write,im:history,users:read,users:read.email",
        "token_type": "bot",
        "access_token": team.token,
        "bot_user_id": team.bot_user_id,
        "team": {"id": team.id, "name": team.name},
        "enterprise": None,
        "is_enterprise_install": False,
    }


METHODS: dict[str, Method] = {
    "auth.test": _auth_test,
    "users.info": _users_info,
    "conversations.open": _conversations_open,
    "conversations.history": _history,
    "chat.postMessage": _post_message,
    "chat.update": _update,
    "chat.postEphemeral": _post_ephemeral,
    "views.open": _views_open,
    "views.push": _views_push,
    "views.update": _views_update,
    "views.publish": _views_publish,
    "oauth.v2.access": _oauth_access,
}


def _parse(handler: BaseHTTPRequestHandler, body: bytes) -> RecordedRequest:
    split = urlsplit(handler.path)
    method = split.path.rsplit("/", 1)[-1]
    headers = {k.lower(): v for k, v in handler.headers.items()}
    ctype = headers.get("content-type", "")
    form: dict[str, Any] = {}
    parsed_json: Any = None
    if "json" in ctype and body:
        parsed_json = json.loads(body)
    elif body:
        form = dict(parse_qsl(body.decode(), keep_blank_values=True))
    return RecordedRequest(
        method=method,
        http_method=handler.command,
        path=handler.path,
        headers=headers,
        body=body,
        query=dict(parse_qsl(split.query, keep_blank_values=True)),
        form=form,
        json=parsed_json,
    )


def _handler_for(api: FakeSlackAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if len(body) < length:  # the sender died mid-request (kill -9): like Slack's
                self.close_connection = True  # servers, never act on a truncated body
                return
            status, headers, answer = api.handle(_parse(self, body))
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            # The client may have given up (a timeout test): the work is done all the same.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(payload)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet

    return Handler
