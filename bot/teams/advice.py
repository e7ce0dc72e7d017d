"""Seek advice first from the Teams dialog: a second submit on card 2, and its answer.

"Ask for advice first" submits card 2's answers like Send does, but keeps them as a draft and
asks the raiser's organisation (`handlers.concern.advice.ask_for_advice`) instead of raising.
The dialog closes with whom Flare asked (a role, never a name or an answer); the adviser and,
later, the raiser get pointers (title and link), and the reading, replying and sending happen
on Flare's web page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.concern.advice import AdviceAsked

ADVICE_STEP = "advice"


def advice_action(data: Mapping[str, Any], step_key: str) -> dict[str, Any]:
    """Card 2's "Ask for advice first": the same data as Send, with its own step."""
    return {
        "type": "Action.Submit",
        "title": "Ask for advice first",
        "data": {**data, step_key: ADVICE_STEP},
    }


def asked_message(asked: AdviceAsked) -> str:
    """What the dialog closes with: whom (a role) and what happens next. No content."""
    return (
        f"Your organisation's {asked.adviser_role.label} has been asked for advice. Your draft "
        "is kept in Flare and nobody in the client's network has been told. You will get a "
        "message in this chat when they reply; then open it to send the concern or to record "
        "a decision not to share."
    )
