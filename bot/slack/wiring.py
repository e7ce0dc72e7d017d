"""Attach Slack to a Runtime when the settings configure it (token or OAuth)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.slack.notifier import BotTokens, SingleWorkspace, SlackNotifier
from handlers.values import Platform

if TYPE_CHECKING:
    from bot.runtime import Runtime


def bot_tokens(runtime: Runtime) -> BotTokens | None:
    """SLACK_BOT_TOKEN for one workspace, else each team's token from the installation store."""
    from bot.slack.installation import InstallationTokens, store_for

    settings = runtime.settings
    if settings.slack_bot_token:
        return SingleWorkspace(settings.slack_bot_token)
    if settings.slack_client_id:
        return InstallationTokens(store_for(runtime.dependencies()))
    return None


def attach_slack(runtime: Runtime) -> None:
    """Runtime.notifiers[Platform.SLACK] when Slack is configured; idempotent."""
    if not runtime.settings.slack_enabled or Platform.SLACK in runtime.notifiers:
        return
    tokens = bot_tokens(runtime)
    if tokens is None:
        return
    runtime.notifiers[Platform.SLACK] = SlackNotifier(
        runtime.uow, runtime.clock, tokens, runtime.settings.slack_api_url
    )
