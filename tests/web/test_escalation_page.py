"""Escalation is visible: the raiser's receipt says "escalated", the concern page lists steps."""

from __future__ import annotations

from tests.web.conftest import World
from tests.web.flows import raise_concern, sign_in


def test_escalation_steps_show_on_the_concern_page_and_in_the_receipt(world: World) -> None:
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    concern_id = raise_concern(world, amara, "C-1001", severity="immediate")
    world.deliver()
    world.clock.advance(minutes=61)
    assert world.runtime.escalate().levels == {1: 1}
    world.deliver()

    receipts = [m for m in world.chat("amara") if m.kind == "escalated_receipt"]
    assert len(receipts) == 1 and "has been escalated" in receipts[0].title
    assert sorted(m.kind for m in world.chat("erin") if m.concern_id == concern_id) == [
        "escalation",
        "new_concern",
    ]
    sign_in(world, amara, "amara")  # an hour idle: the session has lapsed
    page = amara.get(f"/concerns/{concern_id}")
    assert page.status_code == 200
    assert "Escalated (step 1) to Erin Walsh" in page.text
