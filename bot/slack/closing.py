"""The Close button on a lead's pointer: a small modal with the outcomes, then one call.

Parse (who pressed it, which concern) -> open the modal (the concern's opaque id rides in
`private_metadata`); on submission parse (outcome, note) -> `follow_through.closing` ->
answer with field errors, a refusal or "closed". Who may close is the handler's rule: the
modal opens for anyone who presses, and the handler refuses whoever does not lead.
The note (for "other") is typed in the modal, never in a message, and never echoed.
"""

from __future__ import annotations

from typing import Any

import structlog
from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.dependencies import Dependencies
from bot.slack.blocks import CLOSE_ACTION
from bot.slack.raise_modal import refusal_view
from bot.slack.raise_views import mrkdwn, plain
from bot.slack.raiser import practitioner_for
from handlers.follow_through.closing import (
    AlreadyClosed,
    CloseConcern,
    Closed,
    close_concern,
)
from handlers.invalid import MAX_TEXT, Invalid
from handlers.network.identity import Known
from handlers.ports import OPAQUE_ID
from handlers.values import Outcome

log = structlog.get_logger("flare.slack")

CLOSE_VIEW = "flare_close_concern"
NOTE_LENGTH = min(MAX_TEXT, 3000)  # Slack's plain_text_input takes at most 3000
NOT_ALLOWED = (
    "Only the lead professional or deputy for this client can close this concern. "
    "You can still open it from your Flare message."
)
CLOSED = "The concern is closed. Everyone it was shared with has been told (not how)."


def close_view(concern_id: str) -> dict[str, Any]:
    """The modal: the outcomes as radio buttons, and a note for "other"."""
    options = [{"text": plain(o.label), "value": o.value} for o in Outcome]
    return {
        "type": "modal",
        "callback_id": CLOSE_VIEW,
        "private_metadata": concern_id,
        "title": plain("Close the concern"),
        "submit": plain("Close it"),
        "close": plain("Cancel"),
        "blocks": [
            {
                "type": "section",
                "text": mrkdwn(
                    "Everyone it was shared with, and the person who raised it, will be told "
                    "it was closed (not how)."
                ),
            },
            {
                "type": "input",
                "block_id": "outcome",
                "label": plain("What was the outcome?"),
                "element": {"type": "radio_buttons", "action_id": "outcome", "options": options},
            },
            {
                "type": "input",
                "block_id": "note",
                "optional": True,
                "label": plain("What was the outcome, if other?"),
                "hint": plain("Only for Other. Only the people it was shared with can read it."),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "note",
                    "multiline": True,
                    "max_length": NOTE_LENGTH,
                },
            },
        ],
    }


def on_close_button(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
) -> None:
    """Open the modal for the pressed pointer's concern (an unexpected value opens nothing)."""
    ack()
    value = str(action.get("value") or "")
    trigger = body.get("trigger_id")
    if OPAQUE_ID.match(value) and isinstance(trigger, str):
        client.views_open(trigger_id=trigger, view=close_view(value))


def submitted(deps: Dependencies, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    """The modal submitted: close the concern, or point at what to correct."""
    view = body.get("view") or {}
    who = practitioner_for(deps, client, body)
    concern_id = str(view.get("private_metadata") or "")
    if not isinstance(who, Known) or not OPAQUE_ID.match(concern_id):
        refusal = who if isinstance(who, str) else NOT_ALLOWED
        ack(response_action="update", view=refusal_view(refusal))
        return
    state = view.get("state", {}).get("values", {})
    outcome_option = _element(state, "outcome").get("selected_option") or {}
    command = CloseConcern(
        concern_id,
        who.practitioner_id,
        str(outcome_option.get("value") or ""),
        str(_element(state, "note").get("value") or ""),
        via="slack",
    )
    outcome = close_concern(deps.uow(), command, clock=deps.clock)
    if isinstance(outcome, Invalid):
        ack(response_action="errors", errors=outcome.errors)
        return
    closed = isinstance(outcome, Closed | AlreadyClosed)
    ack(response_action="update", view=refusal_view(CLOSED if closed else NOT_ALLOWED))
    if isinstance(outcome, Closed):
        report = deps.deliver(concern_id=concern_id)  # the raiser and network, now
        log.info("slack.closed", sent=report.sent)


def _element(state: dict[str, Any], block_id: str) -> dict[str, Any]:
    element = (state.get(block_id) or {}).get(block_id)
    return element if isinstance(element, dict) else {}


def register(app: App, deps: Dependencies) -> None:
    app.action(CLOSE_ACTION)(on_close_button)

    @app.view(CLOSE_VIEW)
    def close(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        submitted(deps, ack, body, client)
