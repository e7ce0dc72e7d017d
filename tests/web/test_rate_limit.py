"""Failed link-token guesses are limited per client address and in total; logs keep no tokens."""

from __future__ import annotations

import io
import logging
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
import uvicorn
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.logging import configure
from bot.web.throttle import GuessLimiter
from store.db import make_engine
from store.migrate import upgrade
from tests.web.browser import Browser
from tests.web.conftest import World, make_world
from tests.web.flows import pointer_path, raise_concern, sign_in


def _limited_world(tmp_path: Path, **limits: Any) -> World:
    engine = make_engine(f"sqlite:///{tmp_path / 'limits.db'}")
    upgrade(engine)
    return make_world(engine, tmp_path, **limits)


def _open(browser: Browser, path: str) -> httpx.Response:
    return browser.submit(browser.form(browser.get(path).text))


def _chloes_link(world: World) -> str:
    amara = world.browser("amara", address="10.0.0.1")
    sign_in(world, amara, "amara")
    concern_id = raise_concern(world, amara, "C-1001")
    world.deliver()
    return pointer_path(world, "chloe", concern_id)


def _guess() -> str:
    return f"/l/{secrets.token_urlsafe(32)}"


def test_one_address_gets_a_few_guesses_a_minute(tmp_path: Path) -> None:
    world = _limited_world(tmp_path, link_guesses_per_minute=5)
    link = _chloes_link(world)
    guesser = world.browser("guesser", address="203.0.113.9")
    assert [_open(guesser, _guess()).status_code for _ in range(5)] == [404] * 5
    blocked = _open(guesser, _guess())
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
    # Only failures are limited: a real link opens even from the blocked address (a shared
    # NAT or proxy address must not lock its other users out), and from anywhere else.
    assert _open(guesser, link).headers["location"] == "/signin"
    chloe = world.browser("chloe", address="198.51.100.7")
    assert _open(chloe, link).headers["location"] == "/signin"
    # The guesser recovers after a while.
    world.clock.advance(seconds=13)  # 5 a minute: one token back every 12 s
    assert _open(guesser, _guess()).status_code == 404
    assert _open(guesser, _guess()).status_code == 429


def test_expired_tokens_count_as_guesses_too(tmp_path: Path) -> None:
    world = _limited_world(tmp_path, link_guesses_per_minute=2)
    link = _chloes_link(world)
    world.clock.advance(hours=73)
    browser = world.browser("late", address="192.0.2.50")
    first, second = _open(browser, link), _open(browser, _guess())
    assert first.status_code == second.status_code == 404
    assert _open(browser, link).status_code == 429


def test_successful_opens_do_not_use_up_the_allowance(tmp_path: Path) -> None:
    world = _limited_world(tmp_path, link_guesses_per_minute=2)
    link = _chloes_link(world)
    chloe = world.browser("chloe", address="198.51.100.7")
    sign_in(world, chloe, "chloe")
    for _ in range(6):
        assert _open(chloe, link).status_code == 303


def test_the_whole_process_has_a_budget_across_addresses(tmp_path: Path) -> None:
    world = _limited_world(tmp_path, link_guesses_per_minute=100, link_guesses_global_per_minute=4)
    answers = [
        _open(world.browser(f"bot{i}", address=f"198.18.0.{i}"), _guess()).status_code
        for i in range(6)
    ]
    assert answers == [404, 404, 404, 404, 429, 429]
    # The budget is spent on failures only: a real link still opens, from a fresh address.
    link = _chloes_link(world)
    assert _open(world.browser("chloe", address="198.51.100.7"), link).status_code == 303


@settings(max_examples=50, deadline=None)
@given(
    per_minute=st.integers(min_value=1, max_value=30),
    failures=st.lists(st.floats(min_value=0, max_value=600), max_size=80),
)
def test_no_address_gets_more_than_its_allowance(per_minute: int, failures: list[float]) -> None:
    """Over any run of attempts: at most burst + rate x elapsed guesses get through."""
    now = [0.0]
    limiter = GuessLimiter(
        per_address_per_minute=per_minute, global_per_minute=10_000, now=lambda: now[0]
    )
    allowed = 0
    for at in sorted(failures):
        now[0] = at
        if limiter.failed("a", "link") is None:
            allowed += 1
    elapsed = max(failures, default=0.0)
    assert allowed <= per_minute + per_minute * elapsed / 60 + 1e-9


def test_the_address_table_stays_bounded() -> None:
    from bot.web import throttle

    limiter = GuessLimiter(per_address_per_minute=1, global_per_minute=1e9, now=time.monotonic)
    for i in range(throttle.MAX_ADDRESSES + 50):
        limiter.failed(f"addr-{i}", "link")
    assert len(limiter._addresses) == throttle.MAX_ADDRESSES


# --- the access log ---------------------------------------------------------------------------
@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, World]]:
    """The app under real uvicorn on loopback, with Flare's logging set up."""
    world = _limited_world(tmp_path)
    configure(json=True, level="INFO", stream=io.StringIO())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(world.app, host="127.0.0.1", port=port, log_config=None)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", world
    server.should_exit = True
    thread.join(timeout=10)
    structlog.reset_defaults()


def test_access_log_never_holds_a_link_token_or_a_sign_in_code(
    served: tuple[str, World], caplog: pytest.LogCaptureFixture
) -> None:
    base, _world = served
    token, code, state = secrets.token_urlsafe(32), secrets.token_urlsafe(24), "st-" + "q" * 20
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        httpx.get(f"{base}/l/{token}")
        httpx.post(f"{base}/l/{token}", data={"csrf": "x"})
        httpx.get(f"{base}/signin/slack/callback?code={code}&state={state}")
    lines = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert len(lines) == 3, lines
    assert any("/l/[redacted]" in line for line in lines)
    assert any("code=[redacted]" in line for line in lines)
    for secret in (token, code, state):
        assert not any(secret in line for line in lines)


def test_refused_sign_in_callbacks_are_limited_too(tmp_path: Path) -> None:
    world = _limited_world(
        tmp_path,
        link_guesses_per_minute=3,
        slack_client_id="1.2",
        slack_client_secret="secret",
        slack_signing_secret="signing",
        slack_oidc_url="http://127.0.0.1:9",  # never reached: the state is wrong first
    )
    forger = world.browser("forger", address="203.0.113.77")
    answers = [
        forger.get(f"/signin/slack/callback?code=c{i}&state=forged").status_code for i in range(5)
    ]
    assert answers == [400, 400, 400, 429, 429]
    assert world.audit_actions().count("session.signin_refused") == 3
