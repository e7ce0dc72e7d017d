"""Attach Teams to a Runtime: the Bot Framework with TEAMS_APP_ID and TEAMS_APP_PASSWORD, or
the Agents Playground (a local Teams client) in demo and test mode without them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.teams.notifier import teams_notifier
from bot.teams.playground import playground_mode, playground_notifier
from handlers.values import Platform

if TYPE_CHECKING:
    from bot.runtime import Runtime


def attach_teams(runtime: Runtime) -> None:
    """Runtime.notifiers[Platform.TEAMS] when Teams (or the Playground) is there; idempotent."""
    if Platform.TEAMS in runtime.notifiers:
        return
    settings = runtime.settings
    if settings.teams_enabled:
        runtime.notifiers[Platform.TEAMS] = teams_notifier(settings, runtime.uow, runtime.clock)
    elif playground_mode(settings):
        runtime.notifiers[Platform.TEAMS] = playground_notifier(
            settings, runtime.uow, runtime.clock
        )
