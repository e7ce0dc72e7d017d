"""Raising about any child from Slack: `/concern child` opens a modal that takes the child's
NHS number, reference, or name and date of birth, and the answers, and sends it in one step.

The listener translates only: the modal's state into `handlers.concern.outsider`, and its
outcome into the same "sent" view whether or not the identifier matched. Nothing typed is
sent back to Slack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack.blocks import ask_to_join_button
from bot.slack.raise_modal import COMMAND, _refuse_fields, read_answers, refusal_view
from bot.slack.raise_views import (
    IN_ONE_STEP,
    PRIVATE_NOTE,
    Context,
    answer_block,
    input_block,
    plain,
)
from bot.slack.raiser import practitioner_for
from handlers.child_identifier import IDENTIFIER_HINT, IDENTIFIER_LABEL, MAX_IDENTIFIER
from handlers.concern.outsider import SENT, raise_about_child
from handlers.invalid import Invalid
from handlers.network.identity import Known

if TYPE_CHECKING:
    from bot.dependencies import Dependencies

WORD = "child"  # `/concern child`
CALLBACK = "flare_raise_child"


def child_view(context: Context) -> dict[str, Any]:
    """The one-step form: the identifier, then the answers step one asks everywhere."""
    identifier = input_block(
        "identifier",
        IDENTIFIER_LABEL,
        {"type": "plain_text_input", "max_length": MAX_IDENTIFIER},
        hint=IDENTIFIER_HINT,
    )
    return {
        "type": "modal",
        "callback_id": CALLBACK,
        "title": plain("Raise about any child"),
        "submit": plain("Send"),
        "close": plain("Cancel"),
        "private_metadata": context.dump(),
        "blocks": [
            {"type": "context", "elements": [PRIVATE_NOTE]},
            identifier,
            *(answer_block(described) for described in IN_ONE_STEP),
        ],
    }


def sent_view(concern_id: str) -> dict[str, Any]:
    """The same confirmation whatever the identifier matched, with the receipt's Ask to join
    (bot/slack/joining.py answers it)."""
    return {
        "type": "modal",
        "callback_id": "flare_raise_child_sent",
        "title": plain("Concern sent"),
        "close": plain("Done"),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": SENT + "."}},
            {"type": "actions", "elements": [ask_to_join_button(concern_id)]},
        ],
    }


class RaiseChild:
    def __init__(self, runtime: Dependencies) -> None:
        self.runtime = runtime

    def command(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        context = Context(team=body.get("team_id", ""), response_url=body.get("response_url", ""))
        client.views_open(trigger_id=body["trigger_id"], view=child_view(context))

    def send(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        who = practitioner_for(self.runtime, client, body)
        if not isinstance(who, Known):
            ack(response_action="update", view=refusal_view(who))
            return
        answers, identifier = read_answers(body)
        runtime = self.runtime
        outcome = raise_about_child(
            runtime.uow(),
            answers,
            identifier=identifier,
            raiser_id=who.practitioner_id,
            clock=runtime.clock,
            calendar=runtime.calendar,
            via="slack",
        )
        if isinstance(outcome, Invalid):
            _refuse_fields(ack, outcome.errors, body["view"])
            return
        ack(response_action="update", view=sent_view(outcome.concern_id))


def is_child(body: dict[str, Any]) -> bool:
    """`/concern child`: this module's, before the raise modal's own `/concern`."""
    return str(body.get("text") or "").strip().lower() == WORD


def register(app: App, runtime: Dependencies) -> None:
    """Attach `/concern child` and the modal's submission (registered before raise_modal)."""
    listener = RaiseChild(runtime)
    app.command(COMMAND, matchers=[is_child])(listener.command)
    app.view(CALLBACK)(listener.send)
