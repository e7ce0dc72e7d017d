"""The network page's forms in a real browser at phone width, scanned with axe (0 violations).

The lead adds someone (an error first, then by name and organisation), changes their role
and removes them; a member sees only "Leave this network", and leaves.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import World
from tests.web.test_browser import Auditor, auditor, go, person, text

pytestmark = pytest.mark.browser
__all__ = ["auditor"]  # the module-scoped axe fixture, shared with test_browser


def test_changing_a_network_in_the_browser_is_accessible(
    served: tuple[World, str], chromium: Any, auditor: Auditor
) -> None:
    world, base = served
    check = auditor.check
    network = f"{base}/clients/{world.clients['C-1001']}/network"

    chloe = person(chromium)
    chloe.goto(f"{base}/playground/{world.people['chloe']}")
    go(chloe, "button:has-text('Sign in as this person')")
    chloe.goto(network)
    check(chloe, "network (lead, with forms)")
    chloe.fill("#person", "nobody-at-all")
    go(chloe, "button:has-text('Add to network')")
    assert "There is a problem" in text(chloe)
    check(chloe, "network add error")
    chloe.fill("#person", "")
    chloe.fill("#name", "Ben Hughes")
    chloe.fill("#organisation", "riverside-cc")
    go(chloe, "button:has-text('Add to network')")
    assert "They are in the network now" in text(chloe)
    check(chloe, "network member added")
    chloe.select_option("#practitioner", value=world.people["ben"])
    chloe.select_option("#role", value="deputy")
    go(chloe, "button:has-text('Change role')")
    assert "Their role has changed" in text(chloe)
    chloe.select_option("#remove-practitioner", value=world.people["ben"])
    go(chloe, "button:has-text('Remove from network')")
    assert "no longer in the network" in text(chloe)
    check(chloe, "network member removed")

    dev = person(chromium)
    dev.goto(f"{base}/playground/{world.people['dev']}")
    go(dev, "button:has-text('Sign in as this person')")
    dev.goto(network)
    assert "Add someone to this network" not in text(dev)
    check(dev, "network (member)")
    go(dev, "button:has-text('Leave this network')")
    dev.goto(network)
    assert "You are not in this client's network" in text(dev)
