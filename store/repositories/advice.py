"""Advice requests: drafts kept while a raiser asks for advice, and those due to escalate."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import AdviceRequest
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

    def by_submission(self, submission_key: str) -> AdviceRequest | None:
        return self._s.scalars(
            select(AdviceRequest).where(AdviceRequest.submission_key == submission_key)
        ).first()
