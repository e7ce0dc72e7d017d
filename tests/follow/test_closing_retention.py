"""Close -> the retention period passes -> the sweep (scheduled or `retention run`) shreds.

End to end through the use cases only: the lead closes through `close_concern`, the clock
moves, the Scheduler's retention sweep runs, and the sealed fields no longer open. A reopened
concern is no longer due; a client under a legal hold is never shredded while held.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from bot.config import load_settings
from bot.runtime import Runtime
from bot.scheduler import Scheduler
from handlers.concern.viewing import NoAccess, Unreadable, view_concern
from handlers.follow_through.closing import reopen_concern
from handlers.retention.concerns import retention_due, sweep_retention
from handlers.retention.legal_hold import HoldChanged, Unchanged, UnknownClient, set_legal_hold
from store import audit
from store.crypto import CryptoError, KeyRing
from store.db import session_factory
from store.models import AuditEvent
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock
from tests.directory import Directory, seed_directory
from tests.follow.flows import CANARY, close_one, raise_one

UowFactory = Callable[[], UnitOfWork]
PAST_RETENTION = timedelta(days=6 * 365 + 1)  # the default period is six years


def _sealed(uow_factory: UowFactory, concern_id: str) -> tuple[str, bytes, bytes]:
    """The concern's data key id and two of its sealed fields, read before the sweep."""
    with uow_factory() as uow:
        concern = uow.concerns.get(concern_id)
        assert concern is not None and concern.data_key_id is not None
        assert concern.rationale_ct is not None and concern.outcome_note_ct is not None
        return concern.data_key_id, concern.rationale_ct, concern.outcome_note_ct


def _due(uow_factory: UowFactory, clock: FakeClock) -> int:
    return sum(count.due for count in retention_due(uow_factory, clock))


def _hold(uow_factory: UowFactory, clock: FakeClock, held: bool, by: str | None = None) -> object:
    return set_legal_hold(
        uow_factory(), client_reference="C-1001", held=held, clock=clock, by_ref=by
    )


def _runtime(engine: Engine, ring: KeyRing, clock: FakeClock) -> Runtime:
    url = engine.url.render_as_string(hide_password=False)
    settings = load_settings(
        env="test",
        database_url=url,
        master_keys="unused",
        outbox_interval_seconds=30,
        sweep_interval_seconds=0.05,
    )
    runtime = Runtime(settings=settings, engine=engine, sessions=session_factory(engine), ring=ring)
    runtime.clock = clock  # type: ignore[assignment]  # the sweeps read the time from here
    return runtime


def _viewable(uow_factory: UowFactory, clock: FakeClock, d: Directory, concern_id: str) -> bool:
    try:
        view_concern(
            uow_factory(), concern_id=concern_id, practitioner_id=d.people["chloe"], clock=clock
        )
    except (NoAccess, Unreadable):  # deleted, or shredded and not yet deleted
        return False
    return True


def _gone(uow_factory: UowFactory, concern_id: str) -> bool:
    with uow_factory() as uow:
        return uow.concerns.get(concern_id) is None


def test_closed_then_shredded_by_the_scheduled_sweep_end_to_end(
    engine: Engine, ring: KeyRing, uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    concern_id = raise_one(uow_factory, clock, d)
    kept = raise_one(uow_factory, clock, d, key="kept")  # never closed: never due
    close_one(uow_factory, clock, d, concern_id, outcome="other", note=f"{CANARY} note")
    key_id, rationale_ct, note_ct = _sealed(uow_factory, concern_id)
    clock.advance(days=6 * 365 - 1)
    assert _due(uow_factory, clock) == 0  # not yet: it counts from closure
    clock.advance(days=2)
    assert _due(uow_factory, clock) == 1

    scheduler = Scheduler(_runtime(engine, ring, clock))
    scheduler.start()
    try:
        deadline = time.monotonic() + 20
        while not _gone(uow_factory, concern_id) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.stop()

    assert _gone(uow_factory, concern_id) and not _viewable(uow_factory, clock, d, concern_id)
    assert _viewable(uow_factory, clock, d, kept)
    with uow_factory() as uow:
        # The data key is gone, so the rationale and note ciphertexts kept aside (both were
        # sealed, line 42) can never be opened again.
        with pytest.raises(CryptoError):
            uow.vault.data_key(key_id)
        assert rationale_ct and note_ct
        (tombstone,) = uow.audit_events(concern_id, action="concern.shredded")
        assert tombstone.detail["status"] == "closed" and CANARY not in str(tombstone.detail)
        assert audit.verify(uow.session).ok


def test_a_reopened_concern_is_no_longer_due(uow_factory: UowFactory, clock: FakeClock) -> None:
    d = seed_directory(uow_factory, clock.now())
    concern_id = raise_one(uow_factory, clock, d)
    close_one(uow_factory, clock, d, concern_id)
    clock.advance(days=6 * 365 + 1)
    assert _due(uow_factory, clock) == 1
    reopened = reopen_concern(
        uow_factory(), concern_id=concern_id, practitioner_id=d.people["chloe"], clock=clock
    )
    assert reopened.__class__.__name__ == "Reopened"
    assert _due(uow_factory, clock) == 0
    assert sweep_retention(uow_factory, clock).shredded == 0
    assert _viewable(uow_factory, clock, d, concern_id)
    close_one(uow_factory, clock, d, concern_id)  # closed again: counts from this closure
    clock.advance(days=30)
    assert _due(uow_factory, clock) == 0


def test_a_held_client_is_not_shredded_until_the_hold_is_released(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    held = raise_one(uow_factory, clock, d)  # about C-1001
    other = raise_one(uow_factory, clock, d, raiser="dev", client="C-1002", key="other")
    close_one(uow_factory, clock, d, held)
    close_one(uow_factory, clock, d, other, by="erin")  # Erin leads C-1002
    assert isinstance(_hold(uow_factory, clock, True, by="femi"), HoldChanged)
    assert isinstance(_hold(uow_factory, clock, True), Unchanged)
    clock.advance(days=6 * 365 + 1)

    assert _due(uow_factory, clock) == 1
    report = sweep_retention(uow_factory, clock)
    assert (report.shredded, report.deleted) == (1, 1)  # C-1002's only
    assert _viewable(uow_factory, clock, d, held)
    assert not _viewable(uow_factory, clock, d, other)

    assert isinstance(_hold(uow_factory, clock, False, by="femi"), HoldChanged)
    assert sweep_retention(uow_factory, clock).shredded == 1
    assert not _viewable(uow_factory, clock, d, held)
    with uow_factory() as uow:
        events = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("client.legal_hold_%"))
        ).all()
        assert [(e.action, e.actor_id) for e in events] == [
            ("client.legal_hold_set", d.people["femi"]),
            ("client.legal_hold_released", d.people["femi"]),
        ]
        assert all(e.subject == d.clients["C-1001"] for e in events)


def test_a_hold_names_a_client_that_exists(uow_factory: UowFactory, clock: FakeClock) -> None:
    seed_directory(uow_factory, clock.now())
    outcome = set_legal_hold(uow_factory(), client_reference="C-9999", held=True, clock=clock)
    assert outcome == UnknownClient("C-9999")
