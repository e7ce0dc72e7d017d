"""Sessions: idle and absolute expiry (time-machine), configurable, sign out everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.runtime import SystemClock
from bot.web.signin_demo import safe_return
from tests.web.browser import Browser
from tests.web.conftest import World, make_world
from tests.web.flows import sign_in

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SIGNED_IN = "Signed in as Chloe Patel"
TRICKY = [
    "https://evil.example/",
    "//evil.example/raise",
    "/\\evil.example",
    "/raise\n",
    "/raise?next=//evil.example",
    "/concerns/" + "a" * 32 + "/../../evil",
    "/raise",
    "/",
]


def _system_world(engine: Engine, tmp_path: Path, **settings: object) -> World:
    """A world on the real system clock, so time-machine moves everything the app sees."""
    return make_world(engine, tmp_path, clock=SystemClock(), **settings)  # type: ignore[arg-type]


def _signed_in(browser: Browser) -> bool:
    return SIGNED_IN in browser.get("/").text


def test_idle_sessions_end_after_fifteen_minutes(engine: Engine, tmp_path: Path) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        world = _system_world(engine, tmp_path)
        chloe = world.browser("chloe")
        sign_in(world, chloe, "chloe")
        for _ in range(4):  # each visit inside 15 minutes keeps it alive
            traveller.shift(timedelta(minutes=14, seconds=59))
            assert _signed_in(chloe)
        traveller.shift(timedelta(minutes=15, seconds=1))
        assert not _signed_in(chloe)
        assert chloe.get("/raise").headers["location"] == "/signin"
        traveller.shift(timedelta(seconds=1))
        assert not _signed_in(chloe)  # an expired session does not come back


def test_sessions_end_eight_hours_after_sign_in_however_busy(
    engine: Engine, tmp_path: Path
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        world = _system_world(engine, tmp_path)
        chloe = world.browser("chloe")
        sign_in(world, chloe, "chloe")
        for _ in range(47):  # every 10 minutes for 7 h 50
            traveller.shift(timedelta(minutes=10))
            assert _signed_in(chloe)
        traveller.shift(timedelta(minutes=10, seconds=1))  # 8 h and a second
        assert not _signed_in(chloe)
        sign_in(world, chloe, "chloe")  # signing in again starts a new eight hours
        assert _signed_in(chloe)


@pytest.mark.parametrize(("idle", "absolute"), [(5, 1.0), (30, 12.0)])
def test_timeouts_come_from_the_settings(
    sqlite_path: Path, tmp_path: Path, idle: float, absolute: float
) -> None:
    from store.db import make_engine
    from store.migrate import upgrade

    engine = make_engine(f"sqlite:///{sqlite_path}")
    upgrade(engine)
    world = make_world(engine, tmp_path, session_idle_minutes=idle, session_absolute_hours=absolute)
    chloe = world.browser("chloe")
    signed = sign_in(world, chloe, "chloe")
    cookie = next(v for k, v in signed.headers.multi_items() if v.startswith("flare_session="))
    # A browser-session cookie: the limits are the server's, not a lifetime in the browser.
    assert "max-age" not in cookie.lower() and "expires" not in cookie.lower()
    world.clock.advance(minutes=idle - 0.5)
    assert _signed_in(chloe)
    world.clock.advance(minutes=idle + 0.5)
    assert not _signed_in(chloe)
    engine.dispose()


def test_session_cookie_is_httponly_lax_and_not_secure_over_plain_http(world: World) -> None:
    signed = sign_in(world, world.browser("chloe"), "chloe")
    cookie = next(v for k, v in signed.headers.multi_items() if v.startswith("flare_session="))
    attributes = {a.strip().lower() for a in cookie.split(";")}
    assert {"httponly", "samesite=lax", "path=/"} <= attributes
    assert "secure" not in attributes  # http://testserver; production is https (test_signin_oidc)


def test_sign_out_everywhere_ends_every_session_of_that_person_only(world: World) -> None:
    laptop, phone, other = world.browser("laptop"), world.browser("phone"), world.browser("amara")
    sign_in(world, laptop, "chloe")
    sign_in(world, phone, "chloe")
    sign_in(world, other, "amara")
    home = phone.get("/")
    out = phone.submit(phone.form(home.text, "/signout"), button="everywhere")
    assert out.status_code == 303
    assert not _signed_in(phone) and not _signed_in(laptop)
    assert "Signed in as Amara" in other.get("/").text
    assert "session.signed_out" in world.audit_actions()


def test_plain_sign_out_ends_only_this_browser(world: World) -> None:
    laptop, phone = world.browser("laptop"), world.browser("phone")
    sign_in(world, laptop, "chloe")
    sign_in(world, phone, "chloe")
    phone.submit(phone.form(phone.get("/").text, "/signout"))
    assert not _signed_in(phone) and _signed_in(laptop)


@given(st.text(max_size=80) | st.sampled_from(TRICKY))
def test_return_urls_are_only_flares_own_paths(after: str) -> None:
    target = safe_return(after)
    assert target == "/" or target == after
    parts = urlsplit(target)
    assert not parts.scheme and not parts.netloc and target.startswith("/")
    assert not target.startswith("//") and "\\" not in target and "\n" not in target
