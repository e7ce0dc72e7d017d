"""Playground notifier: stores exactly what a chat platform would show for a pointer."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from handlers.outbox.pointer_words import describe
from handlers.ports import Clock, MessageRef, Pointer, SendResult, Sent
from handlers.values import Platform
from store.models import PlaygroundMessage, new_id
from store.unit_of_work import UnitOfWork


class PlaygroundNotifier:
    platform = Platform.PLAYGROUND

    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Clock) -> None:
        self._uow = uow_factory
        self._clock = clock

    def send(self, pointer: Pointer) -> SendResult:
        now = self._clock.now()
        text = describe(pointer, now)
        with self._uow() as uow:
            if pointer.updates is not None:
                message = uow.session.get(PlaygroundMessage, pointer.updates.values.get("id", ""))
                if message is not None:
                    message.title, message.lines = text.title, list(text.lines)
                    message.can_acknowledge = text.acknowledge_label is not None
                    message.updated_at = now
                    uow.commit()
                    return Sent(MessageRef({"id": message.id}))
            existing = self._find(uow, pointer)
            if existing is not None:
                return Sent(existing)
            message = PlaygroundMessage(
                id=new_id(),
                idempotency_key=pointer.idempotency_key,
                recipient_id=pointer.recipient_id,
                kind=pointer.kind.value,
                title=text.title,
                lines=list(text.lines),
                link=pointer.link,
                concern_id=pointer.concern_id,
                can_acknowledge=text.acknowledge_label is not None,
                created_at=now,
            )
            uow.session.add(message)
            uow.commit()
            return Sent(MessageRef({"id": message.id}))

    def find(self, pointer: Pointer) -> MessageRef | None:
        with self._uow() as uow:
            return self._find(uow, pointer)

    @staticmethod
    def _find(uow: UnitOfWork, pointer: Pointer) -> MessageRef | None:
        found = uow.session.scalars(
            select(PlaygroundMessage.id).where(
                PlaygroundMessage.idempotency_key == pointer.idempotency_key
            )
        ).first()
        return MessageRef({"id": found}) if found else None
