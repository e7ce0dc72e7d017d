"""Retention: concerns past their organisation's period, shredded and then deleted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Delete, delete, or_, select
from sqlalchemy.orm import Session

from store.models import (
    AdviceRequest,
    Client,
    Concern,
    ConcernEntry,
    DataKey,
    Delivery,
    FollowUp,
    Link,
    OutboxMessage,
    Practitioner,
)
from store.repositories.claims import claimable


class ConcernRetention:
    """Concerns due for shredding, and the deletion of a shredded concern's rows."""

    _s: Session

    def due_for_retention(
        self,
        organisation_id: str,
        cutoff: datetime,
        limit: int,
        *,
        lock: bool = True,
        statuses: tuple[str, ...] = ("closed", "not_shared"),
    ) -> Sequence[Concern]:
        """Closed (or not shared) concerns of an organisation's raisers, past retention,
        whose client is not under a legal hold."""
        raisers = select(Practitioner.id).where(Practitioner.organisation_id == organisation_id)
        # Correlated (NOT EXISTS by the client's key), not `NOT IN (held clients)`: that
        # subquery read the whole clients table on every call, so the sweep grew with it.
        held = (
            select(Client.id)
            .where(Client.id == Concern.client_id, Client.legal_hold_at.is_not(None))
            .exists()
        )
        stmt = (
            select(Concern)
            .where(
                Concern.raiser_id.in_(raisers),
                ~held,
                Concern.status.in_(statuses),
                Concern.shredded_at.is_(None),
                or_(
                    Concern.closed_at < cutoff,
                    Concern.closed_at.is_(None) & (Concern.created_at < cutoff),
                ),
            )
            .order_by(Concern.created_at)
            .limit(limit)
        )
        return self._s.scalars(claimable(self._s, stmt) if lock else stmt).all()

    def shredded(self, limit: int) -> Sequence[Concern]:
        """Concerns whose key is shredded but whose rows are not yet deleted."""
        stmt = select(Concern).where(Concern.shredded_at.is_not(None)).limit(limit)
        return self._s.scalars(claimable(self._s, stmt)).all()

    def delete_concern_rows(self, concern: Concern) -> dict[str, int]:
        """Delete a (shredded) concern and everything hanging off it; returns row counts."""
        deliveries = select(Delivery.id).where(Delivery.concern_id == concern.id)
        counts = {
            "links": self._delete(delete(Link).where(Link.delivery_id.in_(deliveries))),
            # Two statements, not one OR: `delivery_id IN (subquery)` inside an OR cannot use
            # an index, so PostgreSQL read the whole outbox for every deleted concern.
            "outbox": self._delete(
                delete(OutboxMessage).where(OutboxMessage.concern_id == concern.id)
            )
            + self._delete(delete(OutboxMessage).where(OutboxMessage.delivery_id.in_(deliveries))),
            "follow_ups": self._delete(delete(FollowUp).where(FollowUp.concern_id == concern.id)),
            "deliveries": self._delete(delete(Delivery).where(Delivery.concern_id == concern.id)),
            "entries": self._delete(
                delete(ConcernEntry).where(ConcernEntry.concern_id == concern.id)
            ),
        }
        # The advice sought before sharing goes with the concern it became, and its key too.
        advised = AdviceRequest.concern_id == concern.id
        key_ids = [
            concern.data_key_id,
            *self._s.scalars(select(AdviceRequest.data_key_id).where(advised)),
        ]
        counts["advice"] = self._delete(delete(AdviceRequest).where(advised))
        self._s.delete(concern)
        self._s.flush()
        for key_id in key_ids:
            if key_id is not None:
                self._delete(delete(DataKey).where(DataKey.id == key_id))
        return counts

    def _delete(self, stmt: Delete) -> int:
        result = self._s.execute(stmt.execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)
