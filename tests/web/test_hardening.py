"""Hardening of the web side: how sign-in starts, HSTS, sign-out clearing the browser,
`__Host-` cookies, /metrics kept off the public app, and a neutral page for internal faults.
(The same in a real browser: test_browser_signin.py.)"""

from __future__ import annotations

import io
import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from bot import logging as flare_logging
from bot.config import SettingsError, load_settings
from bot.metrics_listener import MetricsListener, listen_for_metrics
from bot.web.security import CSP, HEADERS, HSTS
from bot.web.sessions import CLEAR_SITE_DATA
from store.db import make_engine
from store.migrate import upgrade
from tests.web.browser import forms, links
from tests.web.conftest import World, make_world
from tests.web.flows import sign_in
from tests.web.test_signin_oidc import Idps, idps, oidc_sign_in  # noqa: F401 - fixture

TOKEN = secrets.token_urlsafe(32)
CANARY = "CANARY-internal-fault-7f3a"


def _set_cookies(response: httpx.Response) -> dict[str, str]:
    return {v.split("=", 1)[0]: v for k, v in response.headers.multi_items() if k == "set-cookie"}


def _production(tmp_path: Path, idps: Idps, **extra: Any) -> World:  # noqa: F811
    engine = make_engine(f"sqlite:///{tmp_path / 'prod.db'}")
    upgrade(engine)
    return make_world(engine, tmp_path, env="production", **idps.settings(), **extra)


# --- starting a sign-in ---------------------------------------------------------------------
def test_sign_in_buttons_are_links_not_forms(tmp_path: Path, idps: Idps) -> None:  # noqa: F811
    world = _production(tmp_path, idps)
    page = world.browser("chloe").get("/signin")
    assert not [f for f in forms(page.text) if f.action.startswith("/signin/")]
    starts = [h for h in links(page.text) if h.startswith("/signin/")]
    assert sorted(h.split("?")[0] for h in starts) == ["/signin/microsoft", "/signin/slack"]
    assert all("?csrf=" in h for h in starts)


@pytest.mark.parametrize("name", ["slack", "microsoft"])
def test_a_sign_in_not_started_from_this_browsers_page_only_shows_the_page(
    tmp_path: Path,
    idps: Idps,  # noqa: F811
    name: str,
) -> None:
    world = _production(tmp_path, idps)
    victim, attacker = world.browser("victim"), world.browser("attacker")
    victim.get("/signin")  # the victim has a browser cookie, but no token from that page
    theirs = next(h for h in links(attacker.get("/signin").text) if h.startswith(f"/signin/{name}"))
    for forged in (f"/signin/{name}", f"/signin/{name}?csrf=", theirs):
        answer = victim.get(forged)
        assert answer.status_code == 303 and answer.headers["location"] == "/signin", forged
        assert "set-cookie" not in answer.headers  # no flow was put in the browser
    assert idps.by_name(name).grants == {}  # nobody was sent to the provider
    # The old form-posted start is gone (a redirect after it broke sign-in in Chromium).
    assert victim.post(f"/signin/{name}", {}).status_code == 405


# --- HSTS, cookies, sign-out ----------------------------------------------------------------
def test_hsts_in_production_only(tmp_path: Path, idps: Idps, world: World) -> None:  # noqa: F811
    production = _production(tmp_path, idps)
    for path in ("/", "/signin", "/healthz", f"/l/{secrets.token_urlsafe(32)}"):
        assert production.browser("x").get(path).headers["Strict-Transport-Security"] == HSTS
        assert "Strict-Transport-Security" not in world.browser("x").get(path).headers


@pytest.mark.parametrize("everywhere", [False, True])
def test_sign_out_clears_site_data_and_every_flare_cookie(
    tmp_path: Path,
    idps: Idps,  # noqa: F811
    everywhere: bool,
) -> None:
    world = _production(tmp_path, idps)
    idps.as_person("slack", "chloe")
    chloe = world.browser("chloe")
    assert oidc_sign_in(world, idps, chloe, "slack").status_code == 303
    assert set(chloe.client.cookies.keys()) == {"__Host-flare_session", "__Host-flare_pre"}
    out = chloe.submit(
        chloe.form(chloe.get("/").text, "/signout"), button="everywhere" if everywhere else None
    )
    assert out.status_code == 303 and out.headers["location"] == "/"
    assert out.headers["Clear-Site-Data"] == CLEAR_SITE_DATA
    cleared = _set_cookies(out)
    assert {"__Host-flare_session", "__Host-flare_pre"} <= set(cleared)
    for name in ("__Host-flare_session", "__Host-flare_pre"):
        attributes = cleared[name].lower()
        assert "max-age=0" in attributes and "secure" in attributes and "path=/" in attributes
        assert "domain" not in attributes
    assert not any(k.startswith("__Host-flare") for k in chloe.client.cookies)
    assert "Signed in as" not in chloe.get("/").text


def test_over_plain_http_the_cookies_keep_their_plain_names(world: World) -> None:
    chloe = world.browser("chloe")
    signed = sign_in(world, chloe, "chloe")
    assert {"flare_session", "flare_pre"} <= set(_set_cookies(signed))
    out = chloe.submit(chloe.form(chloe.get("/").text, "/signout"))
    assert out.headers["Clear-Site-Data"] == CLEAR_SITE_DATA
    assert {"flare_session", "flare_pre"} <= set(_set_cookies(out))
    assert not any(k.startswith("__Host-") for k in _set_cookies(out))  # needs https
    assert "flare_session" not in chloe.client.cookies


# --- /metrics -------------------------------------------------------------------------------
def test_metrics_are_not_on_the_public_app_without_a_token(world: World) -> None:
    browser = world.browser("scraper")
    unknown = browser.get("/no-such-page")
    for headers in ({}, {"Authorization": f"Bearer {TOKEN}"}):
        answer = browser.client.get("/metrics", headers=headers)
        assert answer.status_code == 404 and answer.text == unknown.text
        assert "flare_outbox" not in answer.text


def test_metrics_on_the_public_app_need_the_bearer_token(engine: Engine, tmp_path: Path) -> None:
    world = make_world(engine, tmp_path, metrics_token=TOKEN)
    client = world.browser("scraper").client
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        refused = client.get("/metrics", headers=headers)
        assert refused.status_code == 401 and "flare_outbox" not in refused.text
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    scraped = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scraped.status_code == 200 and "flare_outbox_depth" in scraped.text


@pytest.mark.parametrize("token", ["", TOKEN], ids=["open", "token"])
def test_the_metrics_listener_serves_metrics_and_nothing_else(world: World, token: str) -> None:
    world.runtime.settings.metrics_token = token
    listener = MetricsListener(world.runtime, "127.0.0.1", 0).start()
    host, port = listener.address
    try:
        base = f"http://{host}:{port}"
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        scraped = httpx.get(f"{base}/metrics", headers=auth)
        assert scraped.status_code == 200 and "flare_outbox_depth" in scraped.text
        for path in ("/", "/signin", "/healthz", "/metrics/../signin"):
            assert httpx.get(f"{base}{path}", headers=auth).status_code == 404, path
        if token:
            assert httpx.get(f"{base}/metrics").status_code == 401
            wrong = {"Authorization": "Bearer " + "x" * len(token)}
            assert httpx.get(f"{base}/metrics", headers=wrong).status_code == 401
    finally:
        listener.stop()


def test_metrics_settings_are_checked_at_start_up(world: World) -> None:
    with pytest.raises(SettingsError) as same:
        load_settings(env="test", port=9000, metrics_port=9000)
    assert same.value.line.startswith("flare: ") and "FLARE_METRICS_PORT" in same.value.line
    with pytest.raises(SettingsError) as weak:
        load_settings(env="test", metrics_token="secret")
    assert weak.value.line.startswith("flare: bad setting FLARE_METRICS_TOKEN")
    world.runtime.settings.metrics_port = 9001
    with pytest.raises(SettingsError) as clash:
        listen_for_metrics(world.runtime, "127.0.0.1", public_port=9001)
    assert "FLARE_METRICS_PORT" in clash.value.line


# --- internal faults ------------------------------------------------------------------------
def _neutral_500(answer: httpx.Response) -> None:
    assert answer.status_code == 500
    assert "Sorry, something went wrong" in answer.text
    for leak in (CANARY, "Traceback", "Error", 'File "', "sqlite", "psycopg", "system_keys"):
        assert leak not in answer.text, leak
    assert answer.headers["Content-Security-Policy"] == CSP
    for name, value in HEADERS.items():
        assert answer.headers[name] == value, name


@pytest.fixture
def log_stream() -> io.StringIO:
    stream = io.StringIO()
    flare_logging.configure(json=True, level="INFO", stream=stream)
    return stream


def test_a_route_that_raises_gets_a_neutral_500_page(world: World, log_stream: io.StringIO) -> None:
    def broken() -> None:
        raise RuntimeError(f"{CANARY} with a client's name in it")

    world.app.add_api_route("/broken", broken)
    _neutral_500(world.browser("x").get("/broken"))
    logged = log_stream.getvalue()
    assert "web.internal_error" in logged and "RuntimeError" in logged
    assert CANARY not in logged and "Traceback" not in logged


def test_a_broken_database_gets_a_neutral_500_page(world: World, log_stream: io.StringIO) -> None:
    browser = world.browser("chloe")
    sign_in(world, browser, "chloe")
    with world.runtime.engine.begin() as connection:
        connection.execute(text("DROP TABLE system_keys"))
    world.app.state.dependencies._system_keys.clear()  # a process that has not read it yet
    for path in ("/", "/signin", "/inbox"):
        _neutral_500(browser.get(path))
    assert "web.internal_error" in log_stream.getvalue()
    assert "Traceback" not in log_stream.getvalue()
