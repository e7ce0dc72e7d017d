"""Who is pressing the button? bot.slack.identity's answer, as a Known or the refusal text."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.dependencies import Dependencies
from bot.slack.identity import identify_slack_user, slack_user_of
from handlers.network.identity import Known, Unknown, explain


def practitioner_for(deps: Dependencies, client: WebClient, body: dict[str, Any]) -> Known | str:
    """The linked practitioner, or the one sentence a refused user sees (nothing stored)."""
    who = slack_user_of(body)
    if who is None:
        return explain(Unknown("no_match"))
    outcome = identify_slack_user(deps, client, who)
    return outcome if isinstance(outcome, Known) else explain(outcome)
