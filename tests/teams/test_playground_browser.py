"""Flare in Microsoft 365 Agents Playground (Microsoft's local Teams client), driven in Chromium.

`flare demo teams-playground` runs as `make teams-playground` does: Flare in demo mode and two
Playgrounds, Amara (raises) and Chloe (lead professional for C-1001). In Amara's Playground
the test says `help`, then raises a concern in Flare's dialog, opened the way the Playground
can open one: its message-extension action (the raise command; the Playground does not open
task/fetch dialogs from a card button, its documented limit). In Chloe's Playground the
pointer card arrives, rendered by Microsoft's Adaptive Card renderer, with its Acknowledge
button; pressing it replaces the card in place. Amara then gets her receipt. What Amara typed
never shows in either chat. Screenshots go to test-artifacts/teams-playground/.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bot.teams.playground_demo import PLAYGROUND_LOG
from tests.teams.adaptive_cards import ensure_tools

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "teams-playground"
NOTICED = "Playground canary: the child said nobody collects her on Fridays"
RATIONALE = "Playground canary rationale: the school needs to know today"
WAIT_MS = 60_000


def _free_port(*, also_next: bool = False) -> int:
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = int(first.getsockname()[1])
            if not also_next:
                return port
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free pair of ports")


@dataclass(frozen=True)
class Running:
    flare: str
    amara: str
    chloe: str
    folder: Path  # FLARE_VAR_DIR: Flare's database, key and log, the Playgrounds' files


@pytest.fixture
def playgrounds(tmp_path: Path) -> Iterator[Running]:
    ensure_tools()
    flare_port, first = _free_port(), _free_port(also_next=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEAMS_", "SLACK_", "FLARE_"))}
    env.update(
        FLARE_ENV="demo",
        FLARE_VAR_DIR=str(tmp_path),
        FLARE_OUTBOX_INTERVAL_SECONDS="0.5",
        FLARE_LOG_LEVEL="WARNING",
    )
    log = (tmp_path / "flare.out").open("wb")
    command = ["demo", "teams-playground", "--port", str(flare_port)]
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *command, "--playground-port", str(first)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    running = Running(
        f"http://127.0.0.1:{flare_port}",
        f"http://127.0.0.1:{first}",
        f"http://127.0.0.1:{first + 1}",
        tmp_path,
    )
    try:
        _wait_until_up(running, process, tmp_path)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
    # the Playgrounds' own traffic logs (typed answers included) go when they stop
    assert list(tmp_path.rglob(PLAYGROUND_LOG)) == []


def _wait_until_up(running: Running, process: subprocess.Popen[bytes], folder: Path) -> None:
    deadline = time.monotonic() + 120
    for url in (running.amara, running.chloe, f"{running.flare}/healthz"):
        while True:
            assert process.poll() is None, (folder / "flare.out").read_text()[-3000:]
            assert time.monotonic() < deadline, f"{url} did not come up"
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _open(browser: Browser, url: str) -> Page:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    # the Playground says hello to Flare when it opens; Flare answers with its help card
    expect(page.get_by_text("Flare lets you raise").first).to_be_visible()
    return page


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _say(page: Page, text: str) -> None:
    page.get_by_role("textbox").first.click()
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def _choose(page: Page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option).click()


def _raise_in_dialog(page: Page) -> None:
    page.get_by_role("button", name="Trigger Message Extension App").click()
    page.get_by_role("menuitem", name="Action Command").click()
    setup = page.get_by_role("dialog")
    setup.get_by_role("textbox").fill("raiseConcern")  # Flare's raise command (manifest)
    setup.get_by_role("radio").first.check()  # "Adaptive Cards: fetch the dialog from the app"
    setup.get_by_role("button", name="Create").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Nothing is posted to this chat")).to_be_visible()
    _choose(page, "Who is the concern about?", "C-1001")
    _choose(page, "What kind of concern", "Neglect")
    _choose(page, "How serious", "High")
    _shot(page, "2-raise-dialog-routing")
    dialog.get_by_role("button", name="Next").click()
    expect(dialog.get_by_text("Who it will reach")).to_be_visible()
    dialog.get_by_role("textbox", name="What did you notice?").fill(NOTICED)
    dialog.get_by_role("radio", name="Yes, the family knows").check()
    dialog.get_by_role("textbox", name="Why is sharing necessary and proportionate?").fill(
        RATIONALE
    )
    dialog.get_by_role("radio", name="Public task").check()
    _shot(page, "3-raise-dialog-answers")
    dialog.get_by_role("button", name="Submit").click()  # "Share it" is the preset choice
    expect(page.get_by_text("Concern sent to")).to_be_visible()
    _shot(page, "4-raise-sent")


def test_a_concern_raised_in_the_playground_reaches_the_lead_who_acknowledges_it(
    playgrounds: Running, browser: Browser
) -> None:
    started = time.monotonic()
    amara = _open(browser, playgrounds.amara)
    chloe = _open(browser, playgrounds.chloe)
    helps = amara.get_by_text("Flare lets you raise").count()

    _say(amara, "help")
    expect(amara.get_by_text("Flare lets you raise")).to_have_count(helps + 1)
    _shot(amara, "1-help")

    _raise_in_dialog(amara)

    pointer = chloe.locator(".ac-adaptiveCard", has_text="new concern").last
    expect(pointer).to_be_visible()
    acknowledge = pointer.get_by_role("button", name="Acknowledge")
    expect(acknowledge).to_be_visible()
    _shot(chloe, "5-lead-pointer")

    acknowledge.click()
    updated = chloe.locator(".ac-adaptiveCard", has_text="Acknowledged").last
    expect(updated).to_be_visible()
    expect(chloe.get_by_role("button", name="Acknowledge")).to_have_count(0)
    _shot(chloe, "6-lead-acknowledged")

    expect(amara.locator(".ac-adaptiveCard", has_text="acknowledged").last).to_be_visible()
    _shot(amara, "7-raiser-receipt")

    for page in (amara, chloe):  # pointers only: nothing typed in the dialog is in any chat
        text = page.locator("body").inner_text()
        assert NOTICED not in text and RATIONALE not in text
        # the Playground warns in its log about card features Teams would not show; the one
        # expected warning is its own documented limit (task/fetch from the help card's button)
        warnings = [
            line
            for line in text.splitlines()
            if "Warning:" in line and "Task module (task/fetch)" not in line
        ]
        assert warnings == []
    for path in playgrounds.folder.rglob("*"):  # no plaintext in Flare's files or logs
        if path.is_file() and path.name != PLAYGROUND_LOG:  # the Playground's, removed below
            data = path.read_bytes()
            assert NOTICED.encode() not in data and RATIONALE.encode() not in data, path
    print(f"\nteams playground flow: {time.monotonic() - started:.1f}s")
