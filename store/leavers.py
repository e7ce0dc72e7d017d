"""What a leaver still holds: web sessions, live links, queued pointers, open follow-ups.

handlers.network.leavers decides what deactivation does; these are the queries it needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from store.models import Concern, Delivery, FollowUp, Link, OutboxMessage, WebSession

WITHDRAWN = "withdrawn"
"""The outbox state of a pointer that will never be sent: its recipient left."""


class LeaverRepository:
    """Everything a practitioner holds that must stop when they leave."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def end_sessions(self, practitioner_id: str, *, at: datetime) -> int:
        """Revoke every live web session of this practitioner; how many there were."""
        result = self._s.execute(
            update(WebSession)
            .where(WebSession.practitioner_id == practitioner_id, WebSession.revoked_at.is_(None))
            .values(revoked_at=at)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def revoke_links(self, recipient_id: str, *, at: datetime) -> int:
        """Revoke every unexpired link minted for this recipient; how many there were."""
        theirs = select(Delivery.id).where(Delivery.recipient_id == recipient_id)
        result = self._s.execute(
            update(Link)
            .where(Link.delivery_id.in_(theirs), Link.revoked_at.is_(None), Link.expires_at > at)
            .values(revoked_at=at)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def withdraw_pointers(self, recipient_id: str, *, reason: str) -> int:
        """Withdraw every pointer still queued for this recipient; how many there were."""
        result = self._s.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.recipient_id == recipient_id,
                OutboxMessage.state.in_(("pending", "sending")),
            )
            .values(state=WITHDRAWN, lease_until=None, last_error=reason[:200])
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def withdraw(self, message: OutboxMessage, *, reason: str) -> None:
        """Withdraw one queued pointer (a sweep found its recipient gone)."""
        message.state = WITHDRAWN
        message.lease_until = None
        message.last_error = reason[:200]

    def open_follow_ups(self, owner_id: str) -> Sequence[tuple[FollowUp, str]]:
        """This owner's open follow-ups, each with its concern's client id."""
        rows = self._s.execute(
            select(FollowUp, Concern.client_id)
            .join(Concern, Concern.id == FollowUp.concern_id)
            .where(FollowUp.owner_id == owner_id, FollowUp.state == "open")
            .order_by(FollowUp.due_at)
        ).all()
        return [(row[0], row[1]) for row in rows]
