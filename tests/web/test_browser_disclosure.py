"""Subject access in a real browser at phone width, scanned with axe (0 violations): the
form (and its errors), the printable export (printed without its furniture) and the
who-viewed report. The export page runs no script; its quick exit is a plain link."""

from __future__ import annotations

from typing import Any

import pytest

from tests.directory import Directory
from tests.disclosure import OWN_NHS, make_officers, make_record
from tests.web.conftest import World
from tests.web.test_browser import Auditor, auditor, go, person, text

pytestmark = pytest.mark.browser
__all__ = ["auditor"]  # the module-scoped axe fixture, shared with test_browser


def test_subject_access_pages_are_accessible_and_the_export_prints(
    served: tuple[World, str], chromium: Any, auditor: Auditor
) -> None:
    world, base = served
    d = Directory(world.people, world.clients)
    make_officers(world.runtime.uow, d)
    make_record(world.runtime.uow, d, world.clock)
    check = auditor.check

    dev = person(chromium)
    dev.goto(f"{base}/playground/{world.people['dev']}")
    go(dev, "button:has-text('Sign in as this person')")
    dev.goto(f"{base}/disclosure")
    check(dev, "subject access")
    dev.fill("#export_identifier", "C-9999")
    go(dev, "button:has-text('Make the export')")
    assert "No client your organisation works with has that identifier" in text(dev)
    check(dev, "subject access error")

    dev.fill("#export_identifier", OWN_NHS)
    go(dev, "button:has-text('Make the export')")
    assert "Subject access export" in text(dev) and "Redactions (4)" in text(dev)
    assert dev.locator("script").count() == 0
    check(dev, "subject access export")
    exit_link = dev.locator("a.exit-this-page__button")
    assert exit_link.get_attribute("href") == "https://www.bbc.co.uk/weather"
    dev.emulate_media(media="print")
    assert not exit_link.is_visible()  # printed without the page's furniture
    assert dev.locator("h1").is_visible()
    dev.emulate_media(media="screen")

    dev.goto(f"{base}/disclosure")
    dev.fill("#viewers_identifier", "C-1001")
    go(dev, "button:has-text('See who viewed it')")
    assert "Chloe Patel" in text(dev)
    check(dev, "who viewed")
