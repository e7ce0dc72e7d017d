"""Asking to join a child's network from Slack, and the lead's Approve or Decline.

- `/concern join` opens a modal with one field, the child's NHS number or reference; its
  submission is `ask_by_identifier`, answered with the same view whether or not it matched.
- "Ask to join this child's network" on a receipt to a raiser from outside the network, or on
  the "Concern sent" modal of `/concern child` (value: the concern id), is
  `ask_from_receipt`, answered with the same words: ephemerally, or in the modal's place.
- Approve and Decline on the lead's join-request pointer (value: the request id) are
  `decide_join`; the presser is told the outcome, or, when they may no longer decide, why not.
  The decision queues an edit of every lead's request pointer (chat.update, through the
  outbox, as acknowledging does); delivering at once changes the pressed one while you look.

The rules (who may ask, who decides, what the asker is told) are handlers.concern.joining's.
Nothing typed is sent back to Slack.
"""

from __future__ import annotations

from typing import Any

import structlog
from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.dependencies import Dependencies
from bot.slack.blocks import JOIN_APPROVE_ACTION, JOIN_ASK_ACTION, JOIN_DECLINE_ACTION
from bot.slack.identity import channel_of, slack_user_of, tell
from bot.slack.raise_modal import COMMAND
from bot.slack.raise_views import PRIVATE_NOTE, input_block, mrkdwn, plain
from bot.slack.raiser import practitioner_for
from handlers.child_identifier import MAX_IDENTIFIER
from handlers.concern.joining import (
    ASKED,
    CANNOT_DECIDE,
    NOT_YOURS,
    NotAllowed,
    ask_by_identifier,
    ask_from_receipt,
    decide_join,
)
from handlers.invalid import Invalid
from handlers.network.identity import Known
from handlers.ports import OPAQUE_ID

log = structlog.get_logger("flare.slack")

WORD = "join"  # `/concern join`
CALLBACK = "flare_join"
HOME_JOIN_ACTION = "flare_home_join"  # App Home's "Ask to join a network" button
IDENTIFIER_LABEL = "The child's NHS number or client reference"
IDENTIFIER_HINT = "Type it exactly. The child's lead professional decides."


def join_view() -> dict[str, Any]:
    """The modal: one identifier field (never prefilled)."""
    return {
        "type": "modal",
        "callback_id": CALLBACK,
        "title": plain("Ask to join a network"),
        "submit": plain("Ask"),
        "close": plain("Cancel"),
        "blocks": [
            {"type": "context", "elements": [PRIVATE_NOTE]},
            input_block(
                "identifier",
                IDENTIFIER_LABEL,
                {"type": "plain_text_input", "max_length": MAX_IDENTIFIER},
                hint=IDENTIFIER_HINT,
            ),
        ],
    }


def asked_view() -> dict[str, Any]:
    """The same confirmation whatever the identifier matched."""
    return {
        "type": "modal",
        "callback_id": "flare_join_asked",
        "title": plain("Request sent"),
        "close": plain("Done"),
        "blocks": [{"type": "section", "text": mrkdwn(ASKED + ".")}],
    }


def is_join(body: dict[str, Any]) -> bool:
    """`/concern join`: this module's, before the raise modal's own `/concern`."""
    return str(body.get("text") or "").strip().lower() == WORD


class Joining:
    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps

    def command(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=join_view())

    def submitted(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """The modal: ask by identifier, or point at the field to correct (never echoed)."""
        who = practitioner_for(self.deps, client, body)
        if not isinstance(who, Known):
            ack(response_action="update", view=_message_view(who))
            return
        values = (body.get("view") or {}).get("state", {}).get("values", {})
        typed = ((values.get("identifier") or {}).get("identifier") or {}).get("value")
        outcome = ask_by_identifier(
            self.deps.uow(),
            asker_id=who.practitioner_id,
            identifier=typed if isinstance(typed, str) else "",
            clock=self.deps.clock,
        )
        if isinstance(outcome, Invalid):
            ack(response_action="errors", errors=dict(outcome.errors))
            return
        ack(response_action="update", view=asked_view())  # the outbox worker sends the pointers

    def ask_pressed(self, body: dict[str, Any], client: WebClient, value: str) -> None:
        """ "Ask to join" on a receipt or the "Concern sent" modal: the concern's child, for the
        raiser who pressed it."""
        text = self._ask(body, client, value)
        view = body.get("view")
        if isinstance(view, dict) and view.get("id"):
            # Pressed in a modal: there is no channel to answer in, so the answer replaces it.
            client.views_update(
                view_id=str(view["id"]), hash=view.get("hash"), view=_message_view(text)
            )
            return
        user = slack_user_of(body)
        if user is not None:
            tell(client, channel=channel_of(body), user=user.user, text=text)

    def _ask(self, body: dict[str, Any], client: WebClient, value: str) -> str:
        who = practitioner_for(self.deps, client, body)
        if not isinstance(who, Known):
            return who
        if not OPAQUE_ID.match(value):
            return NOT_YOURS + "."
        outcome = ask_from_receipt(
            self.deps.uow(), asker_id=who.practitioner_id, concern_id=value, clock=self.deps.clock
        )
        return NOT_YOURS + "." if isinstance(outcome, Invalid) else outcome.message + "."

    def decide_pressed(
        self, body: dict[str, Any], client: WebClient, value: str, *, approve: bool
    ) -> None:
        """Approve or Decline on a join-request pointer: decide, then tell the presser."""
        text = self._decide(body, client, value, approve=approve)
        user = slack_user_of(body)
        if user is not None:
            tell(client, channel=channel_of(body), user=user.user, text=text)

    def _decide(self, body: dict[str, Any], client: WebClient, value: str, *, approve: bool) -> str:
        who = practitioner_for(self.deps, client, body)
        if not isinstance(who, Known):
            return who
        if not OPAQUE_ID.match(value):
            return CANNOT_DECIDE
        try:
            decided = decide_join(
                self.deps.uow(),
                request_id=value,
                decider_id=who.practitioner_id,
                approve=approve,
                clock=self.deps.clock,
            )
        except NotAllowed:
            log.info("slack.join_not_decided")
            return CANNOT_DECIDE
        report = self.deps.deliver()  # the asker is told, and the pressed message edited, now
        log.info("slack.join_decided", sent=report.sent)
        return decided.message


def _message_view(text: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": plain("Flare"),
        "close": plain("Close"),
        "blocks": [{"type": "section", "text": mrkdwn(text)}],
    }


def register(app: App, deps: Dependencies) -> None:
    """`/concern join`, its modal, and the three buttons (registered before raise_modal)."""
    joining = Joining(deps)
    app.command(COMMAND, matchers=[is_join])(joining.command)
    app.view(CALLBACK)(joining.submitted)

    @app.action(HOME_JOIN_ACTION)
    def from_home(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=join_view())

    @app.action(JOIN_ASK_ACTION)
    def ask(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        joining.ask_pressed(body, client, str(action.get("value") or ""))

    @app.action(JOIN_APPROVE_ACTION)
    def approve(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        joining.decide_pressed(body, client, str(action.get("value") or ""), approve=True)

    @app.action(JOIN_DECLINE_ACTION)
    def decline(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        joining.decide_pressed(body, client, str(action.get("value") or ""), approve=False)
