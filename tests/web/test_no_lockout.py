"""No lock-out: guesses from anywhere never refuse a valid link or sign-in callback.

Failed guesses are limited per client (an IPv4 address, an IPv6 /64), believed from
X-Forwarded-For only through a trusted proxy, and audited in aggregate, on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select

from bot.web.throttle import WINDOW_SECONDS, GuessLimiter, client_of
from store.models import AuditEvent
from tests.web.browser import Browser
from tests.web.conftest import World, make_world
from tests.web.flows import pointer_path, raise_concern, sign_in
from tests.web.test_signin_oidc import Idps, idps, oidc_sign_in, sessions

__all__ = ["idps"]  # the fake Slack and Entra providers, shared with test_signin_oidc.py


def _open(browser: Browser, path: str) -> httpx.Response:
    return browser.submit(browser.form(browser.get(path).text))


def _guess() -> str:
    return f"/l/{secrets.token_urlsafe(32)}"


def _chloes_link(world: World) -> str:
    amara = world.browser("amara", address="10.0.0.1")
    sign_in(world, amara, "amara")
    concern_id = raise_concern(world, amara, "C-1001")
    world.deliver()
    return pointer_path(world, "chloe", concern_id)


def _flood(world: World, addresses: int, guesses: int) -> list[int]:
    """`guesses` wrong tokens from each of `addresses` addresses: the statuses."""
    statuses = []
    for i in range(addresses):
        bot = world.browser(f"bot{i}", address=f"198.18.{i // 250}.{i % 250 + 1}")
        statuses += [_open(bot, _guess()).status_code for _ in range(guesses)]
    return statuses


def _refused_events(world: World) -> list[dict[str, object]]:
    with world.runtime.uow() as uow:
        rows = uow.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "link.guesses_refused")
            .order_by(AuditEvent.seq)
        )
        return [dict(r.detail) for r in rows]


def test_a_valid_link_opens_while_guesses_from_many_addresses_are_refused(
    engine: Engine, tmp_path: Path
) -> None:
    world = make_world(
        engine, tmp_path, link_guesses_per_minute=3, link_guesses_global_per_minute=20
    )
    link = _chloes_link(world)
    statuses = _flood(world, addresses=30, guesses=4)
    assert statuses.count(404) == 20 and statuses.count(429) == 100  # the process-wide budget
    # Every budget is spent, yet the recipient's link opens: from a new address, from a
    # guessing address (a shared NAT), and signed in it goes straight to the concern.
    chloe = world.browser("chloe", address="203.0.113.40")
    assert _open(chloe, link).headers["location"] == "/signin"
    assert _open(world.browser("bot0", address="198.18.0.1"), link).status_code == 303
    sign_in(world, chloe, "chloe")
    opened = _open(chloe, link)
    assert opened.status_code == 303 and opened.headers["location"].startswith("/concerns/")
    # Her expired link's fresh-link request is not a guess either.
    world.clock.advance(hours=73)
    dead = _open(chloe, link)
    assert dead.status_code == 404
    fresh = chloe.submit(chloe.form(dead.text, f"{link}/fresh"))
    assert fresh.status_code == 200
    assert "link.reissue_requested" in world.audit_actions()


def test_refused_guesses_are_audited_in_aggregate_once_per_client_and_window(
    engine: Engine, tmp_path: Path
) -> None:
    world = make_world(engine, tmp_path, link_guesses_per_minute=2)
    tokens = [secrets.token_urlsafe(32) for _ in range(7)]
    v4 = world.browser("v4", address="203.0.113.9")
    v6 = world.browser("v6", address="2001:db8:5:6::1")
    answers = [_open(v4, f"/l/{t}").status_code for t in tokens]
    answers += [_open(v6, f"/l/{t}").status_code for t in tokens[:4]]
    assert answers == [404, 404] + [429] * 5 + [404, 404, 429, 429]
    assert _refused_events(world) == []  # the windows are still open
    world.clock.advance(seconds=WINDOW_SECONDS + 1)
    assert _open(v4, _guess()).status_code == 404  # any later guess writes what has closed
    events = _refused_events(world)
    by_client = {e["client"]: e for e in events}
    assert len(events) == 2 and set(by_client) == {"203.0.113.9", "2001:db8:5:6::/64"}
    assert by_client["203.0.113.9"]["refused"] == 5
    assert by_client["2001:db8:5:6::/64"]["by_surface"] == {"link": 2}
    for token in tokens:
        assert not any(token in str(e) for e in events)


def test_the_last_window_is_audited_when_flare_stops(engine: Engine, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    world = make_world(engine, tmp_path, link_guesses_per_minute=1)
    with TestClient(world.app, client=("192.0.2.7", 5000)):  # runs start-up and shut-down
        guesser = world.browser("guesser", address="192.0.2.7")
        assert [_open(guesser, _guess()).status_code for _ in range(3)] == [404, 429, 429]
    assert [(e["client"], e["refused"]) for e in _refused_events(world)] == [("192.0.2.7", 2)]


@pytest.mark.parametrize("name", ["slack", "microsoft"])
def test_a_valid_sign_in_callback_succeeds_while_forged_ones_are_refused(
    engine: Engine, tmp_path: Path, idps: Idps, name: str
) -> None:
    world = make_world(
        engine,
        tmp_path,
        link_guesses_per_minute=2,
        link_guesses_global_per_minute=4,
        **idps.settings(),
    )
    forged = []
    for i in range(6):
        forger = world.browser(f"forger{i}", address=f"198.51.100.{i + 1}")
        forged += [
            forger.get(f"/signin/{name}/callback?code=c{j}&state=forged").status_code
            for j in range(2)
        ]
    assert forged.count(400) == 4 and forged.count(429) == 8
    idps.as_person(name, "chloe")
    chloe = world.browser("chloe", address="198.51.100.1")  # even behind a forger's address
    done = oidc_sign_in(world, idps, chloe, name)
    assert done.status_code == 303 and [s[1] for s in sessions(world)] == [world.people["chloe"]]


def test_ipv6_addresses_in_one_64_share_a_bucket(engine: Engine, tmp_path: Path) -> None:
    world = make_world(engine, tmp_path, link_guesses_per_minute=2)
    same_64 = ["2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe", "2001:db8:1:2::1:7"]
    answers = [_open(world.browser(a, address=a), _guess()).status_code for a in same_64]
    assert answers == [404, 404, 429]
    neighbour = world.browser("neighbour", address="2001:db8:1:3::1")  # the next /64
    assert _open(neighbour, _guess()).status_code == 404


def test_the_client_of_an_address() -> None:
    assert client_of("2001:DB8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert client_of("::ffff:192.0.2.1") == "192.0.2.1"  # an IPv4 client on a dual stack
    assert client_of("192.0.2.1") == "192.0.2.1"
    assert client_of("x" * 500) == "x" * 64
    limiter = GuessLimiter(per_address_per_minute=1, global_per_minute=100, now=lambda: 0.0)
    assert limiter.failed("2001:db8::1", "link") is None
    assert limiter.failed("2001:db8::2", "link") is not None
    assert limiter.failed("2001:db8:0:1::2", "link") is None


def _behind(world: World, peer: str, forwarded: str) -> Browser:
    browser = world.browser(f"{peer}>{forwarded}", address=peer)
    browser.client.headers["X-Forwarded-For"] = forwarded
    return browser


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(engine: Engine, tmp_path: Path) -> None:
    world = make_world(engine, tmp_path, link_guesses_per_minute=1, trusted_proxies="10.0.0.0/8")
    # Through the load balancer (trusted): each real client has its own allowance.
    through = [_open(_behind(world, "10.1.2.3", f"203.0.113.{i}"), _guess()) for i in range(5)]
    assert [r.status_code for r in through] == [404] * 5
    # Straight from the internet (not trusted): the header is ignored, the peer is the client.
    direct = [_open(_behind(world, "198.51.100.9", f"203.0.113.{i}"), _guess()) for i in range(3)]
    assert [r.status_code for r in direct] == [404, 429, 429]
    # A forged hop before the proxy's own does not help: the proxy's view of the client counts.
    chained = [
        _open(_behind(world, "10.1.2.3", f"192.0.2.{i}, 203.0.113.77"), _guess()) for i in range(3)
    ]
    assert [r.status_code for r in chained] == [404, 429, 429]


def test_only_loopback_is_trusted_by_default(engine: Engine, tmp_path: Path) -> None:
    world = make_world(engine, tmp_path, link_guesses_per_minute=1)
    assert world.runtime.settings.trusted_proxies == "127.0.0.1/32,::1/128"
    local = [_open(_behind(world, "127.0.0.1", f"203.0.113.{i}"), _guess()) for i in range(3)]
    assert [r.status_code for r in local] == [404] * 3
    lan = [_open(_behind(world, "10.1.2.3", f"203.0.113.{i}"), _guess()) for i in range(3)]
    assert [r.status_code for r in lan] == [404, 429, 429]
