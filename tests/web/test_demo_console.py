"""The demo console tells a newcomer, one line each, that a pointer was sent, a link opened
and a concern acknowledged — and nothing about the client."""

from __future__ import annotations

from datetime import datetime

from bot.console import DemoConsole
from tests.web.conftest import World
from tests.web.flows import pointer_path, raise_concern, sign_in

NOTICED = "console-canary: bruise on the left arm"


def test_one_line_per_pointer_sent_link_opened_and_acknowledgement(world: World) -> None:
    lines: list[str] = []
    console = DemoConsole(
        world.runtime.uow, echo=lines.append, now=lambda: datetime(2026, 11, 24, 10, 0, 7)
    )
    assert console.tell() == 0  # what happened before it started is not replayed

    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    concern_id = raise_concern(world, amara, "C-1001", noticed=NOTICED)
    world.deliver()
    sent = console.tell()
    assert sent >= 2 and len(lines) == sent
    assert "10:00:07  pointer sent to Chloe Patel on playground (new concern)" in lines
    assert all(line.startswith("10:00:07  pointer sent to ") for line in lines)

    chloe = world.browser("chloe")
    interstitial = chloe.get(pointer_path(world, "chloe", concern_id))
    chloe.submit(chloe.form(interstitial.text))
    view = chloe.follow(sign_in(world, chloe, "chloe"))
    assert console.tell() == 1 and lines[-1] == "10:00:07  link opened by Chloe Patel"

    chloe.submit(chloe.form(view.text, f"/concerns/{concern_id}/acknowledge"))
    assert console.tell() >= 1
    assert "10:00:07  concern acknowledged by Chloe Patel" in lines
    assert console.tell() == 0  # each happening is told once

    assert not any("console-canary" in line or "C-1001" in line for line in lines)
