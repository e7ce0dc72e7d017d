"""In a real browser (Debian chromium through Playwright), at phone width, with no JavaScript.

Walks the playground journey against uvicorn on loopback and runs axe on every page: the
forms work without scripts, and the markup has no accessibility violations axe can find.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from tests.web.conftest import World

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def served(sqlite_world: World) -> Iterator[tuple[World, str]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    config = uvicorn.Config(sqlite_world.app, host="127.0.0.1", port=port, log_config=None)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    # Links in chat point at FLARE_PUBLIC_URL: make it this server.
    sqlite_world.runtime.settings.public_url = f"http://127.0.0.1:{port}"
    yield sqlite_world, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.browser
def test_journey_in_a_browser_without_javascript_is_accessible(
    served: tuple[World, str],
) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    world, base = served
    axe = Axe()
    checked: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])

        def new_page():  # type: ignore[no-untyped-def]
            context = browser.new_context(
                viewport={"width": 375, "height": 812}, java_script_enabled=False
            )
            return context.new_page()

        def audit(page, name: str) -> None:  # type: ignore[no-untyped-def]
            # axe needs script in the page; run it in a scripted copy of the same HTML.
            html = page.content()
            css = (Path(__file__).parents[2] / "bot/web/static/flare.css").read_text()
            probe = browser.new_page(viewport={"width": 375, "height": 812})
            probe.route(
                "**/*",
                lambda route: route.fulfill(
                    body=css if route.request.url.endswith(".css") else html,
                    content_type="text/css" if route.request.url.endswith(".css") else "text/html",
                ),
            )
            probe.goto(page.url)
            violations = axe.run(probe).response["violations"]
            width = probe.evaluate("document.documentElement.scrollWidth")
            probe.close()
            assert violations == [], (name, [(v["id"], v["nodes"][0]["html"]) for v in violations])
            assert width <= 375, (name, "wider than a phone", width)
            checked.append(name)

        def go(page, selector: str) -> None:  # type: ignore[no-untyped-def]
            """Click something that navigates (a link or a form button) and wait for the page."""
            with page.expect_navigation(wait_until="load"):
                page.click(selector)

        amara = new_page()
        amara.goto(f"{base}/playground")
        audit(amara, "playground")
        go(amara, "a:has-text('Amara Okafor')")
        audit(amara, "inbox")
        go(amara, "button:has-text('Raise a concern as this person')")
        go(amara, "button:has-text('Continue')")
        audit(amara, "raise errors")
        amara.select_option("#client", index=1)
        amara.check("#category")
        amara.check("#severity-2")
        amara.fill("#noticed", "Always hungry at pick-up")
        amara.check("#family_informed")
        amara.fill("#rationale", "A pattern the network needs to see")
        amara.check("#lawful_basis")
        go(amara, "button:has-text('Continue')")
        audit(amara, "who it will reach")
        go(amara, "button:has-text('Send the concern')")
        assert "Concern sent" in amara.content()
        audit(amara, "sent")
        world.deliver()

        chloe = new_page()
        chloe.goto(f"{base}/playground/{world.people['chloe']}")
        go(chloe, "a.button:has-text('Open')")
        audit(chloe, "interstitial")
        go(chloe, "button:has-text('Continue')")
        audit(chloe, "sign in")
        chloe.check("label:has-text('Chloe Patel')")
        go(chloe, "button:has-text('Sign in')")
        assert "Always hungry at pick-up" in chloe.content()
        audit(chloe, "concern")
        go(chloe, "button:has-text('Acknowledge this concern')")
        assert "You have acknowledged this concern" in chloe.content()
        world.deliver()
        amara.goto(f"{base}/playground/{world.people['amara']}")
        assert "The lead professional has acknowledged" in amara.content()
        browser.close()
    assert len(checked) == 8
