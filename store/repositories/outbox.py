"""The transactional outbox's rows: added with a change, claimed by the delivery worker."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from store.models import OutboxMessage
from store.repositories.claims import claimable


class OutboxRepository:
    """The transactional outbox."""

    def __init__(self, session: Session) -> None:
        self._s = session
        self.added = False  # a row was queued in this transaction (the unit of work rings)

    def add(self, message: OutboxMessage) -> None:
        self._s.add(message)
        self.added = True

    def get(self, message_id: str) -> OutboxMessage | None:
        return self._s.get(OutboxMessage, message_id)

    def get_many(self, message_ids: Sequence[str]) -> dict[str, OutboxMessage]:
        rows = self._s.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(message_ids)))
        return {row.id: row for row in rows}

    def by_key(self, key: str) -> OutboxMessage | None:
        return self._s.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key == key)
        ).first()

    def for_delivery(self, delivery_id: str, *, kinds: Sequence[str]) -> Sequence[OutboxMessage]:
        return self._s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.delivery_id == delivery_id, OutboxMessage.kind.in_(kinds)
            )
        ).all()

    def keyed_under(self, prefix: str, *, kinds: Sequence[str]) -> Sequence[OutboxMessage]:
        """The rows of these kinds whose idempotency key starts with `prefix`."""
        return self._s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.idempotency_key.startswith(prefix, autoescape=True),
                OutboxMessage.kind.in_(kinds),
            )
        ).all()

    def claim_due(
        self,
        now: datetime,
        limit: int,
        *,
        concern_id: str | None = None,
        platforms: Collection[str] | None = None,
        skip_platforms: Collection[str] = (),
    ) -> Sequence[OutboxMessage]:
        """Due pending rows, and `sending` rows whose lease lapsed (a worker died mid-send);
        only one concern's when `concern_id` is given; only (or not) some platforms' rows.

        On PostgreSQL rows are locked with SKIP LOCKED so concurrent workers never share one.
        """
        stmt = (
            select(OutboxMessage)
            .where(
                or_(
                    (OutboxMessage.state == "pending") & (OutboxMessage.next_attempt_at <= now),
                    (OutboxMessage.state == "sending") & (OutboxMessage.lease_until <= now),
                )
            )
            .order_by(OutboxMessage.next_attempt_at)
            .limit(limit)
        )
        if concern_id is not None:
            stmt = stmt.where(OutboxMessage.concern_id == concern_id)
        if platforms is not None:
            stmt = stmt.where(OutboxMessage.platform.in_(platforms))
        if skip_platforms:
            stmt = stmt.where(OutboxMessage.platform.not_in(skip_platforms))
        return self._s.scalars(claimable(self._s, stmt)).all()
