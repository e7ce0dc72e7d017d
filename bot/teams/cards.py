"""Adaptive Cards for pointers: words from handlers.outbox.pointer_words, the shape from here.

A card carries only what a Pointer carries (kind, severity, age, counts, the recipient's
own link, the concern's opaque id for "Acknowledge" and "Close"): nothing sensitive can
reach Teams. "Close" unfolds the outcomes in the card (Action.ShowCard) and submits one with
Action.Execute; "other", which needs a note, is left to the concern page (free text is
typed only in a dialog or on Flare's own pages).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.outbox.pointer_words import PointerText, describe
from handlers.ports import Pointer
from handlers.values import Outcome, Severity

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"  # what Teams renders; Teams wants 1.5 for Action.Execute (docs/teams.md)
ACKNOWLEDGE_VERB = "acknowledge"
CLOSE_VERB = "close"
JOIN_ASK_VERB = "join_ask"  # bot/teams/joining.py
JOIN_APPROVE_VERB = "join_approve"
JOIN_DECLINE_VERB = "join_decline"
OTHER_ON_THE_PAGE = "For another outcome, close it on the concern page, where you can add a note."

_SEVERITY_COLOUR = {
    Severity.IMMEDIATE: "attention",
    Severity.HIGH: "warning",
    Severity.MEDIUM: "accent",
    Severity.LOW: "default",
}


def pointer_card(pointer: Pointer, now: datetime) -> dict[str, Any]:
    """The Adaptive Card a recipient sees for one pointer."""
    text = describe(pointer, now)
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": "Flare", "weight": "bolder", "isSubtle": True},
        {"type": "TextBlock", "text": text.title, "wrap": True, "size": "medium"},
    ]
    facts = [_fact(line) for line in text.lines]
    if facts:
        body.append({"type": "FactSet", "facts": facts})
    if pointer.severity is not None:
        body[1]["color"] = _SEVERITY_COLOUR[pointer.severity]
    actions: list[dict[str, Any]] = []
    if text.open_label and pointer.link:
        actions.append({"type": "Action.OpenUrl", "title": text.open_label, "url": pointer.link})
    if text.acknowledge_label and pointer.concern_id:
        actions.append(
            {
                "type": "Action.Execute",
                "title": text.acknowledge_label,
                "verb": ACKNOWLEDGE_VERB,
                "data": {"concern": pointer.concern_id},
                "style": "positive",
            }
        )
    if text.close_label and pointer.concern_id:
        actions.append(close_action(text.close_label, pointer.concern_id))
    actions += join_actions(pointer, text)
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return card


def join_actions(pointer: Pointer, text: PointerText) -> list[dict[str, Any]]:
    """Ask to join (a receipt from outside the network); Approve and Decline (a request)."""
    actions = []
    for label, verb, data, style in (
        (text.ask_to_join_label, JOIN_ASK_VERB, {"concern": pointer.concern_id}, "default"),
        (text.approve_label, JOIN_APPROVE_VERB, {"request": pointer.join_request_id}, "positive"),
        (
            text.decline_label,
            JOIN_DECLINE_VERB,
            {"request": pointer.join_request_id},
            "destructive",
        ),
    ):
        if label and all(data.values()):
            actions.append(
                {
                    "type": "Action.Execute",
                    "title": label,
                    "verb": verb,
                    "data": data,
                    "style": style,
                }
            )
    return actions


def close_action(title: str, concern_id: str) -> dict[str, Any]:
    """Close: the outcomes (but "other") in a card that unfolds, and one Action.Execute."""
    choices = [{"title": o.label, "value": o.value} for o in Outcome if not o.needs_note]
    return {
        "type": "Action.ShowCard",
        "title": title,
        "card": {
            "type": "AdaptiveCard",
            "body": [
                {
                    "type": "Input.ChoiceSet",
                    "id": "outcome",
                    "label": "What was the outcome?",
                    "style": "expanded",
                    "isRequired": True,
                    "errorMessage": "Choose how the concern was resolved",
                    "choices": choices,
                },
                {"type": "TextBlock", "text": OTHER_ON_THE_PAGE, "wrap": True, "isSubtle": True},
            ],
            "actions": [
                {
                    "type": "Action.Execute",
                    "title": "Close the concern",
                    "verb": CLOSE_VERB,
                    "data": {"concern": concern_id},
                }
            ],
        },
    }


def pointer_activity(pointer: Pointer, now: datetime) -> dict[str, Any]:
    """A message activity holding the card; `summary` is what the notification shows."""
    text = describe(pointer, now)
    return {
        "type": "message",
        "summary": text.title,
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": pointer_card(pointer, now)}],
        "channelData": {"notification": {"alert": True}},
    }


def acknowledged_card(pointer: Pointer, now: datetime) -> dict[str, Any]:
    """The card after acknowledgement ("Acknowledged by you at 14:02"), no Acknowledge button.

    `pointer` is the ACKNOWLEDGED pointer (kind ACKNOWLEDGED with acknowledged_at set);
    the inbound acknowledge invoke answers with this card to replace the one clicked.
    """
    return pointer_card(pointer, now)


def _fact(line: str) -> dict[str, str]:
    label, sep, value = line.partition(": ")
    if sep:
        return {"title": label, "value": value}
    return {"title": "", "value": line}
