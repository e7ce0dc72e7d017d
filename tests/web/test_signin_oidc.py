"""Sign in with Slack and with Microsoft Entra against fake providers over loopback.

The browser is driven through Flare's own pages; the provider's side (the person agreeing)
is a real HTTP request to the fake's authorize endpoint, whose redirect is then followed
back into Flare. Every refusal must leave the browser without a session.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import Engine, select

from bot.demo import SLACK_WORKSPACE
from bot.web.security import HSTS
from store.db import make_engine
from store.migrate import upgrade
from store.models import AuditEvent, Delivery, OutboxMessage, WebSession
from tests.loopback import self_signed_certificate
from tests.web.browser import Browser, links
from tests.web.conftest import World, make_world
from tests.web.fake_oidc import (
    CLIENT_ID,
    CLIENT_SECRET,
    TENANT,
    FakeProvider,
    Person,
    Running,
)
from tests.web.flows import pointer_path, raise_concern, sign_in

PROVIDERS = ("slack", "microsoft")
FAILURES = ("nonce", "expired", "audience", "signature")


class Idps:
    def __init__(self, slack: Running, entra: Running, ca: Path) -> None:
        self.slack, self.entra, self.ca = slack.provider, entra.provider, ca

    def by_name(self, name: str) -> FakeProvider:
        return self.slack if name == "slack" else self.entra

    def settings(self) -> dict[str, Any]:
        return {
            "slack_client_id": CLIENT_ID,
            "slack_client_secret": CLIENT_SECRET,
            "slack_signing_secret": "signing-secret",
            "slack_oidc_url": self.slack.base,
            "entra_client_id": CLIENT_ID,
            "entra_client_secret": CLIENT_SECRET,
            "entra_authority": f"{self.entra.base}/{TENANT}",
        }

    def as_person(self, name: str, ref: str, *, email: str | None = None) -> None:
        """The next sign-in at provider `name` is the demo practitioner `ref`."""
        workspace = SLACK_WORKSPACE if name == "slack" else TENANT
        address = email or f"{ref}@demo.flare.invalid"
        self.by_name(name).person = Person(f"U-{ref}", workspace, address)


@pytest.fixture
def idps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Idps]:
    cert, key = self_signed_certificate(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))  # msal's requests trusts the fake
    slack = Running(FakeProvider("slack"))
    entra = Running(FakeProvider("entra"), tls=(cert, key))
    yield Idps(slack, entra, cert)
    slack.stop()
    entra.stop()


@pytest.fixture
def oidc_world(engine: Engine, tmp_path: Path, idps: Idps) -> World:
    return make_world(engine, tmp_path, **idps.settings())


def at_provider(idps: Idps, name: str, started: httpx.Response) -> str:
    """The person agrees at the provider: where the provider sends the browser back."""
    assert started.status_code == 303, started.text[:300]
    location = started.headers["location"]
    fake = idps.by_name(name)
    assert location.startswith(fake.base)
    trust = ssl.create_default_context(cafile=str(idps.ca))
    answer = httpx.get(location, verify=trust, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def oidc_sign_in(
    world: World, idps: Idps, browser: Browser, name: str, *, state: str | None = None
) -> httpx.Response:
    page = browser.get("/signin")
    assert page.status_code == 200
    back = at_provider(idps, name, browser.click(page.text, f"/signin/{name}"))
    if state is not None:
        parts = urlsplit(back)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()} | {"state": state}
        back = f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}"
    assert urlsplit(back).path == f"/signin/{name}/callback"
    return browser.get(back)


def sessions(world: World) -> list[tuple[str, str, str]]:
    """(provider, practitioner id, issuer) of every session on the server."""
    with world.runtime.uow() as uow:
        rows = uow.session.scalars(select(WebSession))
        return [(r.provider, r.practitioner_id, r.issuer) for r in rows]


def refusals(world: World) -> list[dict[str, str]]:
    with world.runtime.uow() as uow:
        rows = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "session.signin_refused")
        )
        return [dict(r.detail) for r in rows]


@pytest.mark.parametrize("name", PROVIDERS)
def test_sign_in_links_the_identity_and_starts_a_session(
    oidc_world: World, idps: Idps, name: str
) -> None:
    world = oidc_world
    idps.as_person(name, "chloe")
    chloe = world.browser("chloe")
    done = oidc_sign_in(world, idps, chloe, name)
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert "Signed in as Chloe Patel" in chloe.get("/").text
    assert sessions(world) == [(name, world.people["chloe"], idps.by_name(name).issuer)]
    # The identity is linked now: the next sign-in finds her by it, not by email.
    with world.runtime.uow() as uow:
        person = uow.directory.practitioner(world.people["chloe"])
        assert person is not None
        linked = (
            (person.slack_team_id, person.slack_user_id)
            if name == "slack"
            else (person.teams_tenant_id, person.teams_aad_object_id)
        )
    assert linked == (idps.by_name(name).person.workspace, "U-chloe")  # type: ignore[union-attr]
    # PKCE: the token request carried the verifier (the fake checks it against the challenge).
    assert idps.by_name(name).token_requests[-1]["code_verifier"]
    assert "session.signed_in" in world.audit_actions()


@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("name", PROVIDERS)
def test_a_bad_id_token_is_refused_without_a_session(
    oidc_world: World, idps: Idps, name: str, failure: str
) -> None:
    world = oidc_world
    idps.as_person(name, "chloe")
    idps.by_name(name).misbehave = failure
    browser = world.browser("chloe")
    refused = oidc_sign_in(world, idps, browser, name)
    assert refused.status_code == 400 and "You are not signed in" in refused.text
    assert "flare_session" not in browser.client.cookies
    assert "Signed in as" not in browser.get("/").text
    assert sessions(world) == []
    assert [r["provider"] for r in refusals(world)] == [name]


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_wrong_state_is_refused_before_the_code_is_used(
    oidc_world: World, idps: Idps, name: str
) -> None:
    world = oidc_world
    idps.as_person(name, "chloe")
    browser = world.browser("chloe")
    refused = oidc_sign_in(world, idps, browser, name, state="forged-state")
    assert refused.status_code == 400
    assert "flare_session" not in browser.client.cookies and sessions(world) == []
    assert refusals(world) == [{"provider": name, "reason": "state"}]
    assert idps.by_name(name).token_requests == []  # the code was never exchanged


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_callback_is_good_once_and_only_in_the_browser_that_started_it(
    oidc_world: World, idps: Idps, name: str
) -> None:
    world = oidc_world
    idps.as_person(name, "chloe")
    victim = world.browser("victim")
    page = victim.get("/signin")
    back = at_provider(idps, name, victim.click(page.text, f"/signin/{name}"))
    # Login CSRF: an attacker's callback URL opened in another browser does nothing.
    other = world.browser("other")
    assert other.get(back).status_code == 400
    assert victim.get(back).status_code == 303  # the right browser, once
    assert victim.get(back).status_code == 400  # replayed: the flow was used up
    assert len(sessions(world)) == 1


def test_a_tampered_browser_cookie_loses_the_sign_in(oidc_world: World, idps: Idps) -> None:
    world = oidc_world
    idps.as_person("slack", "chloe")
    browser = world.browser("chloe")
    page = browser.get("/signin")
    back = at_provider(idps, "slack", browser.click(page.text, "/signin/slack"))
    signed = browser.client.cookies["flare_pre"]
    browser.client.cookies.set(
        "flare_pre", signed[:-3] + ("AAA" if signed[-3:] != "AAA" else "BBB")
    )
    assert browser.get(back).status_code == 400
    assert sessions(world) == []


@pytest.mark.parametrize("name", PROVIDERS)
def test_someone_not_in_the_directory_is_told_whom_to_ask(
    oidc_world: World, idps: Idps, name: str
) -> None:
    world = oidc_world
    idps.as_person(name, "stranger", email="stranger@elsewhere.invalid")
    browser = world.browser("stranger")
    refused = oidc_sign_in(world, idps, browser, name)
    assert refused.status_code == 403
    assert "Flare administrator" in refused.text
    assert sessions(world) == [] and "flare_session" not in browser.client.cookies
    (refusal,) = refusals(world)
    assert (refusal["provider"], refusal["reason"]) == (name, "identity_no_match")
    person = idps.by_name(name).person
    assert person is not None
    assert refusal["user"] == person.user  # ids, never the e-mail
    assert "@" not in str(refusal)


def test_an_unverified_slack_email_does_not_link(oidc_world: World, idps: Idps) -> None:
    world = oidc_world
    idps.slack.person = Person(
        "U-x", SLACK_WORKSPACE, "chloe@demo.flare.invalid", email_verified=False
    )
    browser = world.browser("x")
    assert oidc_sign_in(world, idps, browser, "slack").status_code == 403
    assert sessions(world) == []


def _raised_for_chloe(world: World) -> tuple[str, str]:
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    concern_id = raise_concern(world, amara, "C-1001")
    world.deliver()
    return concern_id, pointer_path(world, "chloe", concern_id)


@pytest.mark.parametrize("name", PROVIDERS)
def test_the_link_opens_after_sign_in_for_its_recipient(
    oidc_world: World, idps: Idps, name: str
) -> None:
    world = oidc_world
    concern_id, link = _raised_for_chloe(world)
    idps.as_person(name, "chloe")
    chloe = world.browser("chloe")
    to_signin = chloe.submit(chloe.form(chloe.get(link).text))
    assert to_signin.headers["location"] == "/signin"
    opened = oidc_sign_in(world, idps, chloe, name)
    assert opened.status_code == 303 and opened.headers["location"] == f"/concerns/{concern_id}"
    assert "flare_session" in chloe.client.cookies
    assert "Always hungry" in chloe.follow(opened).text
    assert world.delivery(concern_id, "chloe").opened_at is not None


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_forwarded_link_is_refused_audited_and_the_recipient_told(
    oidc_world: World, idps: Idps, name: str
) -> None:
    world = oidc_world
    concern_id, link = _raised_for_chloe(world)
    idps.as_person(name, "dev")  # Chloe forwarded her link to Dev
    dev = world.browser("dev")
    dev.submit(dev.form(dev.get(link).text))
    refused = oidc_sign_in(world, idps, dev, name)
    assert refused.status_code == 403
    assert "This link was sent to someone else" in refused.text
    assert "Always hungry" not in refused.text
    assert world.delivery(concern_id, "chloe").opened_at is None
    with world.runtime.uow() as uow:
        audit = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "link.refused")
        ).one()
        assert audit.actor_id == world.people["dev"]
        assert audit.detail["recipient"] == world.people["chloe"]
        told = uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "forwarded_attempt")
        ).all()
    assert len(told) == 1
    world.deliver()
    [pointer] = [m for m in world.chat("chloe") if m.kind == "forwarded_attempt"]
    assert pointer.link is None and "Someone else tried to open a link" in pointer.title
    # Dev is signed in as himself (the refusal is about the link, not his sign-in).
    assert "Signed in as Dev" in dev.get("/").text


@pytest.mark.parametrize(("platform", "first"), [("teams", "microsoft"), ("slack", "slack")])
def test_sign_in_offers_first_the_platform_the_pointer_came_from(
    oidc_world: World, idps: Idps, platform: str, first: str
) -> None:
    world = oidc_world
    concern_id, link = _raised_for_chloe(world)
    with world.runtime.uow() as uow:
        delivery = uow.session.scalars(
            select(Delivery).where(
                Delivery.concern_id == concern_id, Delivery.recipient_id == world.people["chloe"]
            )
        ).one()
        delivery.platform = platform
        uow.commit()
    chloe = world.browser("chloe")
    chloe.follow(chloe.submit(chloe.form(chloe.get(link).text)))
    page = chloe.get("/signin")
    actions = [urlsplit(h).path for h in links(page.text) if h.startswith("/signin/")]
    assert actions[0] == f"/signin/{first}" and set(actions[:2]) == {
        "/signin/slack",
        "/signin/microsoft",
    }


def test_return_url_is_flares_own_page_only(oidc_world: World, idps: Idps) -> None:
    world = oidc_world
    idps.as_person("slack", "amara")
    amara = world.browser("amara")
    assert amara.get("/raise").headers["location"] == "/signin"  # remembers /raise
    page = amara.get("/signin")
    back = at_provider(idps, "slack", amara.click(page.text, "/signin/slack"))
    # Parameters added to the callback cannot choose where the browser goes next.
    done = amara.get(back + "&next=https%3A%2F%2Fevil.example%2F&return_to=//evil.example")
    assert done.status_code == 303 and done.headers["location"] == "/raise"


def test_production_offers_real_sign_in_only(
    tmp_path: Path, idps: Idps, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'prod.db'}")
    upgrade(engine)
    world = make_world(engine, tmp_path, env="production", **idps.settings())
    visitor = world.browser("chloe")
    page = visitor.get("/signin")
    assert page.status_code == 200
    assert "Sign in with Slack" in page.text and "Sign in with Microsoft" in page.text
    assert "/signin/demo" not in page.text
    demo = visitor.post("/signin/demo", {"practitioner_id": world.people["chloe"]})
    assert demo.status_code == 404
    for name in PROVIDERS:
        idps.as_person(name, "chloe")
        browser = world.browser(f"chloe-{name}")
        done = oidc_sign_in(world, idps, browser, name)
        assert done.status_code == 303
        set_cookies = [v for k, v in done.headers.multi_items() if k == "set-cookie"]
        assert {c.split("=", 1)[0] for c in set_cookies} == {
            "__Host-flare_session",
            "__Host-flare_pre",
        }
        for cookie in set_cookies:  # __Host-: Secure, Path=/, no Domain; a browser session
            attributes = {a.strip().lower().split("=")[0] for a in cookie.split(";")[1:]}
            assert attributes == {"httponly", "secure", "samesite", "path"}, cookie
            assert "path=/" in cookie.lower() and "samesite=lax" in cookie.lower()
        assert "Signed in as Chloe Patel" in browser.get("/").text
    for visit in world.visits:  # sign-in pages and callbacks included
        headers = visit.response.headers
        assert headers["Cache-Control"] == "no-store", visit.path
        assert headers["Strict-Transport-Security"] == HSTS, visit.path
        assert "unsafe-inline" not in headers["Content-Security-Policy"]
        # Script only from Flare's own files (the quick-exit script), nothing inline or foreign.
        assert "script-src 'self';" in headers["Content-Security-Policy"]
    engine.dispose()


def test_an_unreachable_provider_is_a_clear_refusal(engine: Engine, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    world = make_world(
        engine,
        tmp_path,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_signing_secret="signing-secret",
        slack_oidc_url=f"http://127.0.0.1:{port}",
        entra_client_id=CLIENT_ID,
        entra_client_secret=CLIENT_SECRET,
        entra_authority=f"https://127.0.0.1:{port}/{TENANT}",
    )
    browser = world.browser("chloe")
    page = browser.get("/signin")
    entra = browser.click(page.text, "/signin/microsoft")
    assert entra.status_code == 400 and "You are not signed in" in entra.text
    assert refusals(world) == [{"provider": "microsoft", "reason": "provider_unavailable"}]
    # Slack's authorize step is only a redirect; the exchange then fails cleanly.
    started = browser.click(browser.get("/signin").text, "/signin/slack")
    state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
    back = browser.get(f"/signin/slack/callback?code=abc&state={state}")
    assert back.status_code == 400 and sessions(world) == []
    assert refusals(world)[-1] == {"provider": "slack", "reason": "token_exchange"}
