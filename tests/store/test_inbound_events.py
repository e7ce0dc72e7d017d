"""Platform deliveries recorded once: the de-dup every inbound adapter relies on."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from store.inbound_ledger import InboundLedger
from store.repositories.inbound import record_inbound
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


def _wait_until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_ledger_answers_each_caller_of_one_batch_in_arrival_order(
    engine: Engine, uow_factory: Callable[[], UnitOfWork]
) -> None:
    ledger = InboundLedger(engine)
    answers: dict[str, list[tuple[str, str]]] = {}

    def ask(name: str, keys: list[tuple[str, str]]) -> threading.Thread:
        thread = threading.Thread(target=lambda: answers.update({name: ledger.seen_before(keys)}))
        thread.start()
        return thread

    with uow_factory() as held:  # an open transaction holds ("slack", "held")
        held.inbound.seen_before([("slack", "held")])
        threads = [ask("blocked", [("slack", "held")])]
        _wait_until(lambda: ledger.running and ledger.waiting == 0)  # its statement waits
        threads.append(ask("first", [("sig", "s1"), ("slack", "X")]))
        _wait_until(lambda: ledger.waiting == 1)
        threads.append(ask("retry", [("sig", "s2"), ("slack", "X")]))
        _wait_until(lambda: ledger.waiting == 2)
        threads.append(ask("replay", [("sig", "s1"), ("slack", "Y")]))
        _wait_until(lambda: ledger.waiting == 3)  # three callers: one batch once it commits
        held.commit()
    for thread in threads:
        thread.join(timeout=30)
    assert answers == {
        "blocked": [("slack", "held")],  # the held transaction recorded it first
        "first": [],
        "retry": [("slack", "X")],  # the same delivery, later in the batch
        "replay": [("sig", "s1")],  # the same signature, later in the batch
    }
    assert ledger.seen_before([("slack", "Y"), ("slack", "Z")]) == [("slack", "Y")]


def test_ledger_hands_a_database_error_to_every_waiting_caller_then_recovers(
    engine: Engine,
) -> None:
    ledger = InboundLedger(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE inbound_events RENAME TO inbound_events_gone")
    errors: list[BaseException] = []

    def ask(n: int) -> None:
        try:
            ledger.seen_before([("slack", f"E{n}")])
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE inbound_events_gone RENAME TO inbound_events")
    assert len(errors) == 4 and all(isinstance(e, DBAPIError) for e in errors)
    assert ledger.seen_before([("slack", "E0")]) == []  # nothing was recorded by the failure


def test_ledger_thread_stops_when_idle_and_starts_again(engine: Engine) -> None:
    ledger = InboundLedger(engine, idle_seconds=0.05)
    assert not ledger.running
    assert ledger.seen_before([("slack", "I1")]) == []
    _wait_until(lambda: not ledger.running)
    assert ledger.seen_before([("slack", "I1"), ("slack", "I2")]) == [("slack", "I1")]
    assert ledger.seen_before([]) == []
