"""A fresh link for the same recipient and concern revokes the earlier ones."""

from __future__ import annotations

import secrets

import httpx
from sqlalchemy import select

from handlers.concern.opening import Refused, check_token
from handlers.my_work.resend import resend_pending
from handlers.outbox.links import links_for_viewer
from handlers.values import Platform
from store.crypto import token_hash
from store.models import Link
from tests.conftest import FakeMinter
from tests.web.browser import Browser
from tests.web.conftest import World
from tests.web.flows import pointer_path, raise_concern, sign_in


def _post_link(browser: Browser, path: str) -> httpx.Response:
    return browser.submit(browser.form(browser.get(path).text))


def test_a_reissued_link_revokes_the_old_one_which_then_answers_like_an_unknown_one(
    world: World,
) -> None:
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    concern_id = raise_concern(world, amara, "C-1001")
    world.deliver()
    old = pointer_path(world, "chloe", concern_id)

    # Chloe asks for her inbox again: a fresh pointer with a fresh link.
    runtime = world.runtime
    summary = resend_pending(
        runtime.uow(),
        practitioner_id=world.people["chloe"],
        platform=Platform.PLAYGROUND,
        clock=runtime.clock,
    )
    assert summary.queued == 1
    world.deliver()
    new = pointer_path(world, "chloe", concern_id, kind="fresh_link")
    assert new != old

    chloe = world.browser("chloe")
    sign_in(world, chloe, "chloe")
    unknown_path = f"/l/{secrets.token_urlsafe(32)}"
    unknown = _post_link(chloe, unknown_path)
    revoked = _post_link(chloe, old)
    assert revoked.status_code == unknown.status_code == 404
    old_token, fake = old.rsplit("/", 1)[1], unknown_path.rsplit("/", 1)[1]
    assert revoked.text.replace(old_token, "T") == unknown.text.replace(fake, "T")

    opened = _post_link(chloe, new)
    assert opened.status_code == 303 and opened.headers["location"] == f"/concerns/{concern_id}"

    with runtime.uow() as uow:
        row = uow.session.scalars(
            select(Link).where(Link.token_hash == token_hash(old_token))
        ).one()
        assert row.revoked_at == runtime.clock.now()
    assert isinstance(check_token(runtime.uow(), old_token, runtime.clock), Refused)


def test_every_surface_mints_through_one_function_so_any_fresh_link_revokes(
    world: World,
) -> None:
    """A link of App Home's (the viewer's own) also replaces the pointer's."""
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    concern_id = raise_concern(world, amara, "C-1001")
    world.deliver()
    old_token = pointer_path(world, "chloe", concern_id).rsplit("/", 1)[1]
    runtime = world.runtime
    minter = FakeMinter()
    urls = links_for_viewer(
        runtime.uow(),
        practitioner_id=world.people["chloe"],
        concern_ids=[concern_id],
        minter=minter,
        clock=runtime.clock,
        via="slack_home",
    )
    assert list(urls) == [concern_id]
    assert isinstance(check_token(runtime.uow(), old_token, runtime.clock), Refused)
    assert not isinstance(check_token(runtime.uow(), minter.minted[0], runtime.clock), Refused)
    with runtime.uow() as uow:
        delivery = uow.concerns.delivery_for(concern_id, world.people["chloe"])
        assert delivery is not None
        assert len(uow.concerns.live_links(delivery.id, runtime.clock.now())) == 1
