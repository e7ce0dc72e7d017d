"""Protected identities and the DPO's legal hold page in a real browser at phone width, with
no JavaScript, scanned with axe (0 violations); each page has the quick exit."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import World
from tests.web.test_browser import Auditor, auditor, go, person, text

pytestmark = pytest.mark.browser
__all__ = ["auditor"]  # the module-scoped axe fixture, shared with test_browser

NAMES = "The neighbour at number 4, her sister"


def _signed_in(chromium: Any, world: World, base: str, ref: str) -> Any:
    page = person(chromium)
    page.goto(f"{base}/playground/{world.people[ref]}")
    go(page, "button:has-text('Sign in as this person')")
    return page


def test_the_lead_reveals_protected_identities_accessibly(
    served: tuple[World, str], chromium: Any, auditor: Auditor
) -> None:
    from tests.web.flows import raise_concern, sign_in

    world, base = served
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    concern_id = raise_concern(world, amara, "C-1001", protected_identities=NAMES)
    world.deliver()

    chloe = _signed_in(chromium, world, base, "chloe")
    chloe.goto(f"{base}/concerns/{concern_id}")
    assert "2 people's identities are withheld" in text(chloe) and NAMES not in text(chloe)
    assert chloe.locator("a:has-text('Exit this page')").count() == 1
    auditor.check(chloe, "concern (identities withheld, the lead may show them)")
    go(chloe, "button:has-text('Show the protected identities')")
    assert NAMES in text(chloe)
    auditor.check(chloe, "concern (identities shown)")

    dev = _signed_in(chromium, world, base, "dev")
    dev.goto(f"{base}/concerns/{concern_id}")
    assert "2 people's identities are withheld" in text(dev)
    assert dev.locator("button:has-text('Show the protected identities')").count() == 0
    auditor.check(dev, "concern (identities withheld from a member)")


def test_the_legal_hold_page_is_accessible(
    served: tuple[World, str], chromium: Any, auditor: Auditor
) -> None:
    world, base = served
    with world.runtime.uow() as uow:
        femi = uow.directory.practitioner_by_ref("femi")
        assert femi is not None
        femi.organisation.dpo_id = femi.id
        uow.commit()
    dpo = _signed_in(chromium, world, base, "femi")
    dpo.goto(f"{base}/admin/legal-hold")
    assert dpo.locator("a:has-text('Exit this page')").count() == 1
    auditor.check(dpo, "legal hold")
    go(dpo, "button:has-text('Find the client')")
    assert "There is a problem" in text(dpo)
    auditor.check(dpo, "legal hold errors")
    dpo.fill("#identifier", "9434765919")
    go(dpo, "button:has-text('Find the client')")
    assert "Not under a legal hold" in text(dpo)
    auditor.check(dpo, "legal hold (client found)")
    dpo.check("#reason")
    go(dpo, "button:has-text('Set a legal hold')")
    assert "C-1001 is now under a legal hold" in text(dpo)
    auditor.check(dpo, "legal hold set")
