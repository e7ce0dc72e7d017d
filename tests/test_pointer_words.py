"""Every kind of pointer has its own words, and Slack and Teams both show them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.slack.blocks import fallback_text, pointer_blocks
from bot.teams.cards import pointer_card
from handlers.outbox.pointer_words import describe
from handlers.ports import Pointer
from handlers.values import Platform, PointerKind, Severity

NOW = datetime(2026, 11, 26, 14, 2, tzinfo=UTC)


def _pointer(kind: PointerKind, platform: Platform) -> Pointer:
    return Pointer(
        kind=kind,
        recipient_id="a" * 32,
        platform=platform,
        idempotency_key=f"{kind.value}:1",
        link="https://flare.test/c/tok",
        concern_id="b" * 32,
        severity=Severity.HIGH,
        raised_at=NOW - timedelta(hours=3),
        entries=2,
    )


def test_no_two_kinds_share_a_title() -> None:
    titles = [describe(_pointer(kind, Platform.SLACK), NOW).title for kind in PointerKind]
    assert all(titles) and len(set(titles)) == len(PointerKind)


@pytest.mark.parametrize("kind", list(PointerKind))
def test_slack_and_teams_show_the_kinds_own_title(kind: PointerKind) -> None:
    title = describe(_pointer(kind, Platform.SLACK), NOW).title
    assert fallback_text(_pointer(kind, Platform.SLACK), NOW).startswith(title)
    assert title in json.dumps(pointer_blocks(_pointer(kind, Platform.SLACK), NOW))
    card = pointer_card(_pointer(kind, Platform.TEAMS), NOW)
    assert card["body"][1]["text"] == title


def test_the_digest_counts_advice_that_waits_in_words_without_content() -> None:
    pointer = Pointer(
        kind=PointerKind.DIGEST,
        recipient_id="a" * 32,
        platform=Platform.SLACK,
        idempotency_key="digest-1",
        advice_to_give=2,
        advice_given=1,
    )
    lines = describe(pointer, NOW).lines
    assert "2 requests for your advice" in lines
    assert "Advice on 1 draft of yours, to send or decide" in lines
