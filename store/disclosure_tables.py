"""Subject access exports, kept sealed for a short while (handlers.disclosure).

An export is the client's whole record as its creator (a data protection officer or an
organisation admin) asked for it, sealed under its own data key. It is downloadable by its
creator only until `expires_at`; then its key is shredded and the row deleted.

store/models.py re-exports the table, so `store.models` still names the whole schema.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from store.schema_base import Base, _fk, _id, utcnow


class SubjectAccessExport(Base):
    """One export: whose record (by id only), who made it, until when; the payload sealed."""

    __tablename__ = "subject_access_exports"
    id: Mapped[str] = _id()
    # No foreign key: an export outlives nothing, and must never hold a client row back.
    client_id: Mapped[str] = mapped_column(String(32))
    creator_id: Mapped[str] = _fk("practitioners.id")
    data_key_id: Mapped[str] = _fk("data_keys.id")
    payload_ct: Mapped[bytes] = mapped_column(LargeBinary)
    protected_included: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
