"""Quick exit, in Chromium with the real CSP: "Exit this page" on every signed-in page.

GOV.UK's pattern: a link that works without JavaScript; with it, the page is blanked and
replaced so Back does not return to it, and Shift pressed three times does the same.
The neutral site is served by the test (no network here): Playwright fulfils its URL.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.web.rendering import EXIT_URL
from bot.web.security import CSP
from tests.web.conftest import PHONE, World
from tests.web.test_browser import go, text

pytestmark = pytest.mark.browser

NEUTRAL = "<!DOCTYPE html><html lang='en'><title>Weather</title><h1>Weather</h1></html>"


def _signed_in_chronology(chromium: Any, world: World, base: str, *, javascript: bool) -> Any:
    """Amara signs in through the playground, then opens a page with client data on it."""
    page = chromium.new_context(viewport=PHONE, java_script_enabled=javascript).new_page()
    page.route(f"{EXIT_URL}**", lambda route: route.fulfill(body=NEUTRAL, content_type="text/html"))
    page.goto(f"{base}/playground/{world.people['amara']}")
    go(page, "button:has-text('Sign in as this person')")
    page.goto(f"{base}/inbox")
    response = page.goto(f"{base}/clients/{world.clients['C-1001']}/chronology")
    assert response is not None and response.status == 200
    assert response.headers["content-security-policy"] == CSP
    return page


def test_with_javascript_exit_replaces_the_page_and_back_does_not_return(
    served: tuple[World, str], chromium: Any
) -> None:
    world, base = served
    page = _signed_in_chronology(chromium, world, base, javascript=True)
    assert page.is_visible("text=Or press Shift 3 times")  # the script ran under the CSP
    history = page.evaluate("history.length")

    with page.expect_navigation(url=f"{EXIT_URL}**"):
        page.click("a:has-text('Exit this page')")
    assert "Weather" in text(page)
    assert page.evaluate("history.length") == history  # replaced, not pushed

    page.go_back()
    assert page.url == f"{base}/inbox"  # the chronology is gone from the back history
    assert "chronology" not in page.url


def test_shift_three_times_exits(served: tuple[World, str], chromium: Any) -> None:
    world, base = served
    page = _signed_in_chronology(chromium, world, base, javascript=True)
    page.keyboard.press("Shift")
    page.keyboard.press("a")  # another key in between starts the count again
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    assert "/chronology" in page.url
    with page.expect_navigation(url=f"{EXIT_URL}**"):
        page.keyboard.press("Shift")
    assert "Weather" in text(page)


def test_without_javascript_the_exit_is_a_plain_link(
    served: tuple[World, str], chromium: Any
) -> None:
    world, base = served
    page = _signed_in_chronology(chromium, world, base, javascript=False)
    assert not page.is_visible("text=Or press Shift 3 times")  # no script, no promise of one
    exit_link = page.locator("a:has-text('Exit this page')")
    assert exit_link.get_attribute("href") == EXIT_URL
    assert "noreferrer" in (exit_link.get_attribute("rel") or "")
    with page.expect_navigation(url=f"{EXIT_URL}**"):
        exit_link.click()
    assert "Weather" in text(page)


def test_signed_out_pages_have_no_exit_button(served: tuple[World, str], chromium: Any) -> None:
    _, base = served
    page = chromium.new_context(viewport=PHONE, java_script_enabled=False).new_page()
    page.goto(f"{base}/playground")
    assert page.locator("a:has-text('Exit this page')").count() == 0
