"""Subject access exports: add, find, the ones past their expiry; and a client's audit."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from store.models import AuditEvent, SubjectAccessExport
from store.repositories.claims import claimable


class ExportRepository:
    """Sealed subject access exports (`uow.exports`)."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, row: SubjectAccessExport) -> None:
        self._s.add(row)

    def get(self, export_id: str) -> SubjectAccessExport | None:
        return self._s.get(SubjectAccessExport, export_id)

    def expired(self, now: datetime, *, limit: int = 100) -> Sequence[SubjectAccessExport]:
        """Exports whose time is up, oldest first, claimed for this sweep (PostgreSQL)."""
        stmt = (
            select(SubjectAccessExport)
            .where(SubjectAccessExport.expires_at <= now)
            .order_by(SubjectAccessExport.expires_at)
            .limit(limit)
        )
        return self._s.scalars(claimable(self._s, stmt)).all()

    def delete(self, row: SubjectAccessExport) -> None:
        self._s.delete(row)
        self._s.flush()

    def audit_about(
        self,
        *,
        concern_ids: Collection[str],
        concern_actions: Collection[str],
        client_id: str,
        client_actions: Collection[str],
    ) -> Sequence[AuditEvent]:
        """Audit events of these kinds about these concerns or (by subject) the client."""
        about_concerns = and_(
            AuditEvent.concern_id.in_(list(concern_ids)),
            AuditEvent.action.in_(list(concern_actions)),
        )
        about_client = and_(
            AuditEvent.subject == client_id, AuditEvent.action.in_(list(client_actions))
        )
        wanted = or_(about_concerns, about_client) if concern_ids else about_client
        return self._s.scalars(select(AuditEvent).where(wanted).order_by(AuditEvent.seq)).all()
