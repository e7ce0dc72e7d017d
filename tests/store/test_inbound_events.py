"""Platform deliveries recorded once: the de-dup every inbound adapter relies on."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import Engine

from store.repositories import record_inbound
from store.unit_of_work import UnitOfWork


def test_seen_before_records_new_keys_and_names_the_old(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    with uow_factory() as uow:
        assert uow.inbound.seen_before([("slack", "event:E1"), ("slack-signature", "v0=a")]) == []
        uow.commit()
    with uow_factory() as uow:
        seen = uow.inbound.seen_before([("slack-signature", "v0=b"), ("slack", "event:E1")])
        uow.commit()
    assert seen == [("slack", "event:E1")]
    with uow_factory() as uow:  # the new key of that call was recorded all the same
        assert uow.inbound.first_time("slack-signature", "v0=b") is False
        assert uow.inbound.first_time("teams", "event:E1") is True  # keys are per platform


def test_nothing_is_recorded_when_the_transaction_rolls_back(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    with uow_factory() as uow:
        assert uow.inbound.seen_before([("slack", "trigger:T1")]) == []
        uow.rollback()
    with uow_factory() as uow:
        assert uow.inbound.seen_before([("slack", "trigger:T1")]) == []


def test_concurrent_deliveries_of_one_key_record_it_exactly_once(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    start = threading.Barrier(6)
    firsts: list[bool] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            start.wait()
            with uow_factory() as uow:
                fresh = uow.inbound.seen_before([("slack", "event:burst")]) == []
                uow.commit()
            firsts.append(fresh)
        except BaseException as exc:  # a constraint error here would be the bug
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(firsts) == [False] * 5 + [True]


def test_record_inbound_commits_on_its_own(
    engine: Engine, uow_factory: Callable[[], UnitOfWork]
) -> None:
    assert record_inbound(engine, [("slack", "trigger:T9"), ("slack-signature", "v0=9")]) == []
    assert record_inbound(engine, [("slack-signature", "v0=9")]) == [("slack-signature", "v0=9")]
    with uow_factory() as uow:  # visible to everyone else at once
        assert uow.inbound.first_time("slack", "trigger:T9") is False
    assert record_inbound(engine, []) == []
