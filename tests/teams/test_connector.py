"""BotConnector and BotTokens against the fakes: members, 401 refresh, faults, bad credentials."""

from __future__ import annotations

import socket

import pytest

from bot.teams.connector import BotConnector, ConversationRef, Done, Refused, Retry, retry_after
from bot.teams.tokens import BotTokens, TokenError, authority_for
from tests.teams.fake_connector import APP_ID, APP_PASSWORD, TENANT_ID, FakeTeams


def _connector(teams: FakeTeams, password: str = APP_PASSWORD) -> BotConnector:
    tokens = BotTokens(
        app_id=APP_ID,
        password=password,
        tenant_id=TENANT_ID,
        authority_url=teams.login.url,
        verify=str(teams.login.cert_path),
    )
    return BotConnector(tokens, app_id=APP_ID, timeout=2.0)


def _chat(teams: FakeTeams, connector: BotConnector, aad: str) -> ConversationRef:
    outcome = connector.create_conversation(
        service_url=teams.connector.url, tenant_id=TENANT_ID, member_id=aad
    )
    assert isinstance(outcome, Done)
    return ConversationRef(outcome.body["id"], teams.connector.url, TENANT_ID)


def test_member_lookup_gives_the_upn_and_email(teams: FakeTeams) -> None:
    user_id = teams.connector.add_member(aad_object_id="aad-1", upn="nurse@school.test")
    connector = _connector(teams)
    chat = _chat(teams, connector, "aad-1")
    found = connector.member(chat, user_id)
    assert isinstance(found, Done)
    assert found.body["userPrincipalName"] == "nurse@school.test"
    assert found.body["aadObjectId"] == "aad-1"
    assert connector.member(chat, "29:nobody") == Refused("http 404", 404)


def test_the_same_member_gets_the_same_conversation(teams: FakeTeams) -> None:
    teams.connector.add_member(aad_object_id="aad-2", upn="lead@school.test")
    connector = _connector(teams)
    assert _chat(teams, connector, "aad-2") == _chat(teams, connector, "aad-2")


def test_a_401_drops_the_cached_token_and_the_next_call_gets_a_new_one(teams: FakeTeams) -> None:
    teams.connector.add_member(aad_object_id="aad-3", upn="x@school.test")
    connector = _connector(teams)
    chat = _chat(teams, connector, "aad-3")
    teams.login.issued.clear()  # the service no longer accepts the cached token
    assert connector.send(chat, {"type": "message"}) == Retry("unauthorised: token refreshed")
    assert isinstance(connector.send(chat, {"type": "message"}), Done)
    assert len(teams.login.token_requests) == 2


def test_faults_map_to_retry_with_the_right_ambiguity(teams: FakeTeams) -> None:
    teams.connector.add_member(aad_object_id="aad-4", upn="y@school.test")
    connector = _connector(teams)
    chat = _chat(teams, connector, "aad-4")
    teams.connector.fail_next(429, retry_after="7")
    assert connector.send(chat, {"type": "message"}) == Retry("http 429", after=7.0)
    teams.connector.fail_next(503)
    assert connector.send(chat, {"type": "message"}) == Retry("http 503", ambiguous=True)
    teams.connector.fail_next(502)
    assert connector.update(chat, "1:x", {"type": "message"}) == Retry("http 502")  # PUT: safe
    teams.connector.fail_next(403)
    assert connector.send(chat, {"type": "message"}) == Refused("http 403", 403)


def test_nothing_listening_is_a_plain_retry(teams: FakeTeams) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    connector = _connector(teams)
    chat = ConversationRef("a:x", f"http://127.0.0.1:{port}/", TENANT_ID)
    outcome = connector.send(chat, {"type": "message"})
    assert isinstance(outcome, Retry) and not outcome.ambiguous


def test_a_wrong_password_is_a_permanent_token_error(teams: FakeTeams) -> None:
    tokens = BotTokens(
        app_id=APP_ID,
        password="wrong",
        tenant_id=TENANT_ID,
        authority_url=teams.login.url,
        verify=str(teams.login.cert_path),
    )
    with pytest.raises(TokenError) as caught:
        tokens.token()
    assert not caught.value.transient and "invalid_client" in caught.value.reason
    assert "wrong" not in caught.value.reason


def test_authority_and_retry_after_parsing() -> None:
    assert authority_for("") == "https://login.microsoftonline.com/botframework.com"
    assert (
        authority_for(TENANT_ID, "https://login.example/") == f"https://login.example/{TENANT_ID}"
    )
    assert retry_after("12") == 12.0
    assert retry_after("soon") is None and retry_after(None) is None
    assert retry_after("999999") == 3600.0
