"""Advice requests: drafts kept while a raiser asks for advice, and those due to escalate."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from store.models import AdviceRequest, Client, DataKey, Practitioner
from store.repositories.claims import claimable


class AdviceRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, request: AdviceRequest) -> None:
        self._s.add(request)

    def get(self, request_id: str) -> AdviceRequest | None:
        return self._s.get(AdviceRequest, request_id)

    def due_for_escalation(self, now: datetime, limit: int) -> Sequence[AdviceRequest]:
        """Unanswered requests whose next escalation step is due, locked for this sweep."""
        stmt = (
            select(AdviceRequest)
            .where(AdviceRequest.state == "asked", AdviceRequest.escalate_at <= now)
            .order_by(AdviceRequest.escalate_at)
            .limit(limit)
        )
        return self._s.scalars(claimable(self._s, stmt)).all()

    def awaiting_reply_from(self, adviser_id: str) -> Sequence[AdviceRequest]:
        """Requests this adviser has still to answer, the earliest asked first."""
        return self._s.scalars(
            select(AdviceRequest)
            .where(AdviceRequest.adviser_id == adviser_id, AdviceRequest.state == "asked")
            .order_by(AdviceRequest.created_at, AdviceRequest.id)
        ).all()

    def answered_for(self, raiser_id: str) -> Sequence[AdviceRequest]:
        """This raiser's answered requests, not yet sent nor decided, the earliest asked first."""
        return self._s.scalars(
            select(AdviceRequest)
            .where(AdviceRequest.raiser_id == raiser_id, AdviceRequest.state == "answered")
            .order_by(AdviceRequest.created_at, AdviceRequest.id)
        ).all()

    def by_submission(self, submission_key: str) -> AdviceRequest | None:
        return self._s.scalars(
            select(AdviceRequest).where(AdviceRequest.submission_key == submission_key)
        ).first()

    def unsent_before(
        self, organisation_id: str, before: datetime, limit: int
    ) -> Sequence[AdviceRequest]:
        """Requests one organisation's practitioners never sent nor decided, asked before
        `before`, about clients under no legal hold; locked for the retention sweep."""
        stmt = (
            select(AdviceRequest)
            .join(Practitioner, Practitioner.id == AdviceRequest.raiser_id)
            .join(Client, Client.id == AdviceRequest.client_id)
            .where(
                Practitioner.organisation_id == organisation_id,
                AdviceRequest.state.in_(("asked", "answered")),
                AdviceRequest.created_at < before,
                Client.legal_hold_at.is_(None),
            )
            .limit(limit)
        )
        return self._s.scalars(claimable(self._s, stmt, of=AdviceRequest)).all()

    def forget(self, request: AdviceRequest) -> None:
        """Delete the request and its data key (its sealed draft and reply are gone for good)."""
        key_id = request.data_key_id
        self._s.delete(request)
        self._s.flush()
        if key_id is not None:
            self._s.execute(delete(DataKey).where(DataKey.id == key_id))
