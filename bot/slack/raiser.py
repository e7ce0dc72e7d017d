"""Who is pressing the button? A Slack team + user -> a Known practitioner, or the refusal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.identity import ChatIdentity, Known, explain, identify
from handlers.values import Platform

if TYPE_CHECKING:
    from bot.runtime import Runtime


def practitioner_for(runtime: Runtime, team_id: str, user_id: str) -> Known | str:
    """The linked practitioner, or the one sentence a refused user sees (nothing stored)."""
    outcome = identify(
        runtime.uow(), ChatIdentity(Platform.SLACK, team_id, user_id), clock=runtime.clock
    )
    return outcome if isinstance(outcome, Known) else explain(outcome)
