"""The lead closes and reopens a concern from its page: a POST with CSRF, one use case call."""

from __future__ import annotations

from tests.web.browser import Browser
from tests.web.conftest import World
from tests.web.flows import raise_concern, sign_in

NOTE = "Family moved out of the area; the new school has been told"


def _signed_in(world: World, ref: str) -> tuple[Browser, str]:
    browser = world.browser(ref)
    sign_in(world, browser, ref)
    csrf = browser.form(browser.get("/inbox").text, "/signout").value("csrf") or ""
    return browser, csrf


def _raised(world: World) -> str:
    amara, _ = _signed_in(world, "amara")
    concern_id = raise_concern(world, amara, "C-1001")
    world.deliver()
    return concern_id


def test_the_lead_closes_with_an_outcome_and_everyone_is_told(world: World) -> None:
    concern_id = _raised(world)
    chloe, csrf = _signed_in(world, "chloe")
    page = chloe.get(f"/concerns/{concern_id}")
    form = chloe.form(page.text, f"/concerns/{concern_id}/close")
    assert "Referred to children&#39;s social care" in page.text

    missing = chloe.submit(form)
    assert missing.status_code == 400 and "Choose how the concern was resolved" in missing.text
    no_note = chloe.submit(form, set={"outcome": "other"})
    assert no_note.status_code == 400 and "Say what the outcome was" in no_note.text
    closed = chloe.submit(form, set={"outcome": "other", "note": NOTE})
    assert closed.status_code == 303

    page = chloe.get(f"/concerns/{concern_id}")
    assert "The concern is closed" in page.text and NOTE in page.text
    assert "Other (with a note)" in page.text and "Reopen this concern" in page.text
    assert f"/concerns/{concern_id}/close" not in page.text
    assert world.audit_details("concern.closed") == [{"via": "web", "outcome": "other", "told": 3}]
    world.deliver()
    for ref in ("amara", "erin", "dev"):
        (told,) = [m for m in world.chat(ref) if m.kind == "concern_closed"]
        assert NOTE not in repr(told) and "other" not in told.title.lower()
    assert not [m for m in world.chat("chloe") if m.kind == "concern_closed"]

    reopened = chloe.submit(chloe.form(page.text, f"/concerns/{concern_id}/reopen"))
    assert reopened.status_code == 303
    page = chloe.get(f"/concerns/{concern_id}")
    assert "The concern is open again" in page.text and NOTE not in page.text
    assert f"/concerns/{concern_id}/close" in page.text
    assert chloe.post(f"/concerns/{concern_id}/reopen", {"csrf": csrf}).status_code == 303


def test_only_the_lead_may_close_and_a_forged_post_changes_nothing(world: World) -> None:
    concern_id = _raised(world)
    dev, csrf = _signed_in(world, "dev")  # a member: reads it, no Close form
    page = dev.get(f"/concerns/{concern_id}")
    assert page.status_code == 200 and f"/concerns/{concern_id}/close" not in page.text
    refused = dev.post(f"/concerns/{concern_id}/close", {"csrf": csrf, "outcome": "police"})
    assert refused.status_code == 403
    assert dev.post(f"/concerns/{concern_id}/reopen", {"csrf": csrf}).status_code == 403
    chloe, csrf = _signed_in(world, "chloe")
    forged = chloe.post(f"/concerns/{concern_id}/close", {"csrf": "forged", "outcome": "police"})
    assert forged.status_code == 403
    bad_id = chloe.post("/concerns/not-a-concern/close", {"csrf": csrf, "outcome": "police"})
    assert bad_id.status_code == 403
    assert "concern.closed" not in world.audit_actions()
    assert world.audit_actions().count("concern.close_refused") == 1
