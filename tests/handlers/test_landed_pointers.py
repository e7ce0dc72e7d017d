"""The Playground's chat records what a pointer showed, once per outbox key, and audits it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from bot.playground.notifier import PlaygroundNotifier
from handlers.ports import MessageRef, Pointer, Sent
from handlers.values import Platform, PointerKind, Severity
from store.models import AuditEvent, PlaygroundMessage
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock
from tests.directory import seed_directory


def _pointer(recipient_id: str, key: str, updates: MessageRef | None = None) -> Pointer:
    return Pointer(
        kind=PointerKind.NEW_CONCERN,
        recipient_id=recipient_id,
        platform=Platform.PLAYGROUND,
        idempotency_key=key,
        link="https://flare.test/l/token",
        severity=Severity.HIGH,
        updates=updates,
    )


def _landed(uow_factory: Callable[[], UnitOfWork]) -> list[tuple[str | None, dict[str, str]]]:
    with uow_factory() as uow:
        events = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "pointer.landed").order_by(AuditEvent.seq)
        ).all()
        return [(e.subject, dict(e.detail)) for e in events]


def test_a_playground_pointer_is_stored_once_and_each_change_is_audited(
    uow_factory: Callable[[], UnitOfWork], clock: FakeClock
) -> None:
    erin = seed_directory(uow_factory, clock.now()).people["erin"]
    notifier = PlaygroundNotifier(uow_factory, clock)
    first = notifier.send(_pointer(erin, "key-1"))
    assert isinstance(first, Sent)
    assert notifier.send(_pointer(erin, "key-1")) == first  # a retry: the same message
    assert notifier.find(_pointer(erin, "key-1")) == first.ref
    assert notifier.find(_pointer(erin, "key-2")) is None
    edited = notifier.send(_pointer(erin, "key-3", updates=first.ref))
    assert edited == first
    with uow_factory() as uow:
        assert len(uow.session.scalars(select(PlaygroundMessage)).all()) == 1
    detail = {"platform": "playground", "kind": "new_concern"}
    assert _landed(uow_factory) == [(erin, detail), (erin, detail)]
