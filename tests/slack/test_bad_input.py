"""/slack/events refuses bad input with a clear 4xx, changes nothing and logs none of it.

Over real HTTP against Flare on uvicorn, hypothesis sends arbitrary bodies (raw bytes, bytes
that are not UTF-8, forms, forms whose `payload` is anything, JSON of any shape with Slack's
keys and ids in it) with arbitrary content types, unsigned, badly signed (stale, another
secret, a garbage signature or timestamp) and correctly signed. Each body carries a fresh
canary. Whatever arrives: no 5xx and no traceback; a request Slack did not sign gets 401 and
changes no row; a signed one gets a 4xx or the normal 200 and raises, audits or sends
nothing; and the canary reaches no log line at FLARE_LOG_LEVEL=DEBUG.
"""

from __future__ import annotations

import io
import json
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from bot.request_body import MAX_BODY
from store.models import AuditEvent, Concern, InboundEvent, OutboxMessage
from tests.conftest import TracebackCatcher
from tests.slack.conftest import TEAM, SlackWorld, running_world
from tests.slack.fake_api import FakeSlackAPI
from tests.slack.inbound import SIGNING_SECRET, signature

SLACK_KEYS = (
    "type", "token", "team_id", "team", "user", "user_id", "channel", "channel_id", "event",
    "event_id", "trigger_id", "command", "text", "callback_id", "view", "actions", "container",
    "message", "authorizations", "enterprise", "api_app_id", "response_url", "challenge",
    "ssl_check", "state", "values", "id", "action_id", "value", "is_enterprise_install",
)  # fmt: skip
SLACK_WORDS = (
    TEAM, "UAMARA", "UCHLOE", "event_callback", "app_home_opened", "block_actions",
    "view_submission", "shortcut", "message_action", "url_verification", "/concern",
    "flare_acknowledge", "flare_open", "flare_raise", "home", "message", "modal",
)  # fmt: skip
CONTENT_TYPES = (
    "application/json",
    "application/x-www-form-urlencoded",
    "application/json; charset=utf-8",
    "text/plain",
    "multipart/form-data; boundary=x",
    "",
)
SIGNINGS = ("none", "valid", "stale", "other_secret", "garbage", "bad_timestamp")


def _json_values(canary: str) -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.sampled_from(SLACK_WORDS),
        st.text(max_size=12).map(lambda t: f"{t}{canary}"),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(
                st.one_of(st.sampled_from(SLACK_KEYS), st.text(max_size=8)), inner, max_size=6
            ),
        ),
        max_leaves=20,
    )


@st.composite
def bodies(draw: st.DrawFn, canary: str) -> bytes:
    """Anything a client could post, with the canary somewhere in it."""
    kind = draw(st.sampled_from(("bytes", "not_utf8", "json", "form", "payload")))
    if kind == "bytes":
        raw = draw(st.binary(max_size=300))
        cut = draw(st.integers(0, len(raw)))
        return raw[:cut] + canary.encode() + raw[cut:]
    if kind == "not_utf8":
        return b"\xff\xfe" + canary.encode() + draw(st.binary(max_size=50)) + b"\xc3\x28"
    value = draw(_json_values(canary))
    if kind == "json":
        return json.dumps(value).encode()
    fields = draw(
        st.dictionaries(st.sampled_from(SLACK_KEYS), st.text(max_size=12), max_size=6)
    )
    fields["text"] = canary
    if kind == "payload":
        as_json = draw(st.booleans())
        fields["payload"] = json.dumps(value) if as_json else f"{{{canary}"
    return urlencode(fields).encode()


def _headers(body: bytes, signing: str, content_type: str, canary: str) -> dict[str, str]:
    now = int(time.time())
    headers = {"Content-Type": content_type} if content_type else {}
    if signing == "none":
        return headers
    at = now - 600 if signing == "stale" else now
    secret = "rotated-" + SIGNING_SECRET if signing == "other_secret" else SIGNING_SECRET
    headers["X-Slack-Request-Timestamp"] = str(at)
    headers["X-Slack-Signature"] = signature(secret, str(at), body)
    if signing == "garbage":
        headers["X-Slack-Signature"] = f"v0={canary}"
    if signing == "bad_timestamp":
        headers["X-Slack-Request-Timestamp"] = f"{now}{canary}"
    return headers


def _rows(world: SlackWorld) -> dict[str, int]:
    with world.runtime.uow() as uow:
        s = uow.session
        return {
            "audit": s.scalar(select(func.count()).select_from(AuditEvent)) or 0,
            "concerns": s.scalar(select(func.count()).select_from(Concern)) or 0,
            "outbox": s.scalar(select(func.count()).select_from(OutboxMessage)) or 0,
            "inbound": s.scalar(select(func.count()).select_from(InboundEvent)) or 0,
        }


@pytest.fixture
def world(
    engine: Engine, tmp_path: Path, slack: FakeSlackAPI, debug_logs: io.StringIO
) -> Iterator[SlackWorld]:
    with running_world(engine, tmp_path, slack) as w:
        yield w


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_bad_input_gets_a_4xx_changes_nothing_and_logs_none_of_it(
    world: SlackWorld,
    debug_logs: io.StringIO,
    no_traceback_logged: TracebackCatcher,
    data: st.DataObject,
) -> None:
    canary = f"qz{secrets.token_hex(5)}zq"
    body = data.draw(bodies(canary), label="body")
    signing = data.draw(st.sampled_from(SIGNINGS), label="signing")
    content_type = data.draw(st.sampled_from(CONTENT_TYPES), label="content type")
    headers = _headers(body, signing, content_type, canary)
    if data.draw(st.booleans(), label="retry"):
        headers["X-Slack-Retry-Num"] = data.draw(st.sampled_from(("1", "2", canary)))
    before = _rows(world)

    answer = world.sender.post_raw(body, headers)

    assert answer.status_code < 500, answer.text
    assert no_traceback_logged.caught == []
    after = _rows(world)
    if signing != "valid":
        assert answer.status_code == 401 and answer.json() == {"error": "unauthorized"}
        assert after == before
    else:
        assert answer.status_code in (200, 400, 401, 404), answer.text
        # Only the replay ledger may note a signed delivery; nothing is raised or sent.
        assert {k: v for k, v in after.items() if k != "inbound"} == {
            k: v for k, v in before.items() if k != "inbound"
        }
        if answer.status_code == 400:
            assert after == before
    assert canary not in debug_logs.getvalue()
    if answer.status_code >= 400:
        assert canary not in answer.text


def test_refusals_say_why_in_the_log_and_nothing_else(
    world: SlackWorld, debug_logs: io.StringIO
) -> None:
    canary = f"qz{secrets.token_hex(5)}zq"
    body = urlencode({"payload": json.dumps({"type": "view_submission", "x": canary})}).encode()
    stale = _headers(body, "stale", "application/x-www-form-urlencoded", canary)
    assert world.sender.post_raw(body, stale).status_code == 401
    not_utf8 = b"\xff" + canary.encode()
    signed = _headers(not_utf8, "valid", "application/json", canary)
    assert world.sender.post_raw(not_utf8, signed).status_code == 400
    lines = [json.loads(line) for line in debug_logs.getvalue().splitlines() if "{" in line]
    refusals = [line for line in lines if line.get("event") == "slack.refused"]
    assert [(r["status"], r["reason"]) for r in refusals] == [(401, "stale"), (400, "not_utf8")]
    assert canary not in debug_logs.getvalue()


def raw_post(url: str, head: dict[str, str], chunks: Iterator[bytes]) -> int:
    """POST over a bare socket (a client may declare any length and send any amount);
    returns the status Flare answered with, stopping sending once it has answered."""
    parsed = httpx.URL(url)
    with socket.create_connection((parsed.host, parsed.port or 80), timeout=10) as conn:
        lines = [f"POST {parsed.raw_path.decode()} HTTP/1.1", f"Host: {parsed.host}"]
        lines += [f"{name}: {value}" for name, value in head.items()]
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        conn.setblocking(False)
        answer = b""
        for chunk in chunks:
            try:
                answer += conn.recv(4096)
            except BlockingIOError:
                pass
            if answer:
                break
            try:
                conn.sendall(chunk)
            except (BlockingIOError, ConnectionError):
                break
        conn.setblocking(True)
        while b"\r\n" not in answer:
            answer += conn.recv(4096)
    return int(answer.split(b" ", 2)[1])


def test_a_body_over_one_mebibyte_gets_413_unread(world: SlackWorld) -> None:
    before = _rows(world)
    big = b"payload=" + b"x" * MAX_BODY
    headers = _headers(big, "valid", "application/x-www-form-urlencoded", "")
    assert world.sender.post_raw(big, headers).status_code == 413
    # A declared length over the cap: answered before a byte of the body is sent.
    declared = {**headers, "Content-Length": str(MAX_BODY + 1)}
    assert raw_post(world.sender.events_url, declared, iter([])) == 413
    # Chunked, with no length: reading stops at the cap, long before the 64 MiB on offer.
    sent: list[int] = []

    def chunked() -> Iterator[bytes]:
        for _ in range(1024):
            sent.append(1)
            yield b"10000\r\n" + b"x" * 65536 + b"\r\n"

    streaming = {**headers, "Transfer-Encoding": "chunked"}
    assert raw_post(world.sender.events_url, streaming, chunked()) == 413
    assert len(sent) < 1024
    assert _rows(world) == before


def test_signed_but_oddly_shaped_payloads_are_400_not_500(world: SlackWorld) -> None:
    odd: list[dict[str, Any]] = [
        {"type": "block_actions", "actions": []},
        {"type": "block_actions", "actions": "x", "team": {"id": TEAM}},
        {"type": "block_actions", "team": ["T1"], "user": {"id": 7}},
        {"type": "view_submission", "view": "modal"},
        {"type": "event_callback", "event": ["app_home_opened"]},
        {"type": "event_callback", "authorizations": ["T1"]},
        {"type": 3},
        {"command": ["/concern"]},
    ]
    before = _rows(world)
    for payload in odd:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        headers = _headers(body, "valid", "application/x-www-form-urlencoded", "")
        answer = world.sender.post_raw(body, headers)
        assert 400 <= answer.status_code < 500, (payload, answer.status_code)
    for raw in (b"[1, 2]", b'"text"', b"{not json", b"x" * 10, b"a=1&&b"):
        headers = _headers(raw, "valid", "application/json", "")
        answer = world.sender.post_raw(raw, headers)
        assert answer.status_code == 400, raw
    assert {k: v for k, v in _rows(world).items() if k != "inbound"} == {
        k: v for k, v in before.items() if k != "inbound"
    }
