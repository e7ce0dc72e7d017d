"""Fakes for the ports (not mocks): they behave, and they remember."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Settings
from bot.dependencies import Dependencies
from bot.runtime import PublicLinkMinter
from handlers.deadlines import WorkingCalendar
from handlers.outbox.delivery import DeliveryReport
from handlers.ports import Clock, MessageRef, Pointer, RetryLater, SendResult, Sent
from handlers.values import Platform
from store.unit_of_work import UnitOfWorkFactory


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


@dataclass
class FakeOutboxKick:
    """Dependencies.deliver for a surface under test: remembers each kick, delivers nothing."""

    kicks: list[str | None] = field(default_factory=list)

    def __call__(self, *, concern_id: str | None = None) -> DeliveryReport:
        self.kicks.append(concern_id)
        return DeliveryReport()


def surface_dependencies(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    *,
    calendar: WorkingCalendar | None = None,
    public_url: str = "https://flare.test",
) -> Dependencies:
    """What a surface gets (bot.dependencies), built from the test's store and fakes."""
    return Dependencies(
        settings=Settings(env="test", public_url=public_url),
        uow=uow_factory,
        clock=clock,
        calendar=calendar or WorkingCalendar(),
        minter=PublicLinkMinter(public_url),
        deliver=FakeOutboxKick(),
    )
