"""In a real browser (Debian chromium through Playwright), at phone width, with no JavaScript.

One chromium per module. Each test serves a fresh demo app with uvicorn on loopback and
walks it as a person would; every page it meets is scanned with axe-core (in a scripted
copy of the same HTML and CSS, since the pages themselves run no script). Results per
page go to test-artifacts/axe-results.json and screenshots to test-artifacts/screenshots/.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.web.conftest import ARTIFACTS, PHONE, ROOT, World

BLOCKING = ("serious", "critical")

pytestmark = pytest.mark.browser


@dataclass
class Auditor:
    """Runs axe on pages and keeps each page's result (module-wide, written as JSON)."""

    browser: Any
    results: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.css = (ROOT / "bot/web/static/flare.css").read_text()
        (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
        # axe needs script, which the pages never run: scan a scripted copy of each page.
        self.html = ""
        self.probe = self.browser.new_page(viewport=PHONE)
        self.probe.route("**/*", self._fulfil)

    def check(self, page: Any, name: str) -> None:
        """Screenshot the page, run axe on a scripted copy, record and assert the result."""
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        page.screenshot(path=str(ARTIFACTS / "screenshots" / f"{slug}.png"), full_page=True)
        self.html = page.content()
        self.probe.goto(page.url)
        response = self.axe.run(self.probe).response
        width = self.probe.evaluate("document.documentElement.scrollWidth")
        by_impact: dict[str, list[str]] = {}
        for violation in response["violations"]:
            by_impact.setdefault(violation["impact"] or "unknown", []).append(violation["id"])
        self.results[name] = {
            "url": re.sub(r"/l/[A-Za-z0-9_\-]+", "/l/<token>", page.url),
            "violations": by_impact,
            "violation_details": [
                {"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"]]}
                for v in response["violations"]
            ],
            "passes": len(response["passes"]),
            "incomplete": len(response["incomplete"]),
            "scroll_width": width,
        }
        self.write()
        blocking = {k: v for k, v in by_impact.items() if k in BLOCKING}
        assert not blocking, (name, "serious or critical", self.results[name]["violation_details"])
        # Every page is clean today; keep it so (moderate and minor findings fail too).
        assert not by_impact, (name, self.results[name]["violation_details"])
        assert width <= PHONE["width"], (name, "wider than a phone", width)

    def _fulfil(self, route: Any) -> None:
        is_css = route.request.url.endswith(".css")
        route.fulfill(
            body=self.css if is_css else self.html,
            content_type="text/css" if is_css else "text/html",
        )

    def write(self) -> None:
        (ARTIFACTS / "axe-results.json").write_text(json.dumps(self.results, indent=2))

    def summary(self) -> str:
        lines = [f"axe-core, {len(self.results)} pages at {PHONE['width']}px, no JavaScript:"]
        for name, result in self.results.items():
            counts = {k: len(v) for k, v in result["violations"].items()}
            lines.append(f"  {name:<34} violations {counts or 'none'}, passes {result['passes']}")
        return "\n".join(lines)


@pytest.fixture(scope="module")
def auditor(chromium: Any) -> Iterator[Auditor]:
    auditor = Auditor(chromium)
    yield auditor
    auditor.write()
    print("\n" + auditor.summary())


def person(chromium: Any) -> Any:
    """A fresh browser profile (own cookies) at phone width with JavaScript off."""
    return chromium.new_context(viewport=PHONE, java_script_enabled=False).new_page()


def go(page: Any, selector: str) -> None:
    """Click something that navigates (a link or a form button) and wait for the page."""
    with page.expect_navigation(wait_until="load"):
        page.click(selector)


def text(page: Any) -> str:
    return str(page.inner_text("body"))


def test_journey_raise_open_acknowledge_follow_up_chronology(
    served: tuple[World, str], chromium: Any, auditor: Auditor
) -> None:
    world, base = served
    check = auditor.check

    amara = person(chromium)
    amara.goto(f"{base}/playground")
    check(amara, "playground")
    go(amara, "a:has-text('Amara Okafor')")
    check(amara, "playground chat (Amara)")
    go(amara, "button:has-text('Raise a concern as this person')")
    check(amara, "raise step 1")
    go(amara, "button:has-text('Continue')")
    check(amara, "raise step 1 errors")
    assert "There is a problem" in text(amara)
    amara.select_option("#client", value=world.clients["C-1001"])
    amara.check("#category")
    amara.check("#severity-2")
    amara.fill("#noticed", "Always hungry at pick-up")
    amara.check("#family_informed")
    amara.check("#lawful_basis")
    go(amara, "button:has-text('Continue')")
    check(amara, "raise step 2 (who it will reach)")
    amara.fill("#rationale", "A pattern the network needs to see")
    go(amara, "button:has-text('Send the concern')")
    assert "Concern sent" in text(amara)
    check(amara, "raise sent")
    world.deliver()

    chloe = person(chromium)
    chloe.goto(f"{base}/playground/{world.people['chloe']}")
    check(chloe, "playground chat with a pointer")
    go(chloe, "a.button:has-text('Open')")
    check(chloe, "link interstitial")
    go(chloe, "button:has-text('Continue')")
    check(chloe, "sign in (demo)")
    chloe.check("label:has-text('Chloe Patel')")
    go(chloe, "button:has-text('Sign in')")
    assert "Always hungry at pick-up" in text(chloe)
    check(chloe, "concern")
    go(chloe, "button:has-text('Acknowledge this concern')")
    assert "You have acknowledged this concern" in text(chloe)
    check(chloe, "concern acknowledged")

    go(chloe, "button:has-text('Add follow-up')")
    assert "There is a problem" in text(chloe)
    check(chloe, "follow-up errors")
    chloe.select_option("#owner", value=world.people["erin"])
    chloe.fill("#due", "1")
    chloe.fill("#due-month", "12")
    chloe.fill("#due-year", "2026")
    chloe.fill("#action", "Joint home visit this week")
    go(chloe, "button:has-text('Add follow-up')")
    assert "The follow-up was added" in text(chloe)
    check(chloe, "concern with a follow-up")

    go(chloe, "a:has-text('Chronology for C-1001')")
    body = text(chloe)
    assert body.index("Joint home visit") < body.index("Always hungry at pick-up")
    check(chloe, "chronology")
    chloe.fill("#from", "40")
    chloe.fill("#from-month", "1")
    chloe.fill("#from-year", "2026")
    go(chloe, "button:has-text('Apply filters')")
    check(chloe, "chronology filter errors")
    go(chloe, 'a:has-text("Who is in C-1001\'s network")')
    assert "Lead professional" in text(chloe)
    check(chloe, "network")
    go(chloe, "a.header__nav")
    check(chloe, "inbox")
    chloe.goto(f"{base}/")
    check(chloe, "home (signed in)")

    world.deliver()
    amara.goto(f"{base}/playground/{world.people['amara']}")
    assert "The lead professional has acknowledged" in text(amara)
    erin = person(chromium)
    erin.goto(f"{base}/playground/{world.people['erin']}")
    assert "You have been asked to follow up" in text(erin)
    go(erin, "button:has-text('Sign in as this person')")
    erin.goto(f"{base}/inbox")
    assert "Joint home visit this week" in text(erin)
    check(erin, "inbox with a follow-up")
    go(erin, "a:has-text('Follow-up on a concern about C-1001')")
    check(erin, "concern (follow-up owner)")
    go(erin, "button:has-text('Mark as done')")
    assert "The follow-up is marked as done." in text(erin)
    check(erin, "follow-up done")


def test_the_lead_closes_and_reopens_a_concern_accessibly(
    served: tuple[World, str], chromium: Any, auditor: Auditor
) -> None:
    from tests.web.flows import raise_concern, sign_in

    world, base = served
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    concern_id = raise_concern(world, amara, "C-1001")
    world.deliver()
    chloe = person(chromium)
    chloe.goto(f"{base}/playground/{world.people['chloe']}")
    go(chloe, "button:has-text('Sign in as this person')")
    chloe.goto(f"{base}/concerns/{concern_id}")
    auditor.check(chloe, "concern (the lead can close it)")
    go(chloe, "button:has-text('Close the concern')")
    assert "Choose how the concern was resolved" in text(chloe)
    auditor.check(chloe, "close errors")
    chloe.check("#outcome-7")  # other, with a note
    chloe.fill("#note", "Moved out of the area")
    go(chloe, "button:has-text('Close the concern')")
    assert "The concern is closed" in text(chloe)
    auditor.check(chloe, "concern closed")
    go(chloe, "button:has-text('Reopen this concern')")
    assert "The concern is open again" in text(chloe)
    auditor.check(chloe, "concern reopened")


def test_raising_about_any_child_as_an_outsider_accessibly(
    served: tuple[World, str], chromium: Any, auditor: Auditor
) -> None:
    from tests.outsiders import UNKNOWN_NHS, add_outside_organisation

    world, base = served
    world.people |= add_outside_organisation(world.runtime.uow, world.clock.now())
    gail = person(chromium)
    gail.goto(f"{base}/playground/{world.people['gail']}")
    go(gail, "button:has-text('Sign in as this person')")
    gail.goto(f"{base}/raise/child")
    auditor.check(gail, "raise about any child")
    go(gail, "button:has-text('Send')")
    assert "Enter the child's NHS number" in text(gail)
    auditor.check(gail, "raise about any child, errors")
    gail.fill("#identifier", UNKNOWN_NHS)
    gail.check("#category")
    gail.check("#severity-2")
    gail.fill("#noticed", "Always hungry")
    gail.check("#family_informed")
    gail.fill("#rationale", "The school needs to know")
    gail.check("#lawful_basis")
    go(gail, "button:has-text('Send')")
    assert "Sent to the people responsible for this child's safety" in text(gail)
    auditor.check(gail, "raise about any child, sent")
    go(gail, "button:has-text('Ask to join this child')")
    assert "Your request was sent to the people responsible" in text(gail)
    auditor.check(gail, "ask to join, sent")
    gail.goto(f"{base}/join")
    auditor.check(gail, "ask to join by identifier")
    with world.runtime.uow() as uow:
        concern = uow.concerns.raised_by(world.people["gail"])[0]
        concern_id, client_id = concern.id, concern.client_id
    hana = person(chromium)
    hana.goto(f"{base}/playground/{world.people['hana']}")
    go(hana, "button:has-text('Sign in as this person')")
    hana.goto(f"{base}/concerns/{concern_id}")
    auditor.check(hana, "concern about a child not yet identified")
    go(hana, "a:has-text('Confirm the child')")
    auditor.check(hana, "confirm the child's details")
    go(hana, "button:has-text('Confirm and lead the network')")
    auditor.check(hana, "confirm the child's details, errors")
    hana.fill("#label", "Alex Doe (age 6)")
    go(hana, "button:has-text('Confirm and lead the network')")
    assert f"/clients/{client_id}/network" in hana.url
    hana.goto(f"{base}/join-requests")
    assert "Gail Burns" in text(hana)
    auditor.check(hana, "requests to join your networks")
    go(hana, "button:has-text('Approve Gail Burns')")
    assert "No one is waiting for your answer" in text(hana)
    auditor.check(hana, "requests to join, none waiting")


def test_refusals_and_dead_links_are_accessible(
    served: tuple[World, str], chromium: Any, auditor: Auditor
) -> None:
    world, base = served
    check = auditor.check
    stranger = person(chromium)
    stranger.goto(f"{base}/")
    check(stranger, "home (signed out)")
    stranger.goto(f"{base}/l/{secrets.token_urlsafe(32)}")
    go(stranger, "button:has-text('Continue')")
    assert "This link has expired or is not valid" in text(stranger)
    check(stranger, "link expired or unknown")
    go(stranger, "button:has-text('Send me a fresh link')")
    check(stranger, "fresh link requested")

    # Dev (not the lead) opens a link that was sent to Chloe: refused.
    amara = person(chromium)
    amara.goto(f"{base}/playground/{world.people['amara']}")
    go(amara, "button:has-text('Raise a concern as this person')")
    amara.select_option("#client", value=world.clients["C-1001"])
    amara.check("#category")
    amara.check("#severity-4")
    amara.fill("#noticed", "Late every day this week")
    amara.check("#family_informed")
    amara.check("#lawful_basis")
    go(amara, "button:has-text('Continue')")  # no sharing rationale asked first
    amara.fill("#not_sharing_reason", "Talked to my manager; we will watch for now")
    go(amara, "button:has-text('Record a decision not to share')")
    check(amara, "raise not shared")
    go(amara, "a.header__brand")
    go(amara, "a:has-text('Raise a concern')")
    amara.select_option("#client", value=world.clients["C-1001"])
    amara.check("#category")
    amara.check("#severity")
    amara.fill("#noticed", "Bruise on the arm")
    amara.check("#family_informed-2")
    amara.fill("#family_reason", "Could raise the risk")
    amara.check("#lawful_basis")
    go(amara, "button:has-text('Continue')")
    amara.fill("#rationale", "Immediate risk")
    go(amara, "button:has-text('Send the concern')")
    world.deliver()
    chloe_chat = person(chromium)
    chloe_chat.goto(f"{base}/playground/{world.people['chloe']}")
    link = chloe_chat.get_attribute("a.button:has-text('Open')", "href")
    dev = person(chromium)
    dev.goto(f"{base}/playground/{world.people['dev']}")
    go(dev, "button:has-text('Sign in as this person')")
    dev.goto(link)
    go(dev, "button:has-text('Continue')")
    assert "sent to someone else" in text(dev)
    check(dev, "link sent to someone else")

    ben = person(chromium)
    ben.goto(f"{base}/playground/{world.people['ben']}")
    go(ben, "button:has-text('Sign in as this person')")
    ben.goto(f"{base}/clients/{world.clients['C-1001']}/chronology")
    assert "You are not in this client's network" in text(ben)
    check(ben, "not in the network (refusal)")
    with world.runtime.uow() as uow:  # the shared one: Ben (Amara's safeguarding lead in the
        # demo) oversees her decision not to share, but is no recipient of what she shared
        (concern_id,) = [
            c.id for c in uow.concerns.raised_by(world.people["amara"]) if c.status != "not_shared"
        ]
    ben.goto(f"{base}/concerns/{concern_id}")
    assert "You cannot see this concern" in text(ben)
    check(ben, "concern refused")


def focused(page: Any) -> str:
    """The id (or class) of the focused element."""
    return str(page.evaluate("document.activeElement.id || document.activeElement.className"))


def settle_autofocus(page: Any) -> None:
    """Chromium applies `autofocus` at a rendering opportunity after load, not at load: wait
    for that (up to 5 s), or the test reads the focus before the page has moved it."""
    page.wait_for_function(
        "document.querySelector('[autofocus]') === null"
        " || document.activeElement === document.querySelector('[autofocus]')",
        timeout=5000,
    )


def tab_to(page: Any, selector: str, limit: int = 60) -> None:
    """Press Tab until the element is focused (fails if the tab order never reaches it)."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_raise_form_with_the_keyboard_only(
    served: tuple[World, str], chromium: Any, auditor: Auditor
) -> None:
    world, base = served
    dev = person(chromium)
    dev.goto(f"{base}/playground/{world.people['dev']}")
    tab_to(dev, "button:has-text('Raise a concern as this person')")
    with dev.expect_navigation(wait_until="load"):
        dev.keyboard.press("Enter")
    assert dev.url.endswith("/raise") and "Step 1 of 2" in text(dev)

    # Continue with nothing filled in: the error summary takes focus (GOV.UK pattern) and
    # its first link takes the keyboard to the field.
    tab_to(dev, "button:has-text('Continue')")
    with dev.expect_navigation(wait_until="load"):
        dev.keyboard.press("Enter")
    settle_autofocus(dev)
    assert focused(dev) == "error-summary"
    dev.keyboard.press("Tab")
    assert dev.evaluate("document.activeElement.getAttribute('href')") == "#client"
    dev.keyboard.press("Enter")
    dev.keyboard.press("Tab")  # from the fragment target, on through the form
    dev.keyboard.press("Shift+Tab")
    assert focused(dev) == "client", focused(dev)

    tab_to(dev, "#client")
    dev.keyboard.press("ArrowDown")  # the first client in the list
    tab_to(dev, "#category")
    dev.keyboard.press("Space")
    tab_to(dev, "#severity")
    dev.keyboard.press("ArrowDown")  # moves to, and picks, "High"
    tab_to(dev, "#noticed")
    dev.keyboard.type("Falls asleep in class most days")
    tab_to(dev, "#family_informed")
    dev.keyboard.press("Space")
    tab_to(dev, "#lawful_basis")
    dev.keyboard.press("Space")
    tab_to(dev, "button:has-text('Continue')")
    with dev.expect_navigation(wait_until="load"):
        dev.keyboard.press("Enter")
    assert "Who it will reach" in text(dev), text(dev)[:400]
    auditor.check(dev, "raise step 2 (keyboard)")
    tab_to(dev, "#rationale")
    dev.keyboard.type("The lead needs to see this pattern")
    tab_to(dev, "button:has-text('Send the concern')")
    with dev.expect_navigation(wait_until="load"):
        dev.keyboard.press("Space")
    assert "Concern sent" in text(dev)
    with world.runtime.uow() as uow:
        raised = uow.concerns.raised_by(world.people["dev"])
        assert len(raised) == 1 and raised[0].severity == "high"


def test_admin_pages_are_accessible(
    served: tuple[World, str], chromium: Any, auditor: Auditor
) -> None:
    world, base = served
    check = auditor.check
    femi = person(chromium)  # an organisation admin and a partnership admin
    femi.goto(f"{base}/playground/{world.people['femi']}")
    go(femi, "button:has-text('Sign in as this person')")
    femi.goto(f"{base}/")
    assert "Administration" in text(femi)
    check(femi, "home with admin links")
    go(femi, "header a:has-text('Organisation admin')")
    assert femi.url.endswith("/admin/organisation")
    check(femi, "organisation admin")
    go(femi, "button:has-text('Add practitioner')")
    assert "There is a problem" in text(femi)
    check(femi, "organisation admin errors")
    femi.goto(f"{base}/admin/organisation/practitioners/{world.people['erin']}")
    check(femi, "practitioner admin")
    go(femi, "header a:has-text('Partnership admin')")
    assert femi.url.endswith("/admin/partnership") and "Partnership admins" in text(femi)
    check(femi, "partnership settings")
    go(femi, "button:has-text('Remove')")  # Femi is the only one: refused
    assert "at least one partnership admin" in text(femi)
    check(femi, "partnership admins errors")
    femi.fill("#deadline_high", "soon")
    go(femi, "button:has-text('Save settings')")
    assert "There is a problem" in text(femi)
    check(femi, "partnership settings errors")
    femi.fill("#deadline_high", "eod")
    femi.select_option("#bank_holiday_region", value="scotland")
    go(femi, "button:has-text('Save settings')")
    assert "Your changes are saved" in text(femi)
    check(femi, "partnership settings saved")

    amara = person(chromium)
    amara.goto(f"{base}/playground/{world.people['amara']}")
    go(amara, "button:has-text('Sign in as this person')")
    amara.goto(f"{base}/")
    assert "Administration" not in text(amara) and "Partnership admin" not in text(amara)
    amara.goto(f"{base}/admin/partnership")
    assert "You cannot change these settings" in text(amara)
    check(amara, "admin refused")
