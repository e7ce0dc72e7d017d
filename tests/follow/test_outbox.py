"""The outbox: backoff with jitter under Retry-After, dead letters with one admin alert."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from handlers.outbox.delivery import DeliveryReport, OutboxPolicy, deliver_due
from handlers.outbox.throttle import Throttle
from handlers.ports import Undeliverable
from handlers.values import Platform, PointerKind
from store.models import Link, OutboxMessage
from tests.conftest import FakeClock, FakeMinter, UowFactory
from tests.directory import seed_directory
from tests.fakes import FakeNotifier, retry
from tests.follow.flows import raise_one


@given(attempts=st.integers(1, 40), after=st.none() | st.floats(0, 3600))
def test_backoff_is_jittered_exponential_and_never_before_retry_after(
    attempts: int, after: float | None
) -> None:
    policy = OutboxPolicy()
    ceiling = min(policy.max_backoff, policy.base_backoff * 2 ** (attempts - 1))
    wait = policy.backoff(attempts, after)
    assert wait >= (after or 0.0)
    assert wait >= ceiling / 2
    assert wait <= max(ceiling, after or 0.0)


def _rows(uow_factory: UowFactory, kind: str) -> list[tuple[str, str, int]]:
    with uow_factory() as uow:
        return [
            (r.recipient_id, r.state, r.attempts)
            for r in uow.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind))
        ]


def test_dead_letter_after_max_attempts_alerts_the_admin_once(
    uow_factory: UowFactory, clock: FakeClock, minter: FakeMinter
) -> None:
    d = seed_directory(uow_factory, clock.now())
    with uow_factory() as uow:
        for ref in ("chloe", "ben"):
            admin = uow.directory.practitioner(d.people[ref])
            assert admin is not None
            admin.is_admin = True
        uow.commit()
    raise_one(uow_factory, clock, d, recipients=None)
    policy = OutboxPolicy(max_attempts=3)
    chat = FakeNotifier(failures=[retry()] * 9)  # three rows fail three times
    throttle = Throttle()
    for _ in range(3):
        deliver_due(uow_factory, {Platform.PLAYGROUND: chat}, minter, clock, policy, throttle)
        clock.advance(seconds=policy.max_backoff + 1)
    assert {state for _r, state, _a in _rows(uow_factory, "new_concern")} == {"dead"}
    assert {a for _r, _s, a in _rows(uow_factory, "new_concern")} == {3}
    alerts = _rows(uow_factory, "admin_alert")
    # chloe (lead, oakfield), erin (council: no admin), dev (oakfield): two alerts to chloe
    assert sorted(r for r, _s, _a in alerts) == [d.people["chloe"]] * 2
    chat.failures = [Undeliverable("app removed")] * 2
    deliver_due(uow_factory, {Platform.PLAYGROUND: chat}, minter, clock, policy, throttle)
    assert {s for _r, s, _a in _rows(uow_factory, "admin_alert")} == {"dead"}
    assert len(_rows(uow_factory, "admin_alert")) == 2  # no alert about an alert
    assert not [p for p in chat.sent if p.kind is PointerKind.NEW_CONCERN]


def _links(uow_factory: UowFactory) -> int:
    with uow_factory() as uow:
        return len(uow.session.scalars(select(Link)).all())


def test_a_rate_limited_platform_gets_a_few_claims_a_sweep_and_none_while_paused(
    uow_factory: UowFactory, clock: FakeClock, minter: FakeMinter
) -> None:
    d = seed_directory(uow_factory, clock.now())
    for n in range(3):
        raise_one(uow_factory, clock, d, key=f"quota-{n}")
    due = len(_rows(uow_factory, "new_concern"))
    assert due > 4
    chat = FakeNotifier(failures=[retry(after=5)])  # the first send is answered 429
    throttle, policy = Throttle(probe=2), OutboxPolicy()

    notifiers = {Platform.PLAYGROUND: chat}

    def sweep() -> DeliveryReport:
        return deliver_due(uow_factory, notifiers, minter, clock, policy, throttle)

    first = sweep()  # the 429's row and the rest are handed back, no attempt counted
    assert (first.claimed, first.sent, first.deferred, first.retried) == (due, 0, due, 0)
    minted = _links(uow_factory)
    paused = sweep()  # Retry-After has not passed: nothing claimed, no link minted
    assert (paused.claimed, paused.deferred, _links(uow_factory)) == (0, 0, minted)
    clock.advance(seconds=6)
    probe = sweep()  # the limit is near: only two rows, and the worker may sweep again
    assert (probe.claimed, probe.sent, probe.deferred, probe.quota_full) == (2, 2, 0, True)
    assert _links(uow_factory) == minted + 2
    clock.advance(seconds=31)  # long enough without a 429: the whole batch again
    rest = sweep()
    assert (rest.claimed, rest.sent, rest.quota_full) == (due - 2, due - 2, False)
    assert {(state, a) for _r, state, a in _rows(uow_factory, "new_concern")} == {("sent", 1)}
    assert len(chat.sent) == due  # every pointer once
