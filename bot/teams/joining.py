"""Asking to join a child's network from Teams, and the lead's Approve or Decline.

- `join` in the personal chat answers with a card whose button opens a dialog (task module)
  with one field, the child's NHS number or reference; its Ask (task/submit, step
  "join_send") is `ask_by_identifier`, and the dialog closes with the same words whether or
  not it matched. What is typed stays in the dialog, never in the conversation.
- "Ask to join this child's network" on a receipt to a raiser from outside the network
  (Action.Execute, verb "join_ask", data: the concern id) is `ask_from_receipt`.
- Approve and Decline on the lead's join-request card (verbs "join_approve" and
  "join_decline", data: the request id) are `decide_join`; the pressed card is refreshed to
  say what was decided, without buttons; whoever may no longer decide is told so in a
  message, never an error.

The rules and the words are handlers.concern.joining's; these only translate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.dependencies import Dependencies
from bot.teams.cards import (
    CARD_CONTENT_TYPE,
    CARD_SCHEMA,
    CARD_VERSION,
    JOIN_APPROVE_VERB,
    JOIN_ASK_VERB,
    JOIN_DECLINE_VERB,
    pointer_card,
)
from handlers.child_identifier import MAX_IDENTIFIER
from handlers.concern.joining import (
    ASKED,
    CANNOT_DECIDE,
    NOT_YOURS,
    NotAllowed,
    ask_by_identifier,
    ask_from_receipt,
    decide_join,
    decided_pointer,
)
from handlers.invalid import Invalid
from handlers.ports import OPAQUE_ID
from handlers.values import Platform

STEP = "flare_step"
OPEN_STEP = "join"
SEND_STEP = "join_send"
VERBS = frozenset({JOIN_ASK_VERB, JOIN_APPROVE_VERB, JOIN_DECLINE_VERB})
TITLE = "Ask to join a network"
PROMPT = "Ask to join a child's network: the child's lead professional decides."


def is_join_step(data: Mapping[str, object]) -> bool:
    """A dialog invoke that belongs to asking by identifier (not to the raise dialog)."""
    return data.get(STEP) in (OPEN_STEP, SEND_STEP)


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "body": body,
        "actions": actions,
    }


def prompt_activity() -> dict[str, Any]:
    """The answer to `join`: a button that opens the dialog (nothing typed in the chat)."""
    open_dialog = {"msteams": {"type": "task/fetch"}, STEP: OPEN_STEP}
    card = _card(
        [{"type": "TextBlock", "text": PROMPT, "wrap": True}],
        [{"type": "Action.Submit", "title": TITLE, "data": open_dialog}],
    )
    return {
        "type": "message",
        "summary": TITLE,
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": card}],
    }


def join_card(error: str | None = None) -> dict[str, Any]:
    """The dialog: one identifier field, never prefilled (a correction shows only the rule)."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": TITLE, "size": "large", "weight": "bolder", "wrap": True},
        {
            "type": "TextBlock",
            "text": "What you enter goes only to Flare. " + PROMPT,
            "wrap": True,
        },
    ]
    if error:
        body.append({"type": "TextBlock", "text": error, "color": "attention", "wrap": True})
    body.append(
        {
            "type": "Input.Text",
            "id": "identifier",
            "label": "The child's NHS number or client reference",
            "maxLength": MAX_IDENTIFIER,
            "isRequired": True,
            "errorMessage": "Enter the child's NHS number or client reference",
        }
    )
    return _card(body, [{"type": "Action.Submit", "title": "Ask", "data": {STEP: SEND_STEP}}])


def _task_card(card: dict[str, Any]) -> dict[str, Any]:
    value = {
        "title": TITLE,
        "height": "medium",
        "width": "medium",
        "card": {"contentType": CARD_CONTENT_TYPE, "content": card},
    }
    return {"task": {"type": "continue", "value": value}}


def _task_message(text: str) -> dict[str, Any]:
    return {"task": {"type": "message", "value": text}}


def card_message(text: str) -> dict[str, Any]:
    """An Action.Execute answer that shows a message and leaves the card as it was."""
    return {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": text}


class TeamsJoining:
    """Each answer is one call into handlers.concern.joining."""

    def __init__(self, deps: Dependencies) -> None:
        self._uow = deps.uow
        self._clock = deps.clock

    def dialog(self, asker_id: str, data: Mapping[str, object]) -> dict[str, Any]:
        """task/fetch opens the dialog; task/submit asks, or shows the dialog to correct."""
        if data.get(STEP) == OPEN_STEP:
            return _task_card(join_card())
        typed = data.get("identifier")
        outcome = ask_by_identifier(
            self._uow(),
            asker_id=asker_id,
            identifier=typed if isinstance(typed, str) else "",
            clock=self._clock,
        )
        if isinstance(outcome, Invalid):
            return _task_card(join_card(next(iter(outcome.errors.values()), None)))
        return _task_message(ASKED + ".")

    def card_action(self, who_id: str, verb: str, data: Mapping[str, object]) -> dict[str, Any]:
        """One of VERBS pressed on a card: ask from the receipt, or decide a request."""
        if verb == JOIN_ASK_VERB:
            concern_id = data.get("concern")
            if not isinstance(concern_id, str) or not OPAQUE_ID.match(concern_id):
                return card_message(NOT_YOURS + ".")
            asked = ask_from_receipt(
                self._uow(), asker_id=who_id, concern_id=concern_id, clock=self._clock
            )
            return card_message(NOT_YOURS + "." if isinstance(asked, Invalid) else ASKED + ".")
        request_id = data.get("request")
        if not isinstance(request_id, str) or not OPAQUE_ID.match(request_id):
            return card_message(CANNOT_DECIDE)
        try:
            decided = decide_join(
                self._uow(),
                request_id=request_id,
                decider_id=who_id,
                approve=verb == JOIN_APPROVE_VERB,
                clock=self._clock,
            )
        except NotAllowed:
            return card_message(CANNOT_DECIDE)
        # The pressed card is refreshed in place, as acknowledging does, without its buttons;
        # the other deciders' cards are updated by the outbox.
        card = pointer_card(decided_pointer(decided, platform=Platform.TEAMS), self._clock.now())
        return {"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": card}
