"""/slack/events refuses bad input with a clear 4xx, changes nothing and logs none of it.

Over real HTTP against Flare on uvicorn, hypothesis sends arbitrary bodies (raw bytes, bytes
that are not UTF-8, forms, forms whose `payload` is anything, JSON of any shape with Slack's
keys and ids in it) with arbitrary content types, unsigned, badly signed (stale, another
secret, a garbage signature or timestamp) and correctly signed. Each body carries a fresh
canary. Whatever arrives: no 5xx and no traceback; a request Slack did not sign gets 401 and
changes no row; a signed one that does not parse or has the wrong shape gets 400 and changes
no row; a signed one bolt dispatches gets a 4xx or the normal 200 and raises and sends
nothing; and the canary reaches no log line at FLARE_LOG_LEVEL=DEBUG.
"""

from __future__ import annotations

import io
import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from bot.request_body import MAX_BODY
from store.models import AuditEvent, Concern, InboundEvent, OutboxMessage
from tests.conftest import TracebackCatcher
from tests.loopback import raw_post
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
TYPES = (
    "event_callback", "block_actions", "view_submission", "view_closed", "shortcut",
    "message_action", "url_verification", "block_suggestion", "app_rate_limited",
)  # fmt: skip
# Flare's listeners: commands, shortcuts, buttons, modal steps and events they match on.
CALLBACKS = ("flare_raise", "flare_raise_send", "flare_raise_message", "flare_raise_sent")
ACTIONS = ("flare_acknowledge", "flare_open", "flare_open_1", "flare_home_raise")
EVENTS = ("app_home_opened", "app_uninstalled", "tokens_revoked", "message", "app_mention")
CONTENT_TYPES = (
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "multipart/form-data; boundary=x",
    "",
)
BAD_SIGNINGS = ("none", "stale", "other_secret", "garbage", "bad_timestamp")


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


FORM = "application/x-www-form-urlencoded"


@st.composite
def envelopes(draw: st.DrawFn, canary: str) -> dict[str, Any]:
    """A payload with Slack's ids where bolt and Flare's listeners look for them (so it is
    dispatched to a listener), and anything at all in the places they then read."""
    anything = _json_values(canary)
    ids = st.sampled_from(SLACK_WORDS)
    kind = draw(st.sampled_from(("command", *TYPES)))
    user = draw(st.sampled_from(("UAMARA", "UCHLOE", "UNOBODY")))
    envelope: dict[str, Any] = {
        "type": kind,
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user, "team_id": TEAM},
        "trigger_id": f"trig.{secrets.token_hex(4)}",
        "token": "legacy",
    }
    if kind == "command":
        envelope.update(command="/concern", team_id=TEAM, user_id=user, text=canary)
        envelope["channel_id"] = draw(st.sampled_from(("C1", "DCHANNEL")))
    elif kind == "event_callback":
        event = draw(st.dictionaries(st.sampled_from(SLACK_KEYS), anything, max_size=4))
        event.update(type=draw(st.sampled_from(EVENTS)), user=user, text=canary)
        envelope = {"type": kind, "team_id": TEAM, "event_id": f"Ev{secrets.token_hex(4)}"}
        envelope["event"] = event
    elif kind == "block_actions":
        action = {"action_id": draw(st.sampled_from(ACTIONS)), "block_id": "b", "type": "button"}
        action["value"] = draw(st.one_of(ids, st.text(max_size=40).map(lambda t: t + canary)))
        envelope["actions"] = [action]
        if draw(st.booleans()):
            envelope["container"] = {"type": "message", "channel_id": "D1", "message_ts": "1.2"}
            envelope["channel"] = {"id": "D1"}
    elif kind in ("view_submission", "view_closed"):
        view: dict[str, Any] = {
            "id": "V1",
            "type": "modal",
            "callback_id": draw(st.sampled_from(CALLBACKS)),
        }
        view["state"] = {"values": draw(anything)}
        view["private_metadata"] = draw(st.one_of(st.text(max_size=20), anything.map(json.dumps)))
        envelope["view"] = view
    else:
        envelope["callback_id"] = draw(st.sampled_from(CALLBACKS))
        envelope["message"] = {"type": "message", "text": canary, "ts": "1.2", "user": user}
    extra = draw(st.dictionaries(st.sampled_from(SLACK_KEYS), anything, max_size=2))
    return {**envelope, **extra} if draw(st.integers(0, 3)) == 0 else envelope


@st.composite
def bodies(draw: st.DrawFn, canary: str) -> tuple[bytes, str]:
    """Anything a client could post, with the canary somewhere in it; and the content type
    that goes with it (the test sometimes sends another)."""
    kind = draw(
        st.sampled_from(("envelope", "envelope", "bytes", "not_utf8", "json", "form", "payload"))
    )
    if kind == "bytes":
        raw = draw(st.binary(max_size=300))
        cut = draw(st.integers(0, len(raw)))
        return raw[:cut] + canary.encode() + raw[cut:], "application/octet-stream"
    if kind == "not_utf8":
        return b"\xff\xfe" + canary.encode() + draw(st.binary(max_size=50)) + b"\xc3\x28", FORM
    value = draw(_json_values(canary))
    if kind == "json":
        return json.dumps(value).encode(), "application/json"
    if kind == "envelope":  # Slack's outline with odd insides: reaches bolt and the listeners
        envelope = draw(envelopes(canary))
        if envelope["type"] != "command" and draw(st.booleans()):
            return json.dumps(envelope).encode(), "application/json"
        if envelope["type"] == "command":
            command = {k: v for k, v in envelope.items() if isinstance(v, str) and k != "type"}
            return urlencode(command).encode(), FORM
        return urlencode({"payload": json.dumps(envelope)}).encode(), FORM
    fields = draw(st.dictionaries(st.sampled_from(SLACK_KEYS), st.text(max_size=12), max_size=6))
    fields["text"] = canary
    if kind == "payload":
        as_json = draw(st.booleans())
        fields["payload"] = json.dumps(value) if as_json else f"{{{canary}"
    return urlencode(fields).encode(), FORM


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
            # A signed command from an earlier example may still be identifying its sender on
            # the fill-in thread; that refusal's audit row is its own, not this request's.
            "audit": s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action != "identity.refused")
            )
            or 0,
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
    body, natural = data.draw(bodies(canary), label="body")
    signed = data.draw(st.sampled_from((True, True, False)), label="signed")
    signing = "valid" if signed else data.draw(st.sampled_from(BAD_SIGNINGS), label="signing")
    content_type = data.draw(st.sampled_from((natural, *CONTENT_TYPES)), label="content type")
    headers = _headers(body, signing, content_type, canary)
    if data.draw(st.booleans(), label="retry"):
        headers["X-Slack-Retry-Num"] = data.draw(st.sampled_from(("1", "2", canary)))
    before = _rows(world)

    answer = world.sender.post_raw(body, headers)

    event(f"{'signed' if signed else 'unsigned'} -> {answer.status_code} {answer.text[:30]}")
    assert answer.status_code < 500, answer.text
    assert no_traceback_logged.caught == []
    after = _rows(world)
    if signing != "valid":
        assert answer.status_code == 401 and answer.json() == {"error": "unauthorized"}
        assert after == before
    else:
        assert answer.status_code in (200, 400, 401, 404), answer.text
        # Dispatched: the ledger notes the delivery, identification may audit who asked;
        # nothing is raised and nothing is sent.
        assert (after["concerns"], after["outbox"]) == (before["concerns"], before["outbox"])
        if answer.status_code == 400 and answer.json()["error"] != "bad request":
            assert after == before  # refused before bolt: not a row changed
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
