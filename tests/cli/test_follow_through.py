"""`flare retention run [--dry-run]`, the Scheduler (serve and worker run it), metrics."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select

from bot import metrics
from bot.config import load_settings
from bot.runtime import Runtime
from bot.scheduler import Scheduler
from handlers.follow_through.acknowledge import acknowledge
from handlers.ports import RetryLater
from handlers.values import Platform, Severity
from store.crypto import KeyRing
from store.db import session_factory
from store.models import AuditEvent, Concern, DataKey, InboundEvent, OutboxMessage
from tests.advice import ask, set_advisers
from tests.cli.conftest import Flare
from tests.conftest import FakeClock, UowFactory
from tests.directory import Directory, seed_directory
from tests.fakes import FakeNotifier
from tests.follow.flows import close_one, raise_one


def _old_closed_concern(uow_factory: UowFactory, d: Directory, key: str) -> str:
    """Raised and closed by the lead in 2019, through the use cases (the CLI runs on today)."""
    then = FakeClock(datetime(2019, 1, 1, tzinfo=UTC))
    concern_id = raise_one(uow_factory, then, d, key=key)
    close_one(uow_factory, then, d, concern_id)
    return concern_id


def test_retention_dry_run_then_real_run(
    flare: Flare, uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    old = [_old_closed_concern(uow_factory, d, f"k{n}") for n in range(3)]
    raise_one(uow_factory, clock, d, key="open")  # open: never due, whatever its age

    dry = flare("retention", "run", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "riverside-cc: 3 due" in dry.stdout and "3 concerns would be shredded" in dry.stdout
    with uow_factory() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Concern)) == 4

    real = flare("retention", "run", "--batch", "2")
    assert real.exit_code == 0, real.output
    assert "3 concerns shredded, 3 deleted" in real.stdout
    assert "shredding 3 concerns" in real.output  # the progress bar's label
    with uow_factory() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Concern)) == 1
        assert not uow.session.scalars(select(Concern).where(Concern.id.in_(old))).all()
        assert uow.session.scalar(select(func.count()).select_from(DataKey).where(
            DataKey.purpose == "concern")) == 1  # fmt: skip
    verify = flare("audit", "verify")
    assert verify.exit_code == 0, verify.output
    again = flare("retention", "run", "--dry-run")
    assert "0 concerns would be shredded" in again.stdout


def test_retention_hold_and_release_keep_a_client_from_the_sweep(
    flare: Flare, uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    held = _old_closed_concern(uow_factory, d, "held")  # about C-1001

    hold = flare("retention", "hold", "C-1001", "--by", "femi")
    assert hold.exit_code == 0, hold.output
    assert "client C-1001 is under a legal hold" in hold.stdout
    assert "is already under" in flare("retention", "hold", "C-1001").stdout
    run = flare("retention", "run")
    assert "0 concerns shredded" in run.stdout
    with uow_factory() as uow:
        assert uow.concerns.get(held) is not None

    release = flare("retention", "release", "C-1001", "--by", "femi")
    assert release.exit_code == 0 and "is not under a legal hold" in release.stdout
    assert "1 concerns shredded, 1 deleted" in flare("retention", "run").stdout
    unknown = flare("retention", "hold", "C-4040")
    assert unknown.exit_code == 1 and "no client with the reference 'C-4040'" in unknown.output
    nobody = flare("retention", "hold", "C-1001", "--by", "nobody")
    assert nobody.exit_code == 1 and "no active practitioner" in nobody.output
    with uow_factory() as uow:
        assert uow.concerns.get(held) is None
        assert [e.action for e in uow.session.scalars(select(AuditEvent).where(
            AuditEvent.action.like("client.legal_hold_%")).order_by(AuditEvent.seq))] == [
            "client.legal_hold_set", "client.legal_hold_released"]  # fmt: skip
    assert flare("audit", "verify").exit_code == 0


def test_retention_run_forgets_an_expired_unsent_advice_draft_as_the_sweep_does(
    flare: Flare, uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    set_advisers(uow_factory, "riverside-cc", lead="ben")
    expired = ask(uow_factory, FakeClock(datetime(2019, 1, 1, tzinfo=UTC)), d, "old").request_id
    fresh = ask(uow_factory, FakeClock(datetime.now(UTC)), d, "new").request_id  # never sent
    with uow_factory() as uow:
        request = uow.advice.get(expired)
        assert request is not None and request.data_key_id is not None
        key_id = request.data_key_id

    run = flare("retention", "run")
    assert run.exit_code == 0, run.output
    assert "0 concerns shredded, 0 deleted, 1 unsent advice drafts forgotten" in run.stdout
    with uow_factory() as uow:
        assert uow.advice.get(expired) is None
        assert uow.session.get(DataKey, key_id) is None  # its sealed draft is gone for good
        assert uow.advice.get(fresh) is not None
        assert uow.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "advice.forgotten")) == 1  # fmt: skip
    assert flare("audit", "verify").exit_code == 0
    assert "0 unsent advice drafts forgotten" in flare("retention", "run").stdout


def _runtime(engine: Engine, ring: KeyRing, **settings: object) -> Runtime:
    url = engine.url.render_as_string(hide_password=False)
    values = {"env": "test", "database_url": url, "master_keys": "unused", **settings}
    return Runtime(
        settings=load_settings(**values),
        engine=engine,
        sessions=session_factory(engine),
        ring=ring,
    )


def test_scheduler_delivers_and_escalates_then_stops(
    engine: Engine, ring: KeyRing, uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    with uow_factory() as uow:
        org = uow.directory.organisation_by_ref("riverside-cc")
        assert org is not None
        org.policy = {"deadlines": {"immediate": "0h"}}  # due as soon as it is raised
        uow.commit()
    concern_id = raise_one(uow_factory, clock, d, severity=Severity.IMMEDIATE)
    with uow_factory() as uow:  # a de-dup key from last month, for the inbound_keys sweep
        uow.session.add(
            InboundEvent(platform="slack", key="old", received_at=datetime.now(UTC) - timedelta(30))
        )
        uow.commit()

    def _forgotten() -> bool:
        return _count_old(uow_factory) == 0

    runtime = _runtime(engine, ring, outbox_interval_seconds=0.05, sweep_interval_seconds=0.05)
    chat = FakeNotifier()
    runtime.notifiers[Platform.PLAYGROUND] = chat
    scheduler = Scheduler(runtime)
    scheduler.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            kinds = {p.kind.value for p in chat.sent}
            if {"new_concern", "escalation", "escalated_receipt"} <= kinds and _forgotten():
                break
            time.sleep(0.05)
    finally:
        scheduler.stop()
    assert {"new_concern", "escalation", "escalated_receipt"} <= {p.kind.value for p in chat.sent}
    with uow_factory() as uow:
        escalated = uow.session.get(Concern, concern_id)
        assert escalated is not None and escalated.escalation_level >= 1
    assert _forgotten()  # the inbound_keys sweep deleted the month-old key


def _count_old(uow_factory: UowFactory) -> int:
    with uow_factory() as uow:
        return (
            uow.session.scalar(
                select(func.count()).select_from(InboundEvent).where(InboundEvent.key == "old")
            )
            or 0
        )


def test_metrics_show_outbox_escalations_and_acknowledgement_latency(
    engine: Engine, ring: KeyRing, uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    raise_one(uow_factory, clock, d, key="a")
    acked = raise_one(uow_factory, clock, d, key="b")
    with uow_factory() as uow:
        concern = uow.session.get(Concern, acked)
        assert concern is not None
        concern.created_at = datetime.now(UTC) - timedelta(minutes=30)
        row = uow.session.scalars(select(OutboxMessage)).first()
        assert row is not None
        row.state, row.attempts = "dead", 8
        uow.commit()
    acknowledge(uow_factory(), concern_id=acked, practitioner_id=d.people["chloe"], clock=_Now())
    with uow_factory() as uow:
        concern = uow.session.get(Concern, acked)
        assert concern is not None
        concern.escalation_level = 1
        uow.commit()
    with uow_factory() as uow:
        waiting = uow.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == "pending")
        )
    assert waiting == 5 + 3  # 6 pointers, one dead; the receipt and 2 "acknowledged" edits
    text = metrics.render(_runtime(engine, ring)).decode()
    assert "flare_outbox_depth 8.0" in text
    assert 'flare_outbox_attempts{state="dead"} 8.0' in text
    assert "flare_outbox_dead_letters 1.0" in text
    assert 'flare_escalations{level="1"} 1.0' in text
    assert 'flare_acknowledgement_latency_seconds_bucket{le="900.0"} 0.0' in text
    assert 'flare_acknowledgement_latency_seconds_bucket{le="3600.0"} 1.0' in text
    assert "flare_acknowledgement_latency_seconds_count 1.0" in text


class _Now:
    def now(self) -> datetime:
        return datetime.now(UTC)


def test_outbox_sweep_resumes_when_a_platform_pause_ends_before_the_next_tick(
    engine: Engine, ring: KeyRing, uow_factory: UowFactory, clock: FakeClock
) -> None:
    """A 429 pauses the platform; the sweep waits out a short pause instead of the next tick."""
    d = seed_directory(uow_factory, clock.now())
    raise_one(uow_factory, clock, d)
    runtime = _runtime(engine, ring, outbox_interval_seconds=30)
    chat = FakeNotifier(failures=[RetryLater("rate limited", after=0.4)])
    runtime.notifiers[Platform.PLAYGROUND] = chat
    with uow_factory() as uow:
        due = uow.session.scalar(select(func.count()).select_from(OutboxMessage))
    assert due is not None
    started = time.monotonic()
    Scheduler(runtime, sweeps=False)._drain_outbox()
    # The rows held back by the pause went out in this one wake-up (the row that met the 429
    # goes back unsent, due again after its Retry-After, so it may go out in the same drain).
    assert len(chat.sent) >= due - 1 >= 1
    assert 0.4 <= time.monotonic() - started < 10


def test_outbox_sweep_leaves_a_long_pause_to_a_later_tick(
    engine: Engine, ring: KeyRing, uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    raise_one(uow_factory, clock, d)
    runtime = _runtime(engine, ring, outbox_interval_seconds=1)
    chat = FakeNotifier(failures=[RetryLater("rate limited", after=30)])
    runtime.notifiers[Platform.PLAYGROUND] = chat
    started = time.monotonic()
    Scheduler(runtime, sweeps=False)._drain_outbox()
    assert time.monotonic() - started < 5  # it did not sit out a 30-second Retry-After
    assert chat.sent == []  # the platform is paused: the rest waits for a later tick
