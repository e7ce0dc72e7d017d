"""The Acknowledge button on a pointer: acknowledge, then edit the message in place.

Parse (who pressed it, which concern) -> `follow_through.acknowledge` -> the outbox turns
every "please acknowledge" pointer into "Acknowledged by ... at 14:02" with chat.update;
this listener delivers that concern's rows at once so the pressed message changes while you
look.
"""

from __future__ import annotations

from typing import Any

import structlog
from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.dependencies import Dependencies
from bot.slack.blocks import ACKNOWLEDGE_ACTION, OPEN_ACTION
from bot.slack.identity import channel_of, identify_slack_user, slack_user_of, tell, tell_refused
from handlers.follow_through.acknowledge import NotAllowed, acknowledge
from handlers.network.identity import Known
from handlers.ports import OPAQUE_ID

log = structlog.get_logger("flare.slack")

NOT_ALLOWED = (
    "Only the lead professional or deputy for this client can acknowledge this concern. "
    "Open it from your own Flare message to see what you can do."
)


def register(app: App, deps: Dependencies) -> None:
    @app.action(OPEN_ACTION)
    def opened(ack: Ack) -> None:
        ack()  # a URL button: Slack opens the link itself; the click only needs an ack

    @app.action(ACKNOWLEDGE_ACTION)
    def acknowledged(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        on_acknowledge(deps, client, body, str(action.get("value") or ""))


def on_acknowledge(deps: Dependencies, client: WebClient, body: dict[str, Any], value: str) -> None:
    who = slack_user_of(body)
    if who is None:
        return
    person = identify_slack_user(deps, client, who)
    channel = channel_of(body)
    if not isinstance(person, Known):
        tell_refused(client, person, channel=channel, user=who.user)
        return
    if not OPAQUE_ID.match(value):
        tell(client, channel=channel, user=who.user, text=NOT_ALLOWED)
        return
    outcome = acknowledge(
        deps.uow(),
        concern_id=value,
        practitioner_id=person.practitioner_id,
        clock=deps.clock,
        via="slack",
    )
    if isinstance(outcome, NotAllowed):
        tell(client, channel=channel, user=who.user, text=NOT_ALLOWED)
        return
    # This concern's in-place edits and the raiser's receipt, now, so the pressed message
    # changes while you look; everything else stays with the worker's sweep.
    report = deps.deliver(concern_id=value)
    log.info("slack.acknowledged", outcome=type(outcome).__name__, sent=report.sent)
