"""The advice table: a raiser's draft concern, kept sealed while they ask for advice first.

store/models.py re-exports it, so `store.models` still names the whole schema.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from store.schema_base import Base, _fk, _id, utcnow


class AdviceRequest(Base):
    """A draft concern and the advice asked about it: seen by the raiser and the adviser only.

    The draft (every answer of the raise form) and the reply are sealed under the request's own
    data key. Nothing reaches the client's network until the raiser sends; then `concern_id`
    names the concern the draft became (or the decision not to share) and the draft is emptied.
    """

    __tablename__ = "advice_requests"
    id: Mapped[str] = _id()
    raiser_id: Mapped[str] = _fk("practitioners.id")
    adviser_id: Mapped[str] = _fk("practitioners.id")
    adviser_role: Mapped[str] = mapped_column(String(32))  # AdviserRole: who was asked
    client_id: Mapped[str] = _fk("clients.id")
    submission_key: Mapped[str] = mapped_column(String(128), unique=True)  # one per raise form
    severity: Mapped[str] = mapped_column(String(16))
    data_key_id: Mapped[str | None] = _fk("data_keys.id", nullable=True)
    draft_ct: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    reply_ct: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    state: Mapped[str] = mapped_column(String(16), default="asked", index=True)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalate_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(nullable=True)
    answered_by_id: Mapped[str | None] = _fk("practitioners.id", nullable=True, index=False)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    concern_id: Mapped[str | None] = _fk("concerns.id", nullable=True, index=False)
