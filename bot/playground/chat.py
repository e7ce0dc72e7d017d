"""Reading the playground's chat: the stored pointer messages, per practitioner."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from store.models import PlaygroundMessage
from store.unit_of_work import UnitOfWork


def messages_for(uow: UnitOfWork, practitioner_id: str) -> Sequence[PlaygroundMessage]:
    """Exactly what this person's chat shows, newest first."""
    with uow:
        return uow.session.scalars(
            select(PlaygroundMessage)
            .where(PlaygroundMessage.recipient_id == practitioner_id)
            .order_by(PlaygroundMessage.created_at.desc(), PlaygroundMessage.id)
        ).all()


def message_counts(uow: UnitOfWork) -> dict[str, int]:
    with uow:
        rows = uow.session.execute(
            select(PlaygroundMessage.recipient_id, func.count()).group_by(
                PlaygroundMessage.recipient_id
            )
        ).all()
        return {recipient: count for recipient, count in rows}
