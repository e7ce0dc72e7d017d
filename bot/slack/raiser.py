"""Who is pressing the button? bot.slack.identity's answer, as a Known or the refusal text."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.dependencies import Dependencies
from bot.slack.identity import identify_slack_raiser, identify_slack_user, slack_user_of
from handlers.network.client_lookup import Raiser
from handlers.network.identity import Known, Unknown, explain


def practitioner_for(deps: Dependencies, client: WebClient, body: dict[str, Any]) -> Known | str:
    """The linked practitioner, or the one sentence a refused user sees (nothing stored)."""
    who = slack_user_of(body)
    if who is None:
        return explain(Unknown("no_match"))
    outcome = identify_slack_user(deps, client, who)
    return outcome if isinstance(outcome, Known) else explain(outcome)


def raiser_for(
    deps: Dependencies, client: WebClient, body: dict[str, Any], *, typed: str = ""
) -> Raiser | str:
    """`practitioner_for`, with the clients a known raiser may raise about and the one `typed`
    names (one transaction: the raise modal's fill)."""
    who = slack_user_of(body)
    if who is None:
        return explain(Unknown("no_match"))
    found = identify_slack_raiser(deps, client, who, typed=typed)
    return found if isinstance(found.who, Known) else explain(found.who)
