"""Fakes for the ports (not mocks): they behave, and they remember."""

from __future__ import annotations

from dataclasses import dataclass, field

from handlers.ports import MessageRef, Pointer, RetryLater, SendResult, Sent
from handlers.values import Platform


@dataclass
class FakeNotifier:
    platform: Platform = Platform.PLAYGROUND
    sent: list[Pointer] = field(default_factory=list)
    failures: list[SendResult] = field(default_factory=list)

    def send(self, pointer: Pointer) -> SendResult:
        if self.failures:
            return self.failures.pop(0)
        self.sent.append(pointer)
        return Sent(MessageRef({"id": pointer.idempotency_key}))

    def find(self, pointer: Pointer) -> MessageRef | None:
        for sent in self.sent:
            if sent.idempotency_key == pointer.idempotency_key:
                return MessageRef({"id": sent.idempotency_key})
        return None

    def to(self, recipient_id: str) -> list[Pointer]:
        return [p for p in self.sent if p.recipient_id == recipient_id]


def retry(after: float | None = None) -> RetryLater:
    return RetryLater("rate limited", after=after)
