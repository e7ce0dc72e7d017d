"""Finding a decision not to share in a real browser at phone width, scanned with axe (0
violations): Ben, Riverside's safeguarding lead and outside C-1001's network, follows the
header link to his list, opens the decision and the client's record of it."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.concern.not_sharing import DecisionRecorded, record_decision_not_to_share
from tests.raising import raise_command
from tests.web.conftest import World
from tests.web.test_browser import Auditor, auditor, go, person, text

pytestmark = pytest.mark.browser
__all__ = ["auditor"]  # the module-scoped axe fixture, shared with test_browser


def test_finding_a_decision_not_to_share_is_accessible(
    served: tuple[World, str], chromium: Any, auditor: Auditor
) -> None:
    world, base = served  # the demo makes Ben Riverside's safeguarding lead
    cmd = raise_command(world, client="C-1001", key="browser-not", not_sharing_reason="Advised")
    recorded = record_decision_not_to_share(cmd, uow=world.runtime.uow(), clock=world.clock)
    assert isinstance(recorded, DecisionRecorded)

    ben = person(chromium)
    ben.goto(f"{base}/playground/{world.people['ben']}")
    go(ben, "button:has-text('Sign in as this person')")
    ben.goto(f"{base}/")
    check = auditor.check
    check(ben, "home with decisions link")
    go(ben, "header a:has-text('Decisions not to share')")
    assert "Amara Okafor" in text(ben)
    check(ben, "decisions not to share")
    go(ben, "main li a:has-text('Neglect concern')")
    assert "Always hungry at pick-up" in text(ben)
    go(ben, "a:has-text('Decisions not to share about C-1001')")
    assert "You are not in this client" in text(ben)
    assert "Always hungry at pick-up" in text(ben)
    check(ben, "record of decisions (outside network)")
