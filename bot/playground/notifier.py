"""Playground notifier: stores exactly what a chat platform would show for a pointer."""

from __future__ import annotations

from handlers.outbox.landed import playground_message_id, post_to_playground
from handlers.outbox.pointer_words import describe
from handlers.ports import Clock, MessageRef, Pointer, SendResult, Sent
from handlers.values import Platform
from store.unit_of_work import UnitOfWorkFactory


class PlaygroundNotifier:
    platform = Platform.PLAYGROUND

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow_factory
        self._clock = clock

    def send(self, pointer: Pointer) -> SendResult:
        words = describe(pointer, self._clock.now())
        posted = post_to_playground(self._uow(), pointer=pointer, words=words, clock=self._clock)
        return Sent(MessageRef({"id": posted}))

    def find(self, pointer: Pointer) -> MessageRef | None:
        found = playground_message_id(self._uow(), idempotency_key=pointer.idempotency_key)
        return MessageRef({"id": found}) if found else None
