"""Seek advice first from the Slack modal: a checkbox on step 1, and the view that answers it.

Ticking "Ask for advice before sharing" makes step 1's submission keep the draft and ask the
raiser's organisation (`handlers.concern.advice.ask_for_advice`) instead of going on to who
it will reach. The modal then says whom Flare asked (a role, never a name or an answer); the
adviser and, later, the raiser get pointers (title and link), and the reading, replying and
sending happen on Flare's web page.
"""

from __future__ import annotations

from typing import Any

from bot.slack.raise_views import input_block, plain
from handlers.concern.advice import AdviceAsked

ASK_ADVICE = "ask_advice"
ASK_VALUE = "ask"


def advice_block() -> dict[str, Any]:
    """The optional checkbox that turns step 1's Next into "ask for advice first"."""
    option = {
        "text": plain("Ask for advice before sharing"),
        "description": plain("Your safeguarding lead reads the draft first; nobody else is told"),
        "value": ASK_VALUE,
    }
    element = {"type": "checkboxes", "options": [option]}
    return input_block(ASK_ADVICE, "Not sure whether to share?", element, optional=True)


def wants_advice(body: dict[str, Any]) -> bool:
    """Whether the submitted step 1 had the advice box ticked."""
    state = body.get("view", {}).get("state", {}).get("values", {})
    element = state.get(ASK_ADVICE, {}).get(ASK_ADVICE, {})
    chosen = element.get("selected_options") or []
    return any(isinstance(o, dict) and o.get("value") == ASK_VALUE for o in chosen)


def asked_view(asked: AdviceAsked) -> dict[str, Any]:
    """The modal after asking: whom (a role), and what happens next. No content."""
    lines = [
        f"Your organisation's {asked.adviser_role.label} has been asked for advice. "
        "Your draft is kept in Flare; nobody in the client's network has been told.",
        "Flare will message you when they reply. Then open the link to send the concern "
        "or to record a decision not to share.",
    ]
    return {
        "type": "modal",
        "callback_id": "flare_advice_asked",
        "title": {"type": "plain_text", "text": "Advice asked for", "emoji": False},
        "close": {"type": "plain_text", "text": "Done", "emoji": False},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": x}} for x in lines],
    }
