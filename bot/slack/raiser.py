"""Who is pressing the button? bot.slack.identity's answer, as a Known or the refusal text."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.slack.identity import identify_slack_raiser, identify_slack_user, slack_user_of
from handlers.network.client_lookup import ClientOption
from handlers.network.identity import Known, Unknown, explain


def practitioner_for(runtime: Runtime, client: WebClient, body: dict[str, Any]) -> Known | str:
    """The linked practitioner, or the one sentence a refused user sees (nothing stored)."""
    who = slack_user_of(body)
    if who is None:
        return explain(Unknown("no_match"))
    outcome = identify_slack_user(runtime, client, who)
    return outcome if isinstance(outcome, Known) else explain(outcome)


def raiser_for(
    runtime: Runtime, client: WebClient, body: dict[str, Any]
) -> tuple[Known | str, tuple[ClientOption, ...]]:
    """`practitioner_for`, with the clients a known raiser may raise about (one transaction)."""
    who = slack_user_of(body)
    if who is None:
        return explain(Unknown("no_match")), ()
    outcome, options = identify_slack_raiser(runtime, client, who)
    return (outcome, options) if isinstance(outcome, Known) else (explain(outcome), ())
