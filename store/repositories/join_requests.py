"""Join requests: who asked to join which client's network, and what its lead decided."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import JoinRequest


class JoinRequestRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, request: JoinRequest) -> None:
        self._s.add(request)

    def get(self, request_id: str) -> JoinRequest | None:
        return self._s.get(JoinRequest, request_id)

    def pending(self, client_id: str, asker_id: str) -> JoinRequest | None:
        return self._s.scalars(
            select(JoinRequest).where(
                JoinRequest.client_id == client_id,
                JoinRequest.asker_id == asker_id,
                JoinRequest.state == "pending",
            )
        ).first()

    def pending_for_clients(self, client_ids: Sequence[str]) -> Sequence[JoinRequest]:
        if not client_ids:
            return []
        return self._s.scalars(
            select(JoinRequest)
            .where(JoinRequest.client_id.in_(client_ids), JoinRequest.state == "pending")
            .order_by(JoinRequest.created_at)
        ).all()
