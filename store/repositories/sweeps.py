"""The concern rows the sweeps claim: escalations, follow-up reminders and patterns."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from store.models import Client, Concern, FollowUp, OutboxMessage, Practitioner
from store.repositories.claims import claimable


class ConcernSweeps:
    """What the escalation, reminder and pattern sweeps pick, locked for the sweep."""

    _s: Session

    def due_for_escalation(self, now: datetime, limit: int) -> Sequence[Concern]:
        """Open concerns whose next escalation step is due, locked for this sweep."""
        stmt = (
            select(Concern)
            .where(
                Concern.status == "open",
                or_(
                    Concern.escalate_at <= now,
                    and_(
                        Concern.escalate_at.is_(None),
                        Concern.escalation_level == 0,
                        Concern.acknowledge_by <= now,
                    ),
                ),
            )
            .order_by(Concern.acknowledge_by)
            .limit(limit)
        )
        return self._s.scalars(claimable(self._s, stmt)).all()

    def follow_ups_due(
        self, now: datetime, *, before: timedelta, overdue_after: timedelta, limit: int
    ) -> Sequence[FollowUp]:
        """Open follow-ups whose next reminder stage (before, due, overdue) has come."""
        stmt = (
            select(FollowUp)
            .where(
                FollowUp.state == "open",
                or_(
                    (FollowUp.reminders_sent == 0) & (FollowUp.due_at <= now + before),
                    (FollowUp.reminders_sent == 1) & (FollowUp.due_at <= now),
                    (FollowUp.reminders_sent == 2) & (FollowUp.due_at <= now - overdue_after),
                ),
            )
            .order_by(FollowUp.due_at)
            .limit(limit)
        )
        return self._s.scalars(claimable(self._s, stmt)).all()

    def raised_since(self, since: datetime) -> Sequence[tuple[str, str, str]]:
        """(client, concern, raiser's organisation) for every shared concern since a time."""
        rows = self._s.execute(
            select(Concern.client_id, Concern.id, Practitioner.organisation_id)
            .join(Practitioner, Practitioner.id == Concern.raiser_id)
            .where(Concern.created_at >= since, Concern.status != "not_shared")
            .order_by(Concern.created_at)
        ).all()
        return [(r[0], r[1], r[2]) for r in rows]

    def lock_client(self, client_id: str) -> Client | None:
        """The client row, locked; None when another replica holds it (PostgreSQL)."""
        stmt = select(Client).where(Client.id == client_id)
        return self._s.scalars(claimable(self._s, stmt)).first()

    def pattern_alerted_since(self, client_id: str, since: datetime) -> bool:
        return (
            self._s.scalars(
                select(OutboxMessage.id)
                .join(Concern, Concern.id == OutboxMessage.concern_id)
                .where(
                    Concern.client_id == client_id,
                    OutboxMessage.kind == "pattern_alert",
                    OutboxMessage.created_at > since,
                )
                .limit(1)
            ).first()
            is not None
        )
