"""The composition root: a Runtime from the settings, with each configured chat platform attached.

bot/runtime.py knows no platform; Slack, Teams (or the Agents Playground) and, in demo and
test mode, the Playground chat are attached here, one line each.
"""

from __future__ import annotations

from bot.config import Settings
from bot.playground.notifier import PlaygroundNotifier
from bot.runtime import Runtime, open_runtime
from bot.slack.wiring import attach_slack
from bot.teams.connector import BotConnector
from bot.teams.notifier import TeamsNotifier
from bot.teams.wiring import attach_teams
from handlers.values import Platform


def build_runtime(settings: Settings) -> Runtime:
    """The Runtime `flare serve`, `flare worker` and the operations commands run on."""
    runtime = open_runtime(settings)
    attach_slack(runtime)
    attach_teams(runtime)
    return runtime


def attach_playground(runtime: Runtime) -> None:
    """The Playground chat (demo and test only) as the notifier of Platform.PLAYGROUND."""
    if runtime.settings.is_demo_like:
        runtime.notifiers.setdefault(
            Platform.PLAYGROUND, PlaygroundNotifier(runtime.uow, runtime.clock)
        )


def attached_teams_connector(runtime: Runtime) -> BotConnector | None:
    """The Teams notifier's connector, for the inbound endpoint (one bot token per process)."""
    notifier = runtime.notifiers.get(Platform.TEAMS)
    return notifier.connector if isinstance(notifier, TeamsNotifier) else None
