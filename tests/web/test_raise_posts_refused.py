"""Every POST that raises, or asks advice about, a concern refuses before it reads the form:
a forged or stale CSRF token gets the "form has expired" page, and a signed-out browser is sent
to sign in. Either way nothing is kept: no concern, no advice request, no audit row."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from store.models import AdviceRequest, Concern
from tests.web.browser import Browser
from tests.web.conftest import World
from tests.web.flows import sign_in, step_two

RAISE_POSTS = ["/raise", "/raise/send", "/raise/not-shared", "/raise/advice", "/raise/child"]


def _whole_raise(world: World, csrf: str) -> list[tuple[str, str]]:
    """What step 2's Send posts for a whole raise, with this CSRF token instead of its own."""
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    fields = amara.form(step_two(world, amara, "C-1001").text, "/raise/send").fields
    return [(k, csrf if k == "csrf" else v) for k, v in fields] + [("identifier", "C-1001")]


def _csrf(browser: Browser, path: str, action: str) -> str:
    return browser.form(browser.get(path).text, action).value("csrf") or ""


def _kept(world: World) -> tuple[int, int, int]:
    with world.runtime.uow() as uow:
        concerns = uow.session.scalar(select(func.count()).select_from(Concern)) or 0
        asked = uow.session.scalar(select(func.count()).select_from(AdviceRequest)) or 0
    return concerns, asked, len(world.audit_actions())


@pytest.mark.parametrize("path", RAISE_POSTS)
def test_a_forged_csrf_token_is_refused_and_nothing_is_kept(world: World, path: str) -> None:
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    forged = _whole_raise(world, "forged-token")
    before = _kept(world)
    refused = amara.post(path, forged)
    assert refused.status_code == 403
    assert "This form has expired" in refused.text
    assert _kept(world) == before


@pytest.mark.parametrize("path", RAISE_POSTS)
def test_a_signed_out_browser_is_sent_to_sign_in_and_nothing_is_kept(
    world: World, path: str
) -> None:
    stranger = world.browser("nobody")
    whole = _whole_raise(world, _csrf(stranger, "/signin", "/signin/demo"))
    before = _kept(world)
    answered = stranger.post(path, whole)
    assert answered.status_code == 303
    assert answered.headers["location"].startswith("/signin")
    assert _kept(world) == before


def test_the_same_post_with_the_sessions_own_token_is_kept(world: World) -> None:
    """The control: what the refusals above post is a whole raise, kept when nothing is wrong."""
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    whole = _whole_raise(world, _csrf(amara, "/raise", "/raise"))
    before = _kept(world)
    sent = amara.post("/raise/send", whole)
    assert sent.status_code == 200 and "Concern sent" in sent.text
    assert _kept(world)[0] == before[0] + 1
