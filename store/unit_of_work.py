"""One transaction per use case, committed in one place (which keeps the outbox honest)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from store import audit
from store.crypto import KeyRing
from store.keys import Vault
from store.landed_messages import LandedMessages
from store.leavers import LeaverRepository
from store.models import AuditEvent
from store.repositories.advice import AdviceRepository
from store.repositories.concerns import ConcernRepository
from store.repositories.directory import DirectoryRepository
from store.repositories.exports import ExportRepository
from store.repositories.inbound import InboundRepository
from store.repositories.join_requests import JoinRequestRepository
from store.repositories.outbox import OutboxRepository
from store.repositories.partnership import PartnershipRepository
from store.sealed import Sealed


class UnitOfWork:
    directory: DirectoryRepository
    concerns: ConcernRepository
    exports: ExportRepository
    advice: AdviceRepository
    outbox: OutboxRepository
    inbound: InboundRepository
    leavers: LeaverRepository
    landed: LandedMessages
    vault: Vault
    sealed: Sealed
    session: Session

    def __init__(
        self,
        sessions: sessionmaker[Session],
        ring: KeyRing,
        *,
        on_outbox: Callable[[], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._ring = ring
        self._on_outbox = on_outbox  # told after a commit that queued pointers (wakes a worker)

    def __enter__(self) -> Self:
        self.session = self._sessions()
        self.session.begin()
        self.directory = DirectoryRepository(self.session)
        self.concerns = ConcernRepository(self.session)
        self.exports = ExportRepository(self.session)
        self.advice = AdviceRepository(self.session)
        self.outbox = OutboxRepository(self.session)
        self.inbound = InboundRepository(self.session)
        self.join_requests = JoinRequestRepository(self.session)
        self.leavers = LeaverRepository(self.session)
        self.landed = LandedMessages(self.session)
        self.partnership = PartnershipRepository(self.session)
        self.vault = Vault(self.session, self._ring)
        self.sealed = Sealed(self.vault)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self.session.in_transaction():
                self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        audit.settle(self.session)
        self.session.commit()
        if self.outbox.added:
            self.outbox.added = False
            if self._on_outbox is not None:
                self._on_outbox()

    def rollback(self) -> None:
        self.session.rollback()

    def flush(self) -> None:
        self.session.flush()

    def audit(self, action: str, *, at: datetime, **fields: Any) -> AuditEvent:
        return audit.append(self.session, action=action, at=at, **fields)

    def audit_events(self, concern_id: str, *, action: str) -> Sequence[AuditEvent]:
        """One concern's audit events of one kind, oldest first."""
        return self.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.concern_id == concern_id, AuditEvent.action == action)
            .order_by(AuditEvent.seq)
        ).all()

    def audit_since(
        self, after_seq: int, *, actions: Collection[str], limit: int = 100
    ) -> Sequence[AuditEvent]:
        """Audit events of the given kinds after `after_seq`, oldest first."""
        return self.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.seq > after_seq, AuditEvent.action.in_(actions))
            .order_by(AuditEvent.seq)
            .limit(limit)
        ).all()

    def audit_head_seq(self) -> int:
        """The newest audit event's sequence number (0 before the first)."""
        return self.session.scalar(select(func.max(AuditEvent.seq))) or 0


UnitOfWorkFactory = Callable[[], UnitOfWork]
