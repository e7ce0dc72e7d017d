"""Seek advice first in a real browser at phone width, every page scanned with axe (0 violations).

The raiser asks from step 1 of the raise form, the safeguarding lead opens the pointer and
replies (an error first), and the raiser opens hers and sends the concern.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.advice import set_advisers
from tests.web.conftest import World
from tests.web.test_browser import Auditor, auditor, go, person, text

pytestmark = pytest.mark.browser
__all__ = ["auditor"]  # the module-scoped axe fixture, shared with test_browser


def _signed_in(chromium: Any, base: str, world: World, ref: str) -> Any:
    page = person(chromium)
    page.goto(f"{base}/playground/{world.people[ref]}")
    go(page, "button:has-text('Sign in as this person')")
    return page


def test_asking_for_advice_in_the_browser_is_accessible(
    served: tuple[World, str], chromium: Any, auditor: Auditor
) -> None:
    world, base = served
    check = auditor.check
    set_advisers(world.runtime.uow, "riverside-cc", lead="ben")

    amara = _signed_in(chromium, base, world, "amara")
    amara.goto(f"{base}/raise")
    amara.select_option("#client", value=world.clients["C-1001"])
    amara.check("#category")
    amara.check("#severity-2")
    amara.fill("#noticed", "A different adult at every pick-up")
    go(amara, "button:has-text('Ask for advice first')")
    assert "safeguarding lead has been asked" in text(amara)
    check(amara, "advice asked")
    go(amara, "a:has-text('See your draft')")
    assert "No advice yet" in text(amara)
    check(amara, "advice (raiser, waiting)")
    world.deliver()

    ben = _signed_in(chromium, base, world, "ben")
    ben.goto(f"{base}/inbox")  # what awaits him: the request, linked to its page
    assert "Advice asked about C-1001" in text(ben)
    assert "A different adult at every pick-up" not in text(ben)
    check(ben, "inbox with advice to give")
    ben.goto(f"{base}/playground/{world.people['ben']}")
    assert "asks for your advice before sharing" in text(ben)
    go(ben, "a.button:has-text('Open')")
    assert "A different adult at every pick-up" in text(ben)
    check(ben, "advice (adviser)")
    go(ben, "button:has-text('Send your advice')")
    assert "There is a problem" in text(ben)
    check(ben, "advice reply error")
    ben.fill("#advice", "Share it with the lead professional today")
    go(ben, "button:has-text('Send your advice')")
    assert "You have answered this request" in text(ben)
    world.deliver()

    amara.goto(f"{base}/inbox")
    assert "Your draft about C-1001" in text(amara)
    check(amara, "inbox with advice to act on")
    amara.goto(f"{base}/playground/{world.people['amara']}")
    assert "You have advice on the concern" in text(amara)
    go(amara, "a.button:has-text('Open')")
    assert "Share it with the lead professional today" in text(amara)
    check(amara, "advice (raiser, answered)")
    go(amara, "button:has-text('Send the concern')")
    assert "There is a problem" in text(amara)
    check(amara, "advice send errors")
    amara.check("#family_informed")
    amara.fill("#rationale", "The lead needs to see this pattern")
    amara.check("#lawful_basis")
    go(amara, "button:has-text('Send the concern')")
    assert "Concern sent" in text(amara)
