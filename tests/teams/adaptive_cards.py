"""Microsoft's Adaptive Card renderer library as a test oracle.

`tools/teams/check-cards.js` parses each card with the `adaptivecards` npm package (what
Teams renders with) and applies what Teams supports (version at most 1.5, Action.Execute
only from 1.5, no property or type the renderer does not know). One Node process serves the
whole test session, a card per line, so checking a card costs about a millisecond.

`card_problems(payload)` finds every Adaptive Card in an activity or invoke answer (message
attachments, dialog `task` answers, Action.Execute answers) and returns what is wrong.
"""

from __future__ import annotations

import atexit
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.teams.cards import CARD_CONTENT_TYPE

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools" / "teams"
CHECKER = TOOLS / "check-cards.js"


class CardChecker:
    """A long-lived `node check-cards.js`: one JSON card in, one list of problems out."""

    def __init__(self) -> None:
        ensure_tools()
        node = shutil.which("node")
        assert node, "node is needed for the Adaptive Card checks (tools/teams)"
        self._process = subprocess.Popen(
            [node, str(CHECKER)],
            cwd=TOOLS,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._lock = threading.Lock()
        atexit.register(self.close)

    def check(self, card: Any) -> list[str]:
        line = json.dumps(card, separators=(",", ":"))
        with self._lock:
            assert self._process.stdin and self._process.stdout
            self._process.stdin.write(line + "\n")
            self._process.stdin.flush()
            answer = self._process.stdout.readline()
        assert answer, "the Adaptive Card checker stopped"
        return list(json.loads(answer)["problems"])

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=5)


_checker: CardChecker | None = None
_started = threading.Lock()


def checker() -> CardChecker:
    global _checker
    with _started:
        if _checker is None:
            _checker = CardChecker()
        return _checker


_installed = threading.Lock()


def ensure_tools() -> None:
    """`npm ci` tools/teams once per clone (a fresh CI checkout has no node_modules)."""
    with _installed:
        marker = TOOLS / "node_modules" / ".package-lock.json"
        lock = TOOLS / "package-lock.json"
        if marker.exists() and marker.stat().st_mtime >= lock.stat().st_mtime:
            return
        npm = shutil.which("npm")
        assert npm, "npm is needed to install tools/teams (the Playground and adaptivecards)"
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=TOOLS,
            check=True,
            timeout=600,
        )


def cards_in(payload: Any) -> Iterator[Any]:
    """Every Adaptive Card in an activity or an invoke answer, however deep."""
    if isinstance(payload, list):
        for item in payload:
            yield from cards_in(item)
    elif isinstance(payload, dict):
        if payload.get("contentType") == CARD_CONTENT_TYPE and "content" in payload:
            yield payload["content"]
            return
        if payload.get("type") == CARD_CONTENT_TYPE and isinstance(payload.get("value"), dict):
            yield payload["value"]  # an Action.Execute answer: the card that replaces the old
            return
        for value in payload.values():
            yield from cards_in(value)


def card_problems(payload: Any) -> list[str]:
    """What Microsoft's renderer and Teams' limits find wrong in every card of `payload`."""
    problems: list[str] = []
    for card in cards_in(payload):
        problems += checker().check(card)
    return problems
