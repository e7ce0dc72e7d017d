"""Concerns and what hangs off them: entries, deliveries, links and follow-ups."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from store.models import (
    Concern,
    ConcernEntry,
    Delivery,
    FollowUp,
    Link,
    Organisation,
    Practitioner,
)
from store.repositories.retention import ConcernRetention
from store.repositories.sweeps import ConcernSweeps


class ConcernRepository(ConcernSweeps, ConcernRetention):
    """Concerns, their entries, deliveries, links and follow-ups.

    The rows the sweeps claim (`ConcernSweeps`) and retention's deletes (`ConcernRetention`)
    are kept in their own modules; `uow.concerns` answers all three.
    """

    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, row: Concern | ConcernEntry | Delivery | Link | FollowUp) -> None:
        self._s.add(row)

    def get(self, concern_id: str) -> Concern | None:
        return self._s.get(Concern, concern_id)

    def by_submission(self, submission_key: str) -> Concern | None:
        return self._s.scalars(
            select(Concern).where(Concern.submission_key == submission_key)
        ).first()

    def entry_counts(self, concern_ids: Collection[str]) -> dict[str, int]:
        """How many entries each of these concerns has, in one query."""
        if not concern_ids:
            return {}
        rows = self._s.execute(
            select(ConcernEntry.concern_id, func.count())
            .where(ConcernEntry.concern_id.in_(list(concern_ids)))
            .group_by(ConcernEntry.concern_id)
        ).all()
        return {str(row[0]): int(row[1]) for row in rows}

    def entries(self, concern_id: str) -> Sequence[ConcernEntry]:
        return self._s.scalars(
            select(ConcernEntry)
            .where(ConcernEntry.concern_id == concern_id)
            .order_by(ConcernEntry.created_at, ConcernEntry.id)
        ).all()

    def deliveries(self, concern_id: str) -> Sequence[Delivery]:
        return self._s.scalars(
            select(Delivery).where(Delivery.concern_id == concern_id).order_by(Delivery.role)
        ).all()

    def delivery(self, delivery_id: str) -> Delivery | None:
        return self._s.get(Delivery, delivery_id)

    def delivery_for(self, concern_id: str, recipient_id: str) -> Delivery | None:
        return self._s.scalars(
            select(Delivery).where(
                Delivery.concern_id == concern_id, Delivery.recipient_id == recipient_id
            )
        ).first()

    def link_by_hash(self, token_hash: str) -> Link | None:
        return self._s.scalars(select(Link).where(Link.token_hash == token_hash)).first()

    def link(self, link_id: str) -> Link | None:
        return self._s.get(Link, link_id)

    def live_links(self, delivery_id: str, now: datetime) -> Sequence[Link]:
        return self._s.scalars(
            select(Link).where(
                Link.delivery_id == delivery_id, Link.revoked_at.is_(None), Link.expires_at > now
            )
        ).all()

    def for_client(self, client_id: str) -> Sequence[Concern]:
        return self._s.scalars(
            select(Concern)
            .where(Concern.client_id == client_id)
            .order_by(Concern.created_at.desc())
        ).all()

    def not_shared_for_overseer(
        self, practitioner_id: str, *, client_id: str | None = None, limit: int | None = None
    ) -> Sequence[Concern]:
        """Decisions not to share raised by this practitioner, or by someone of an organisation
        whose safeguarding lead or DPO they are (optionally about one client), newest first,
        in one query: the candidates `network.access.decisions_overseen` checks."""
        query = (
            select(Concern)
            .join(Practitioner, Practitioner.id == Concern.raiser_id)
            .join(Organisation, Organisation.id == Practitioner.organisation_id)
            .where(
                Concern.status == "not_shared",
                or_(
                    Concern.raiser_id == practitioner_id,
                    Organisation.safeguarding_lead_id == practitioner_id,
                    Organisation.dpo_id == practitioner_id,
                ),
            )
        )
        if client_id is not None:
            query = query.where(Concern.client_id == client_id)
        query = query.order_by(Concern.created_at.desc(), Concern.id)
        return self._s.scalars(query if limit is None else query.limit(limit)).all()

    def raised_by(self, practitioner_id: str) -> Sequence[Concern]:
        return self._s.scalars(
            select(Concern)
            .where(Concern.raiser_id == practitioner_id)
            .order_by(Concern.created_at.desc())
        ).all()

    def received_with_concerns(self, practitioner_id: str) -> Sequence[tuple[Delivery, Concern]]:
        """Every delivery to this practitioner with its concern, in one query."""
        rows = self._s.execute(
            select(Delivery, Concern)
            .join(Concern, Concern.id == Delivery.concern_id)
            .where(Delivery.recipient_id == practitioner_id)
            .order_by(Delivery.created_at.desc())
        ).all()
        return [(row[0], row[1]) for row in rows]

    def received_by(self, practitioner_id: str) -> Sequence[Delivery]:
        return self._s.scalars(
            select(Delivery)
            .where(Delivery.recipient_id == practitioner_id)
            .order_by(Delivery.created_at.desc())
        ).all()

    def follow_ups(self, concern_id: str) -> Sequence[FollowUp]:
        return self._s.scalars(
            select(FollowUp).where(FollowUp.concern_id == concern_id).order_by(FollowUp.due_at)
        ).all()

    def follow_up(self, follow_up_id: str) -> FollowUp | None:
        return self._s.get(FollowUp, follow_up_id)

    def follow_ups_owned(self, practitioner_id: str) -> Sequence[FollowUp]:
        return self._s.scalars(
            select(FollowUp)
            .where(FollowUp.owner_id == practitioner_id, FollowUp.state == "open")
            .order_by(FollowUp.due_at)
        ).all()
