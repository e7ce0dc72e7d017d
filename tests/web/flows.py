"""Steps a person takes through the pages, shared by the web tests."""

from __future__ import annotations

import re

import httpx

from tests.web.browser import Browser
from tests.web.conftest import World

CONCERN_URL = re.compile(r"^/concerns/([0-9a-f]{32})$")

ANSWERS = {
    "category": "neglect",
    "severity": "high",
    "noticed": "Always hungry at pick-up, same clothes all week",
    "family_informed": "not_safe",
    "family_reason": "Telling them could raise the risk at home",
    "rationale": "A pattern that the school and social care need to see",
    "lawful_basis": "public_task",
    "protected_identities": "",
}


def sign_in(world: World, browser: Browser, ref: str) -> httpx.Response:
    page = browser.get("/signin")
    assert page.status_code == 200
    form = browser.form(page.text, "/signin/demo")
    return browser.submit(form, set={"practitioner_id": world.people[ref]})


def step_two(world: World, browser: Browser, client_ref: str, **answers: str) -> httpx.Response:
    """Fill in step 1 of the raise form and continue to 'who it will reach'."""
    start = browser.get("/raise")
    assert start.status_code == 200, start.status_code
    form = browser.form(start.text, "/raise")
    return browser.submit(form, set={"client": world.clients[client_ref], **ANSWERS, **answers})


def send(
    browser: Browser, step2: httpx.Response, set: dict[str, str | list[str]] | None = None
) -> httpx.Response:
    assert step2.status_code == 200, step2.text[:500]
    return browser.submit(browser.form(step2.text, "/raise/send"), set=set)


def raise_concern(world: World, browser: Browser, client_ref: str, **answers: str) -> str:
    """Raise through both steps as the signed-in browser; the new concern's id."""
    sent = send(browser, step_two(world, browser, client_ref, **answers))
    assert sent.status_code == 200 and "Concern sent" in sent.text, sent.text[:500]
    found = re.search(r'href="/concerns/([0-9a-f]{32})"', sent.text)
    assert found
    return found.group(1)


def pointer_path(world: World, ref: str, concern_id: str, kind: str = "new_concern") -> str:
    """The link path in the newest playground message of this kind for this person."""
    for message in world.chat(ref):
        if message.concern_id == concern_id and message.kind == kind and message.link:
            return httpx.URL(message.link).path
    raise AssertionError(f"no {kind} message with a link for {ref}")
