"""Old de-duplication keys are forgotten; recent ones still stop a retry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from handlers.retention.inbound_keys import forget_old_deliveries
from store.models import InboundEvent
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock


def _received(uow_factory: Callable[[], UnitOfWork], clock: FakeClock, **ages: float) -> None:
    with uow_factory() as uow:
        for key, days in ages.items():
            at = clock.now() - timedelta(days=days)
            uow.session.add(InboundEvent(platform="slack", key=key, received_at=at))
        uow.commit()


def test_keys_older_than_a_week_are_forgotten_in_batches(
    uow_factory: Callable[[], UnitOfWork], clock: FakeClock
) -> None:
    _received(uow_factory, clock, a=30, b=9, c=8, d=7.01, e=6.9, f=0)
    report = forget_old_deliveries(uow_factory, clock, batch=2)  # 4 old: two full batches
    assert report.forgotten == 4
    with uow_factory() as uow:
        assert uow.inbound.first_time("slack", "a") is True  # forgotten: seen as new
        assert uow.inbound.first_time("slack", "e") is False  # 6.9 days: still guards
        assert uow.inbound.first_time("slack", "f") is False
    assert forget_old_deliveries(uow_factory, clock).forgotten == 0


def test_nothing_to_forget_is_a_quiet_no_op(
    uow_factory: Callable[[], UnitOfWork], clock: FakeClock
) -> None:
    assert forget_old_deliveries(uow_factory, clock).forgotten == 0
