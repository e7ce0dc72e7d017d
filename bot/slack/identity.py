"""Who is this Slack user? Team (and Enterprise Grid org) + user id, else `users.info`.

On first contact only, and only from a workspace some organisation declares, the e-mail
Slack has confirmed is fetched with `users.info` for handlers.network.identity to link by.

The rule lives in handlers.network.identity; this module only fetches what Slack vouches for and
words a refusal as an ephemeral message (seen only by that user, never in history).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.dependencies import Dependencies
from handlers.network.client_lookup import Raiser, raiser_and_clients
from handlers.network.identity import (
    Ambiguous,
    ChatIdentity,
    Identified,
    Unknown,
    explain,
    identify,
)
from handlers.values import Platform

log = structlog.get_logger("flare.slack")


@dataclass(frozen=True)
class SlackUser:
    team: str
    user: str
    enterprise: str = ""  # the Enterprise Grid organisation the workspace belongs to, if any


def _enterprise_of(body: dict[str, Any]) -> str:
    enterprise = body.get("enterprise")
    if isinstance(enterprise, dict) and isinstance(enterprise.get("id"), str):
        return str(enterprise["id"])  # interactivity payloads
    found = body.get("enterprise_id")  # slash commands and the Events API envelope
    return found if isinstance(found, str) else ""


def slack_user_of(body: dict[str, Any]) -> SlackUser | None:
    """The acting user of an event, command, shortcut, action or view submission."""
    enterprise = _enterprise_of(body)
    user = body.get("user")
    if isinstance(user, dict) and user.get("id"):  # interactivity payloads
        team = user.get("team_id") or (body.get("team") or {}).get("id")
        return SlackUser(str(team), str(user["id"]), enterprise) if team else None
    if body.get("user_id") and body.get("team_id"):  # slash commands
        return SlackUser(str(body["team_id"]), str(body["user_id"]), enterprise)
    event = body.get("event")
    if isinstance(event, dict) and isinstance(event.get("user"), str) and body.get("team_id"):
        return SlackUser(str(body["team_id"]), event["user"], enterprise)
    return None


def verified_email(client: WebClient, user: str) -> str | None:
    """The profile email Slack has confirmed for a real, active person; otherwise None."""
    try:
        found = client.users_info(user=user)["user"]
    except (SlackApiError, KeyError, TypeError):
        return None
    if found.get("deleted") or found.get("is_bot") or found.get("is_email_confirmed") is not True:
        return None
    email = (found.get("profile") or {}).get("email")
    return str(email) if email else None


def identify_slack_user(deps: Dependencies, client: WebClient, who: SlackUser) -> Identified:
    """Linked identity first; on first contact in a declared workspace, Slack's e-mail."""
    identity = ChatIdentity(Platform.SLACK, who.team, who.user, enterprise=who.enterprise)
    outcome = identify(deps.uow(), identity, clock=deps.clock, email_lookup_follows=True)
    if not (isinstance(outcome, Unknown) and outcome.reason == "no_email"):
        return outcome
    with_email = replace(identity, email=verified_email(client, who.user))
    return identify(deps.uow(), with_email, clock=deps.clock)


def identify_slack_raiser(
    deps: Dependencies, client: WebClient, who: SlackUser, *, typed: str = ""
) -> Raiser:
    """`identify_slack_user`, with the raiser's clients read in the same transaction."""
    identity = ChatIdentity(Platform.SLACK, who.team, who.user, enterprise=who.enterprise)
    found = raiser_and_clients(
        deps.uow(), identity, clock=deps.clock, typed=typed, email_lookup_follows=True
    )
    if not (isinstance(found.who, Unknown) and found.who.reason == "no_email"):
        return found
    with_email = replace(identity, email=verified_email(client, who.user))
    return raiser_and_clients(deps.uow(), with_email, clock=deps.clock, typed=typed)


def tell_refused(
    client: WebClient, outcome: Unknown | Ambiguous, *, channel: str | None, user: str
) -> None:
    """An ephemeral refusal saying whom to ask; in the DM with the bot if no channel is known."""
    log.info("slack.identity_refused", reason=outcome.reason)
    tell(client, channel=channel, user=user, text=explain(outcome))


def tell(client: WebClient, *, channel: str | None, user: str, text: str) -> None:
    """An ephemeral message to one user (fixed wording only: never content from a concern)."""
    try:
        client.chat_postEphemeral(channel=channel or user, user=user, text=text)
    except SlackApiError as exc:
        log.warning("slack.ephemeral_failed", error=str(exc.response.get("error")))


def channel_of(body: dict[str, Any]) -> str | None:
    """Where an interaction happened (for ephemeral replies)."""
    channel = body.get("channel")
    if isinstance(channel, dict) and channel.get("id"):
        return str(channel["id"])
    container = body.get("container") or {}
    if container.get("channel_id"):
        return str(container["channel_id"])
    if body.get("channel_id"):
        return str(body["channel_id"])
    return None
