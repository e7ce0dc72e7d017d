"""POST /api/messages over real HTTP: forged tokens get 401 and change nothing."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from tests.teams.fake_connector import FakeTeams
from tests.teams.fake_openid import new_rsa_key
from tests.teams.inbound_world import TeamsWorld, teams_world


@pytest.fixture
def world(
    engine: Engine, tmp_path: Path, teams: FakeTeams, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TeamsWorld]:
    with teams_world(engine, tmp_path, teams, monkeypatch) as w:
        w.put_on_teams("chloe")
        yield w


FORGERIES: dict[str, Callable[[TeamsWorld, str], str]] = {
    "wrong-issuer": lambda w, url: w.issuer.token(url, iss="https://sts.windows.net/x/"),
    "wrong-audience": lambda w, url: w.issuer.token(url, aud="some-other-bot"),
    "expired": lambda w, url: w.issuer.token(
        url, exp=int(time.time()) - 400, nbf=int(time.time()) - 4000
    ),
    "unknown-kid": lambda w, url: w.issuer.token(url, kid="nobody", key=new_rsa_key()),
    "alg-none": lambda w, url: w.issuer.token(url, algorithm="none"),
    "alg-hs256": lambda w, url: w.issuer.token(url, algorithm="HS256"),
    "other-key": lambda w, url: w.issuer.token(url, key=new_rsa_key()),
    "mismatched-service-url": lambda w, url: w.issuer.token("https://evil.example/"),
    "no-token": lambda w, url: "",
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_forged_tokens_get_401_and_change_nothing(world: TeamsWorld, forgery: str) -> None:
    before = world.counts()
    activity = world.activity("chloe", "message", text="inbox")
    token = FORGERIES[forgery](world, activity["serviceUrl"])
    answer = world.post(activity, token=token)
    assert answer.status_code == 401
    assert answer.json() == {"error": "unauthorized"}
    assert world.counts() == before
    assert world.linked("chloe") == (None, None, None)
    assert world.teams.connector.requests == []  # no reply, no member lookup


def test_a_valid_token_is_accepted(world: TeamsWorld) -> None:
    answer = world.say("chloe", "help")
    assert answer.status_code == 200
    tenant, aad, conversation = world.linked("chloe")
    assert aad == world.aad["chloe"] and tenant and conversation
    assert len(world.messages("chloe")) == 1


def test_the_issuer_rolling_its_key_is_followed(world: TeamsWorld) -> None:
    assert world.say("chloe", "help").status_code == 200
    world.issuer.rotate()
    # Inside the cool-down a new key id is refused; the Bot Connector retries later.
    assert world.say("chloe", "help").status_code == 401
    hits = world.issuer.jwks_hits
    assert hits == 1


def test_not_json_or_not_an_activity_is_400(world: TeamsWorld) -> None:
    token = world.issuer.token(world.teams.connector.url)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for body in (b"{not json", b"[1, 2]", b'{"no": "type"}'):
        answer = httpx.post(f"{world.url}/api/messages", content=body, headers=headers)
        assert answer.status_code == 400
    assert world.teams.connector.requests == []


def test_a_user_from_another_tenant_is_refused_politely(world: TeamsWorld) -> None:
    activity = world.activity("chloe", "message", text="help")
    activity["channelData"] = {"tenant": {"id": "99999999-9999-9999-9999-999999999999"}}
    activity["conversation"]["tenantId"] = "99999999-9999-9999-9999-999999999999"
    assert world.post(activity).status_code == 200
    assert world.linked("chloe") == (None, None, None)
    (reply,) = world.messages("chloe")
    assert "not registered in Flare" in reply.activity["text"]
