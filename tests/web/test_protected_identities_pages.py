"""The concern page withholds protected identities; the lead and the raiser reveal them with
a POST (CSRF, audited, on that response only). Per role, on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets

import pytest

from tests.no_leak import assert_no_canary
from tests.web.browser import Browser
from tests.web.conftest import World
from tests.web.flows import raise_concern, sign_in

CANARY = f"PROTECTEDCANARY{secrets.token_hex(4)}"
NAMES = f"{CANARY} the neighbour; her sister"
ROLES = {"chloe": "lead", "erin": "deputy", "dev": "member", "amara": "raiser", "femi": "outsider"}
MAY_REVEAL = {"chloe", "amara"}


def _signed_in(world: World, ref: str) -> tuple[Browser, str]:
    browser = world.browser(ref)
    sign_in(world, browser, ref)
    csrf = browser.form(browser.get("/inbox").text, "/signout").value("csrf") or ""
    return browser, csrf


def _raised(world: World) -> str:
    amara, _ = _signed_in(world, "amara")
    concern_id = raise_concern(world, amara, "C-1001", protected_identities=NAMES)
    world.deliver()
    return concern_id


@pytest.mark.parametrize("who", sorted(ROLES))
def test_each_role_sees_what_the_rule_allows(world: World, who: str) -> None:
    concern_id = _raised(world)
    browser, csrf = _signed_in(world, who)
    page = browser.get(f"/concerns/{concern_id}")
    reveal = f"/concerns/{concern_id}/identities"
    if ROLES[who] == "outsider":
        assert page.status_code == 403
    else:
        assert page.status_code == 200
        assert "2 people&#39;s identities are withheld" in page.text
        assert (reveal in page.text) is (who in MAY_REVEAL)
    assert CANARY not in page.text

    shown = browser.post(reveal, {"csrf": csrf})
    if who in MAY_REVEAL:
        assert shown.status_code == 200 and NAMES in shown.text
        assert shown.headers["cache-control"] == "no-store"
        assert world.audit_details("concern.identities_revealed") == [{"via": "web"}]
        again = browser.get(f"/concerns/{concern_id}")  # on that response only
        assert again.status_code == 200 and CANARY not in again.text
    else:
        assert shown.status_code == 403 and CANARY not in shown.text
        assert world.audit_details("concern.identities_revealed") == []
    for ref in world.people:
        for message in world.chat(ref):
            text = " ".join([message.title, *message.lines, message.link or ""])
            assert_no_canary([CANARY], **{f"the chat message to {ref}": text})


def test_a_reveal_without_the_form_token_is_refused_and_not_recorded(world: World) -> None:
    concern_id = _raised(world)
    chloe, _csrf = _signed_in(world, "chloe")
    for data in ({}, {"csrf": "forged"}):
        refused = chloe.post(f"/concerns/{concern_id}/identities", data)
        assert refused.status_code == 403 and CANARY not in refused.text
    assert world.audit_details("concern.identities_revealed") == []
    bad_id = chloe.post("/concerns/not-a-concern/identities", {"csrf": _csrf})
    assert bad_id.status_code == 403


def test_nobody_sees_them_on_the_chronology_or_the_inbox(world: World) -> None:
    concern_id = _raised(world)
    client_id = world.clients["C-1001"]
    for who in ("chloe", "amara", "dev"):
        browser, _ = _signed_in(world, who)
        for path in (f"/clients/{client_id}/chronology", "/inbox", f"/concerns/{concern_id}"):
            seen = browser.get(path)
            assert seen.status_code == 200 and CANARY not in seen.text, (who, path)
