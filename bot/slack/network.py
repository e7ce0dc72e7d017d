"""`/concern network …`: change a client's network from Slack (parse → one call → respond).

The grammar, the rule and the words are handlers.follow_through.network_commands'; the
reply is ephemeral and never repeats what was typed.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.dependencies import Dependencies
from bot.slack.raiser import practitioner_for
from handlers.follow_through.network_commands import network_command
from handlers.network.identity import Known

WORD = "network"


def is_network_command(text: str) -> bool:
    parts = text.split(maxsplit=1)
    return bool(parts) and parts[0].lower() == WORD


def answer_network_command(
    deps: Dependencies, client: WebClient, body: dict[str, Any], respond: Respond
) -> None:
    """Run the words after `network` for the Slack user who typed them; reply to them only."""
    who = practitioner_for(deps, client, body)
    if isinstance(who, Known):
        words = str(body.get("text") or "").strip()[len(WORD) :]
        reply = network_command(
            deps.uow(), actor_id=who.practitioner_id, words=words, clock=deps.clock
        )
        text = reply.text
    else:
        text = who
    respond(text=text, response_type="ephemeral", replace_original=False)
