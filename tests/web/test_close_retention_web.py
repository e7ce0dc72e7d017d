"""Close -> retention -> crypto-shred end to end on the web, with nothing done to the database
by hand: a concern raised on the web, closed by its lead on its page, kept for the period a
partnership admin set on the partnership page, then shredded by the retention sweep (its data
key deleted, its row gone, a tombstone in a still-valid audit chain). On SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest

from store import audit
from store.crypto import CryptoError
from tests.web.browser import Browser
from tests.web.conftest import World
from tests.web.flows import raise_concern, sign_in

NOTE = "Moved to another authority; records sent on"


def _signed_in(world: World, ref: str) -> Browser:
    browser = world.browser(ref)
    sign_in(world, browser, ref)
    return browser


def test_closed_on_the_web_then_shredded_after_the_period_set_on_the_web(world: World) -> None:
    amara = _signed_in(world, "amara")
    concern_id = raise_concern(world, amara, "C-1001")
    kept = raise_concern(world, amara, "C-1001", severity="low")  # never closed
    chloe = _signed_in(world, "chloe")
    page = chloe.get(f"/concerns/{concern_id}")
    closing = chloe.form(page.text, f"/concerns/{concern_id}/close")
    assert chloe.submit(closing, set={"outcome": "other", "note": NOTE}).status_code == 303
    with world.runtime.uow() as uow:
        concern = uow.concerns.get(concern_id)
        assert concern is not None and concern.status == "closed"
        key_id = concern.data_key_id
    assert key_id is not None

    femi = _signed_in(world, "femi")
    settings = femi.form(femi.get("/admin/partnership").text, "/admin/partnership")
    assert femi.submit(settings, set={"retention_concerns_days": "30"}).status_code == 303

    world.clock.advance(days=29)
    assert world.runtime.retain().shredded == 0  # not yet: 30 days from closure
    chloe = _signed_in(world, "chloe")  # a month on: a new sign-in
    assert chloe.get(f"/concerns/{concern_id}").status_code == 200
    world.clock.advance(days=2)
    assert world.runtime.retain().shredded == 1  # six years by default; 30 days as set

    chloe = _signed_in(world, "chloe")
    assert chloe.get(f"/concerns/{concern_id}").status_code in (403, 404)
    assert chloe.get(f"/concerns/{kept}").status_code == 200
    with world.runtime.uow() as uow:
        assert uow.concerns.get(concern_id) is None
        with pytest.raises(CryptoError):
            uow.vault.data_key(key_id)
        (tombstone,) = uow.audit_events(concern_id, action="concern.shredded")
        assert tombstone.detail["status"] == "closed" and NOTE not in str(tombstone.detail)
        assert audit.verify(uow.session).ok
