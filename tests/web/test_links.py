"""Links: GET and HEAD change nothing, POST needs CSRF, unknown and expired look the same."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from typing import Any

from tests.web.conftest import World
from tests.web.flows import pointer_path, raise_concern, sign_in


def _raised_and_delivered(world: World) -> tuple[str, str]:
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    concern_id = raise_concern(world, amara, "C-1001")
    world.deliver()
    return concern_id, pointer_path(world, "chloe", concern_id)


def _post_routes(routes: Iterable[Any]) -> Iterator[Any]:
    """The web pages' and playground's POST routes, through included routers."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from _post_routes(route.original_router.routes)
        elif "POST" in (
            getattr(route, "methods", None) or ()
        ) and route.endpoint.__module__.startswith(("bot.web", "bot.playground")):
            yield route


def _fake_link() -> str:
    return f"/l/{secrets.token_urlsafe(32)}"


def test_interstitial_get_and_head_change_nothing(world: World) -> None:
    concern_id, link = _raised_and_delivered(world)
    chloe = world.browser("chloe")
    sign_in(world, chloe, "chloe")
    before = (world.audit_count(), world.delivery(concern_id, "chloe").opened_at)

    # A chat unfurler or mail scanner, then the recipient herself, signed in.
    scanner = world.browser("scanner")
    scanner.get(_fake_link())  # a first visit gives the scanner its browser cookie
    real, head = scanner.get(link), scanner.head(link)
    unknown = scanner.get(_fake_link())
    signed_in_get, signed_in_head = chloe.get(link), chloe.head(link)
    after = (world.audit_count(), world.delivery(concern_id, "chloe").opened_at)

    assert before == after and after[1] is None
    assert real.status_code == head.status_code == unknown.status_code == 200
    assert real.text == unknown.text  # no lookup: the page cannot tell tokens apart
    assert "Always hungry" not in real.text and "C-1001" not in real.text
    assert link.rsplit("/", 1)[1] not in real.text  # the token is not repeated in the page
    assert signed_in_get.status_code == signed_in_head.status_code == 200
    assert "Always hungry" not in signed_in_get.text


def test_posts_without_csrf_are_refused_and_change_nothing(world: World) -> None:
    concern_id, link = _raised_and_delivered(world)
    chloe = world.browser("chloe")
    sign_in(world, chloe, "chloe")
    chloe.get(link)
    before = (world.audit_count(), world.delivery(concern_id, "chloe").opened_at)

    attempts: list[tuple[str, dict[str, str]]] = [
        (link, {"csrf": "forged"}),
        (f"/concerns/{concern_id}/information", {"information": "x", "submission_key": "k1"}),
        ("/raise/send", {"client": world.clients["C-1001"], "submission_key": "k2"}),
        ("/signin/demo", {"practitioner_id": world.people["femi"]}),
    ]
    # Every POST route of the web pages and the playground, found from the app itself.
    params = {
        "token": link.rsplit("/", 1)[1],
        "concern_id": concern_id,
        "practitioner_id": world.people["chloe"],
        "follow_up_id": "0" * 32,
        "name": "slack",
        "client_id": world.clients["C-1001"],
        "request_id": "0" * 32,
        "person_id": world.people["chloe"],
    }
    for route in _post_routes(world.app.routes):
        attempts.append((route.path_format.format(**params), {}))
    assert len(attempts) >= 4 + 12
    for path, data in attempts:
        response = chloe.post(path, data)
        assert response.status_code == 403, (path, response.status_code)
        assert "This form has expired" in response.text

    assert (world.audit_count(), world.delivery(concern_id, "chloe").opened_at) == before
    assert world.delivery(concern_id, "chloe").acknowledged_at is None
    assert chloe.get("/").text.count("Signed in as Chloe Patel") == 1  # still signed in


def test_expired_link_answers_like_an_unknown_one_and_offers_a_fresh_link(world: World) -> None:
    concern_id, link = _raised_and_delivered(world)
    chloe = world.browser("chloe")
    chloe.get(_fake_link())
    unknown_link = _fake_link()
    unknown = chloe.submit(chloe.form(chloe.get(unknown_link).text))
    world.clock.advance(hours=73)  # past the 72 h default
    expired = chloe.submit(chloe.form(chloe.get(link).text))

    assert expired.status_code == unknown.status_code == 404
    token, fake = link.rsplit("/", 1)[1], unknown_link.rsplit("/", 1)[1]
    assert expired.text.replace(token, "T") == unknown.text.replace(fake, "T")
    assert "Send me a fresh link" in expired.text

    fresh = chloe.submit(chloe.form(expired.text, f"{link}/fresh"))
    fresh_unknown = chloe.submit(chloe.form(unknown.text, f"{unknown_link}/fresh"))
    assert fresh.status_code == fresh_unknown.status_code == 200
    assert fresh.text == fresh_unknown.text
    world.deliver()
    fresh_path = pointer_path(world, "chloe", concern_id, kind="fresh_link")
    assert fresh_path != link

    # The fresh link opens the concern after signing in, and lands on a token-free address.
    to_sign_in = chloe.submit(chloe.form(chloe.get(fresh_path).text))
    assert to_sign_in.headers["location"] == "/signin"
    opened = sign_in(world, chloe, "chloe")
    assert opened.headers["location"] == f"/concerns/{concern_id}"
    assert "Always hungry" in chloe.follow(opened).text


def test_signed_in_recipient_goes_straight_to_the_concern(world: World) -> None:
    concern_id, link = _raised_and_delivered(world)
    chloe = world.browser("chloe")
    sign_in(world, chloe, "chloe")
    opened = chloe.submit(chloe.form(chloe.get(link).text))
    assert opened.status_code == 303 and opened.headers["location"] == f"/concerns/{concern_id}"
    assert world.delivery(concern_id, "chloe").opened_at is not None
    assert "link.opened" in world.audit_actions()


def test_link_that_expires_during_sign_in_still_signs_you_in(world: World) -> None:
    concern_id, link = _raised_and_delivered(world)
    chloe = world.browser("chloe")
    assert chloe.submit(chloe.form(chloe.get(link).text)).headers["location"] == "/signin"
    world.clock.advance(hours=73)
    late = sign_in(world, chloe, "chloe")
    assert late.status_code == 404 and "expired or is not valid" in late.text
    assert "Signed in as Chloe Patel" in chloe.get("/").text
    assert world.delivery(concern_id, "chloe").opened_at is None
