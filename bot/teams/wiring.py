"""Attach Teams to a Runtime when TEAMS_APP_ID and TEAMS_APP_PASSWORD are set."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.teams.notifier import teams_notifier
from handlers.values import Platform

if TYPE_CHECKING:
    from bot.runtime import Runtime


def attach_teams(runtime: Runtime) -> None:
    """Runtime.notifiers[Platform.TEAMS] when Teams is configured; idempotent."""
    if not runtime.settings.teams_enabled or Platform.TEAMS in runtime.notifiers:
        return
    runtime.notifiers[Platform.TEAMS] = teams_notifier(runtime.settings, runtime.uow, runtime.clock)
