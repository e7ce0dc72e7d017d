"""Where pointers landed on a platform: Teams activities and the Playground's chat.

The Teams notifier reads a landed activity by its outbox key (so a retry does not post
twice); the Playground keeps what a pointer would have shown. Ids and fixed words only.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import PlaygroundMessage, TeamsActivity


class LandedMessages:
    """Rows written once a platform took a pointer, looked up by the outbox's key."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def teams_activity(self, idempotency_key: str) -> TeamsActivity | None:
        return self._s.scalars(
            select(TeamsActivity).where(TeamsActivity.idempotency_key == idempotency_key)
        ).first()

    def add_teams_activity(self, activity: TeamsActivity) -> None:
        self._s.add(activity)

    def playground_message(self, message_id: str) -> PlaygroundMessage | None:
        return self._s.get(PlaygroundMessage, message_id)

    def playground_message_id(self, idempotency_key: str) -> str | None:
        return self._s.scalars(
            select(PlaygroundMessage.id).where(PlaygroundMessage.idempotency_key == idempotency_key)
        ).first()

    def add_playground_message(self, message: PlaygroundMessage) -> None:
        self._s.add(message)
