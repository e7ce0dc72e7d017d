"""The outbox sends recipients side by side, each recipient's pointers in order, and a raise
wakes the worker of its own process at once instead of waiting for the next tick."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from bot.config import load_settings
from bot.rate_gate import RateGate
from bot.runtime import Runtime
from bot.scheduler import Scheduler
from handlers.outbox.delivery import OutboxPolicy, deliver_due
from handlers.ports import MessageRef, Pointer, SendResult, Sent
from handlers.values import Platform
from store.crypto import KeyRing
from store.db import session_factory
from store.models import OutboxMessage
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock, FakeMinter, UowFactory
from tests.directory import seed_directory
from tests.fakes import FakeNotifier
from tests.follow.flows import raise_one


@dataclass
class SlowNotifier:
    """A platform that takes a while to answer, and counts how many sends overlap."""

    platform: Platform = Platform.PLAYGROUND
    sent: list[Pointer] = field(default_factory=list)
    most_at_once: int = 0
    most_for_one_recipient: int = 0
    _in_flight: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, pointer: Pointer) -> SendResult:
        with self._lock:
            self._in_flight[pointer.recipient_id] += 1
            self.most_at_once = max(self.most_at_once, sum(self._in_flight.values()))
            self.most_for_one_recipient = max(
                self.most_for_one_recipient, self._in_flight[pointer.recipient_id]
            )
        time.sleep(0.05)
        with self._lock:
            self._in_flight[pointer.recipient_id] -= 1
            self.sent.append(pointer)
        return Sent(MessageRef({"id": pointer.idempotency_key}))

    def find(self, pointer: Pointer) -> MessageRef | None:
        return None


def test_a_call_waiting_behind_a_429_on_its_bucket_is_told_to_wait_not_made() -> None:
    clock = FakeClock()
    gate = RateGate(clock.now)
    inside, answered = threading.Event(), threading.Event()
    waits: list[float | None] = []

    def first() -> None:
        with gate.turn("T1:conversations.open") as turn:
            inside.set()
            answered.wait(5)
            turn.refused(7.0)  # the platform said 429, Retry-After: 7

    def second() -> None:
        inside.wait(5)
        with gate.turn("T1:conversations.open") as turn:
            waits.append(turn.wait())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    inside.wait(5)
    with gate.turn("T1:other") as other:  # another bucket does not queue behind it
        assert other.wait() is None
    answered.set()
    for thread in threads:
        thread.join(5)
    assert waits == [7.0]
    clock.advance(seconds=7)
    with gate.turn("T1:conversations.open") as turn:
        assert turn.wait() is None


def _states(uow_factory: UowFactory) -> Counter[str]:
    with uow_factory() as uow:
        return Counter(uow.session.scalars(select(OutboxMessage.state)))


def test_recipients_are_sent_to_side_by_side_but_one_recipient_one_at_a_time(
    uow_factory: UowFactory, clock: FakeClock, minter: FakeMinter
) -> None:
    d = seed_directory(uow_factory, clock.now())
    for n in range(2):  # two pointers for each recipient in the one sweep
        raise_one(uow_factory, clock, d, key=f"lanes-{n}")
    due = _states(uow_factory)["pending"]
    chat = SlowNotifier()
    report = deliver_due(
        uow_factory, {Platform.PLAYGROUND: chat}, minter, clock, OutboxPolicy(senders=4)
    )
    assert (report.claimed, report.sent) == (due, due)
    assert len({p.idempotency_key for p in chat.sent}) == len(chat.sent) == due  # each once
    assert chat.most_at_once > 1
    assert chat.most_for_one_recipient == 1
    assert _states(uow_factory) == Counter({"sent": due})


def test_one_sender_sends_one_pointer_at_a_time(
    uow_factory: UowFactory, clock: FakeClock, minter: FakeMinter
) -> None:
    d = seed_directory(uow_factory, clock.now())
    raise_one(uow_factory, clock, d)
    chat = SlowNotifier()
    report = deliver_due(uow_factory, {Platform.PLAYGROUND: chat}, minter, clock)
    assert report.sent == len(chat.sent) > 1
    assert chat.most_at_once == 1


def test_a_commit_that_queues_pointers_rings_and_one_that_does_not_stays_quiet(
    uow_factory: UowFactory, engine: Engine, ring: KeyRing, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    rings: list[int] = []
    sessions = session_factory(engine)

    def rung() -> None:
        rings.append(1)

    def belled() -> UnitOfWork:
        return UnitOfWork(sessions, ring, on_outbox=rung)

    with belled() as uow:  # a change with no pointer
        person = uow.directory.practitioner(d.people["amara"])
        assert person is not None
        person.email = "amara.new@oakfield.invalid"
        uow.commit()
    assert rings == []
    raise_one(belled, clock, d)
    assert rings == [1]


def test_a_raise_in_the_workers_process_is_sent_long_before_the_next_tick(
    engine: Engine, ring: KeyRing, clock: FakeClock
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    settings = load_settings(
        env="test", database_url=url, master_keys="unused", outbox_interval_seconds=60
    )
    runtime = Runtime(settings=settings, engine=engine, sessions=session_factory(engine), ring=ring)
    chat = FakeNotifier()
    runtime.notifiers[Platform.PLAYGROUND] = chat
    d = seed_directory(runtime.uow, clock.now())
    scheduler = Scheduler(runtime, sweeps=False)
    scheduler.start()
    try:
        time.sleep(0.5)  # the drain at start has run and found nothing; the next tick is 60 s off
        assert chat.sent == []
        raise_one(runtime.uow, clock, d)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _states(runtime.uow)["sent"] == 0:
            time.sleep(0.02)
    finally:
        scheduler.stop()
    states = _states(runtime.uow)
    assert states["sent"] > 1 and states["pending"] == 0
    assert len(chat.sent) == states["sent"]
