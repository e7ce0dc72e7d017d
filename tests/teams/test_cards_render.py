"""Every Adaptive Card Flare can send or answer with passes Microsoft's renderer library and
Teams' limits (tests/teams/adaptive_cards.py), and the check itself catches what Teams would
not show."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.teams.cards import acknowledged_card, pointer_activity, pointer_card
from bot.teams.dialog import RaiseDialog, task_message
from bot.teams.inbound import _help_activity
from handlers.ports import MessageRef, Pointer
from handlers.values import ChosenBecause, Platform, PointerKind, Severity
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock, UowFactory
from tests.directory import seed_directory
from tests.fakes import surface_dependencies
from tests.teams.adaptive_cards import card_problems, cards_in, checker

NOW = datetime(2026, 11, 26, 14, 2, tzinfo=UTC)


def _pointer(kind: PointerKind, **extra: Any) -> Pointer:
    values: dict[str, Any] = {
        "kind": kind,
        "recipient_id": "a" * 32,
        "platform": Platform.TEAMS,
        "idempotency_key": f"{kind.value}:1",
        "link": "https://flare.test/l/tok",
        "concern_id": "b" * 32,
        "severity": Severity.HIGH,
        "raised_at": NOW - timedelta(hours=3),
        "entries": 2,
        "recipients": 3,
    }
    values.update(extra)
    return Pointer(**values)


VARIANTS: dict[str, dict[str, Any]] = {
    "plain": {},
    "to acknowledge": {"can_acknowledge": True},
    "to acknowledge or close": {"can_acknowledge": True, "can_close": True},
    "no link, no severity": {"link": None, "severity": None, "concern_id": None},
    "digest": {"awaiting": 4, "follow_ups_due": 2},
    "why chosen": {"chosen": ChosenBecause.RAISER_CHOSE, "can_acknowledge": True},
    "an update": {"updates": MessageRef({"key": "k"}), "can_acknowledge": True},
    "a receipt to ask from": {"can_ask_to_join": True},
    "a join request to decide": {"join_request_id": "c" * 32, "concern_id": None},
}


@pytest.mark.parametrize("kind", list(PointerKind))
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_pointer_card_renders_in_teams(kind: PointerKind, variant: str) -> None:
    pointer = _pointer(kind, **VARIANTS[variant])
    activity = pointer_activity(pointer, NOW)
    assert list(cards_in(activity)) == [pointer_card(pointer, NOW)]
    assert card_problems(activity) == []


@pytest.mark.parametrize("severity", list(Severity))
def test_the_acknowledged_card_renders_in_teams(severity: Severity) -> None:
    pointer = _pointer(
        PointerKind.ACKNOWLEDGED, severity=severity, acknowledged_at=NOW, by_recipient=True
    )
    answer: dict[str, Any] = {"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive"}
    answer["value"] = acknowledged_card(pointer, NOW)
    assert len(list(cards_in(answer))) == 1
    assert card_problems(answer) == []


def test_the_help_card_renders_in_teams() -> None:
    activity = _help_activity()
    assert len(list(cards_in(activity))) == 1
    assert card_problems(activity) == []


def _dialog(uow_factory: Callable[[], UnitOfWork]) -> tuple[RaiseDialog, dict[str, str]]:
    clock = FakeClock()
    d = seed_directory(uow_factory, clock.now())
    deps = surface_dependencies(uow_factory, clock)
    dialog = RaiseDialog(deps, "https://flare.test/raise/advice")
    return dialog, {**d.people, "C-1001": d.clients["C-1001"]}


def test_every_raise_dialog_card_renders_in_teams(uow_factory: UowFactory) -> None:
    dialog, ids = _dialog(uow_factory)
    routing = {"client": ids["C-1001"], "category": "neglect", "severity": "high"}
    answers = {
        **routing,
        "flare_step": "send",
        "submission_key": "k" * 32,
        "noticed": "",  # missing: card 2 comes back with its errors
        "family_informed": "not_yet",
        "rationale": "",
        "lawful_basis": "public_task",
    }
    answered = [
        dialog.open(ids["amara"]),  # card 1
        dialog.open(ids["femi"]),  # card 1 for someone in no network
        dialog.submit(ids["amara"], {"flare_step": "answers"}),  # card 1 with errors
        dialog.submit(ids["amara"], {"flare_step": "answers", **routing}),  # card 2
        dialog.submit(ids["amara"], answers),  # card 2 with errors and answers
        # card 2 again: not to share, without its reasons
        dialog.submit(ids["amara"], {**answers, "decision": "not_share"}),
        task_message("Concern sent to 3 people."),
    ]
    assert len(list(cards_in(answered))) == 6
    assert card_problems(answered) == []


@pytest.mark.parametrize(
    ("card", "says"),
    [
        ({"type": "AdaptiveCard", "version": "1.6", "body": []}, "higher than Teams supports"),
        ({"type": "AdaptiveCard", "body": []}, "version is missing"),
        (
            {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "txt": "x"}]},
            'no property "txt"',
        ),
        (
            {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "Carousel"}]},
            "Carousel needs version 1.6",
        ),
        (
            {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "Bogus"}]},
            "Unknown element type",
        ),
        (
            {
                "type": "AdaptiveCard",
                "version": "1.4",
                "actions": [{"type": "Action.Execute", "title": "A", "verb": "a"}],
            },
            "Action.Execute needs version 1.5",
        ),
        (
            {"type": "AdaptiveCard", "version": "1.2", "body": [{"type": "Table", "rows": []}]},
            "Table needs version 1.5",
        ),
        (
            {
                "type": "AdaptiveCard",
                "version": "1.5",
                "actions": [{"type": "Action.OpenUrl", "title": "Open"}],
            },
            "url",
        ),
    ],
)
def test_the_check_catches_what_teams_would_not_show(card: dict[str, Any], says: str) -> None:
    problems = checker().check(card)
    assert any(says in problem for problem in problems), problems
