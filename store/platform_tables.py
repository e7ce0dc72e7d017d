"""Tables for the platforms and the browser, not the domain: de-duplicated inbound
events, web sessions, platform tokens, the demo playground and landed Teams activities.

store/models.py re-exports them, so `store.models` still names the whole schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.schema_base import Base, _fk, _id, utcnow


class InboundEvent(Base):
    """Platform retries de-duplicated on the content's own identity."""

    __tablename__ = "inbound_events"
    __table_args__ = (UniqueConstraint("platform", "key"),)
    id: Mapped[str] = _id()
    platform: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class WebSession(Base):
    """Server side of a signed-in browser; the cookie carries only a random id."""

    __tablename__ = "web_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    practitioner_id: Mapped[str] = _fk("practitioners.id")
    provider: Mapped[str] = mapped_column(String(16))
    issuer: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column()
    last_seen_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # When the provider last authenticated the person (ID token `auth_time`), for step-up.
    authenticated_at: Mapped[datetime | None] = mapped_column(nullable=True)


class PlatformSecret(Base):
    """Platform tokens (Slack installations, Teams secrets), encrypted like any field."""

    __tablename__ = "platform_secrets"
    __table_args__ = (UniqueConstraint("platform", "scope"),)
    id: Mapped[str] = _id()
    platform: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(128))
    data_key_id: Mapped[str] = _fk("data_keys.id")
    value_ct: Mapped[bytes] = mapped_column(LargeBinary)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlaygroundMessage(Base):
    """The demo chat: exactly what a pointer would have shown in Slack or Teams."""

    __tablename__ = "playground_messages"
    id: Mapped[str] = _id()
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    recipient_id: Mapped[str] = _fk("practitioners.id")
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    lines: Mapped[list[str]] = mapped_column(JSON, default=list)
    link: Mapped[str | None] = mapped_column(String(300), nullable=True)
    concern_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    can_acknowledge: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(nullable=True)


class TeamsActivity(Base):
    """A pointer that landed in Teams: its outbox key and where it landed.

    Written right after the Bot Connector answers, so a worker that dies before recording
    the outbox row finds the message here instead of posting it a second time.
    """

    __tablename__ = "teams_activities"
    id: Mapped[str] = _id()
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    recipient_id: Mapped[str] = _fk("practitioners.id")
    conversation_id: Mapped[str] = mapped_column(String(512))
    service_url: Mapped[str] = mapped_column(String(300))
    activity_id: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
