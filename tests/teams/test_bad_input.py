"""/api/messages refuses bad input with a clear 4xx, changes nothing and logs none of it.

Over real HTTP against Flare on uvicorn, hypothesis sends arbitrary bodies (raw bytes, bytes
that are not UTF-8, JSON of any shape, activity-like objects with Teams' keys and odd values)
with no token, a forged one (garbage, another key, for another service URL) or a valid one
from the fake Bot Framework OpenID issuer. Each body carries a fresh canary. Whatever
arrives: no 5xx and no traceback; without a valid token, 401 and no row changes; with one,
400 for a body that is not an activity (no row changes), or the activity is handled (the
normal 200, or a 400 logged by type) and raises and sends nothing; and the canary reaches
no log line at FLARE_LOG_LEVEL=DEBUG.
"""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.request_body import MAX_BODY
from tests.conftest import TracebackCatcher
from tests.loopback import raw_post
from tests.teams.fake_connector import APP_ID, TENANT_ID, FakeTeams
from tests.teams.fake_openid import new_rsa_key
from tests.teams.inbound_world import TeamsWorld, teams_world

ACTIVITY_KEYS = (
    "type", "id", "name", "serviceUrl", "channelId", "from", "recipient", "conversation",
    "channelData", "text", "value", "action", "membersAdded", "aadObjectId", "tenantId",
    "tenant", "conversationType", "commandId", "data", "messagePayload",
)  # fmt: skip
TEAMS_WORDS = (
    "message", "invoke", "conversationUpdate", "installationUpdate", "msteams", "personal",
    "help", "inbox", "add", "task/fetch", "task/submit", "composeExtension/fetchTask",
    "composeExtension/submitAction", "adaptiveCard/action", TENANT_ID, f"28:{APP_ID}",
)  # fmt: skip
BAD_TOKENS = ("none", "garbage", "other_key", "other_service_url")


def _json_values(canary: str) -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from(TEAMS_WORDS),
        st.text(max_size=12).map(lambda t: f"{t}{canary}"),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(
                st.one_of(st.sampled_from(ACTIVITY_KEYS), st.text(max_size=8)), inner, max_size=6
            ),
        ),
        max_leaves=20,
    )


@st.composite
def bodies(draw: st.DrawFn, canary: str, service_url: str) -> bytes:
    """Anything a client could post, with the canary somewhere in it."""
    kind = draw(st.sampled_from(("activity", "bytes", "not_utf8", "json")))
    if kind == "bytes":
        raw = draw(st.binary(max_size=300))
        cut = draw(st.integers(0, len(raw)))
        return raw[:cut] + canary.encode() + raw[cut:]
    if kind == "not_utf8":
        return b'{"type": "message", "text": "\xff' + canary.encode() + b'"}'
    value = draw(_json_values(canary))
    if kind == "json":
        return json.dumps(value).encode()
    activity = draw(st.dictionaries(st.sampled_from(ACTIVITY_KEYS), _json_values(canary)))
    activity.setdefault("type", draw(st.sampled_from(TEAMS_WORDS)))
    activity.setdefault("text", canary)
    if draw(st.integers(0, 4)):  # mostly the service URL and channel the token vouches for
        activity.update(serviceUrl=service_url, channelId="msteams")
    return json.dumps(activity).encode()


def _authorization(world: TeamsWorld, kind: str, canary: str) -> dict[str, str]:
    url = world.teams.connector.url
    token = {
        "none": None,
        "valid": lambda: world.issuer.token(url),
        "garbage": lambda: f"ey{canary}.x.y",
        "other_key": lambda: world.issuer.token(url, key=new_rsa_key()),
        "other_service_url": lambda: world.issuer.token("https://evil.example/"),
    }[kind]
    return {"Authorization": f"Bearer {token()}"} if token else {}


@pytest.fixture
def world(
    engine: Engine,
    tmp_path: Path,
    teams: FakeTeams,
    monkeypatch: pytest.MonkeyPatch,
    debug_logs: io.StringIO,
) -> Iterator[TeamsWorld]:
    with teams_world(engine, tmp_path, teams, monkeypatch) as w:
        w.put_on_teams("chloe", "dev")
        yield w


def _post(world: TeamsWorld, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{world.url}/api/messages", content=body, headers=headers, timeout=20)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_bad_input_gets_a_4xx_changes_nothing_and_logs_none_of_it(
    world: TeamsWorld,
    debug_logs: io.StringIO,
    no_traceback_logged: TracebackCatcher,
    data: st.DataObject,
) -> None:
    canary = f"qz{secrets.token_hex(5)}zq"
    body = data.draw(bodies(canary, world.teams.connector.url), label="body")
    signed = data.draw(st.sampled_from((True, True, False)), label="signed")
    token = "valid" if signed else data.draw(st.sampled_from(BAD_TOKENS), label="token")
    content_type = data.draw(st.sampled_from(("application/json", "text/plain", "")))
    headers = {"Content-Type": content_type} if content_type else {}
    headers.update(_authorization(world, token, canary))
    before = world.counts()
    sent_before = len(world.teams.connector.requests)

    answer = _post(world, body, headers)

    event(f"{'signed' if signed else 'unsigned'} -> {answer.status_code}")
    assert answer.status_code < 500, answer.text
    assert no_traceback_logged.caught == []
    after = world.counts()
    if token == "other_service_url":  # a real token, bound to the activity once parsed
        assert answer.status_code in (400, 401)
        assert after == before and len(world.teams.connector.requests) == sent_before
    elif token != "valid":
        assert answer.status_code == 401 and answer.json() == {"error": "unauthorized"}
        assert after == before and len(world.teams.connector.requests) == sent_before
    elif answer.status_code >= 400 and answer.json()["error"] != "bad request":
        assert answer.status_code in (400, 401), answer.text
        assert after == before  # refused before it was handled: not a row changed
    else:  # handled: identification may audit who asked; nothing is raised or sent
        assert (after["concerns"], after["outbox"]) == (before["concerns"], before["outbox"])
    assert canary not in debug_logs.getvalue()
    if answer.status_code >= 400:
        assert canary not in answer.text


def test_a_body_over_one_mebibyte_gets_413_unread(world: TeamsWorld) -> None:
    before = world.counts()
    headers = {"Content-Type": "application/json", **_authorization(world, "valid", "")}
    big = json.dumps({"type": "message", "text": "x" * MAX_BODY}).encode()
    assert _post(world, big, headers).status_code == 413
    declared = {**headers, "Content-Length": str(MAX_BODY + 1)}
    assert raw_post(f"{world.url}/api/messages", declared, iter([])) == 413
    assert world.counts() == before
    assert world.teams.connector.requests == []


def test_the_token_is_checked_before_the_body_is_parsed(
    world: TeamsWorld, debug_logs: io.StringIO
) -> None:
    """Without a valid token even a body that is not JSON gets 401, not 400."""
    for body in (b"\xff\xfe not utf-8", b"{not json", b"[1, 2]"):
        answer = _post(world, body, {"Content-Type": "application/json"})
        assert answer.status_code == 401
    headers = _authorization(world, "valid", "")
    assert _post(world, b"{not json", headers).status_code == 400
    activity = world.activity("chloe", "message", text="help")
    activity["serviceUrl"] = "https://evil.example/"
    assert _post(world, json.dumps(activity).encode(), headers).status_code == 401
    refusals = [json.loads(line) for line in debug_logs.getvalue().splitlines() if "{" in line]
    reasons = [r.get("reason") for r in refusals if r.get("event", "").startswith("teams.")]
    assert reasons[:3] == ["no_bearer"] * 3 and "service_url" in reasons
