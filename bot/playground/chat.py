"""Reading the playground's chat: the stored pointer messages, per practitioner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from store.models import PlaygroundMessage
from store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ChatMessage:
    """One message as the chat shows it (built from a Pointer: nothing sensitive)."""

    id: str
    kind: str
    title: str
    lines: tuple[str, ...]
    link: str | None
    concern_id: str | None
    can_acknowledge: bool
    created_at: datetime


def messages_for(uow: UnitOfWork, practitioner_id: str) -> tuple[ChatMessage, ...]:
    """Exactly what this person's chat shows, newest first."""
    with uow:
        rows = uow.session.scalars(
            select(PlaygroundMessage)
            .where(PlaygroundMessage.recipient_id == practitioner_id)
            .order_by(PlaygroundMessage.created_at.desc(), PlaygroundMessage.id)
        ).all()
        return tuple(
            ChatMessage(
                m.id,
                m.kind,
                m.title,
                tuple(m.lines),
                m.link,
                m.concern_id,
                m.can_acknowledge,
                m.created_at,
            )
            for m in rows
        )


def message_counts(uow: UnitOfWork) -> dict[str, int]:
    with uow:
        rows = uow.session.execute(
            select(PlaygroundMessage.recipient_id, func.count()).group_by(
                PlaygroundMessage.recipient_id
            )
        ).all()
        return {recipient: count for recipient, count in rows}
