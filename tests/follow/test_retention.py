"""Retention: dry run vs real run; shredded concerns cannot be decrypted; the audit verifies."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from handlers.concern.viewing import Unreadable, view_concern
from handlers.retention.concerns import retention_due, run_retention
from store import audit
from store.crypto import CryptoError, FieldCipher
from store.models import AuditEvent, Concern, ConcernEntry, DataKey, Delivery, Link, OutboxMessage
from store.sealed import ConcernField
from tests.conftest import FakeClock, UowFactory
from tests.directory import seed_directory
from tests.follow.flows import CANARY, close_one, raise_one


def _count(uow_factory: UowFactory, model: Any, **where: object) -> int:
    with uow_factory() as uow:
        stmt = select(func.count()).select_from(model)
        for name, value in where.items():
            stmt = stmt.where(getattr(model, name) == value)
        return uow.session.scalar(stmt) or 0


def test_dry_run_then_real_run(uow_factory: UowFactory, clock: FakeClock, engine: Engine) -> None:
    d = seed_directory(uow_factory, clock.now())
    old = raise_one(uow_factory, clock, d, key="old")
    kept_open = raise_one(uow_factory, clock, d, key="open")
    recent = raise_one(uow_factory, clock, d, key="recent")
    with uow_factory() as uow:
        org = uow.directory.organisation_by_ref("riverside-cc")
        assert org is not None
        org.retention_days = 365
        concern = uow.session.get(Concern, old)
        assert concern is not None and concern.data_key_id is not None
        saved_key = concern.data_key_id
        entry_ct = uow.concerns.entries(old)[0].body_ct
        assert entry_ct is not None
        assert uow.sealed.concern(concern).open(ConcernField.RATIONALE)
        uow.commit()
    close_one(uow_factory, clock, d, old)
    clock.advance(days=200)
    close_one(uow_factory, clock, d, recent)
    clock.advance(days=200)

    before = _count(uow_factory, AuditEvent)
    dry = {c.organisation: c.due for c in retention_due(uow_factory, clock)}
    assert dry == {"riverside-cc": 1, "oakfield-primary": 0, "council-cs": 0}
    assert _count(uow_factory, AuditEvent) == before  # a dry run changes nothing
    assert _count(uow_factory, Concern) == 3

    reports = list(run_retention(uow_factory, clock))
    assert sum(r.shredded for r in reports) == 1 and sum(r.deleted for r in reports) == 1
    assert _count(uow_factory, Concern, id=old) == 0
    for model in (ConcernEntry, Delivery, OutboxMessage):
        assert _count(uow_factory, model, concern_id=old) == 0
    assert _count(uow_factory, DataKey, id=saved_key) == 0
    assert _count(uow_factory, Link) == 0
    assert {c.organisation: c.due for c in retention_due(uow_factory, clock)}["riverside-cc"] == 0
    assert _count(uow_factory, Concern) == 2 and kept_open and recent

    with uow_factory() as uow:
        with pytest.raises(CryptoError):  # the key is gone: the old ciphertext is noise now
            uow.vault.data_key(saved_key)
        with pytest.raises(CryptoError):  # and no other key opens it
            FieldCipher(bytes(32), "concern_entries", old).open("body", entry_ct)
        tombstones = uow.audit_events(old, action="concern.shredded")
        assert len(tombstones) == 1 and CANARY not in str(tombstones[0].detail)
        assert uow.audit_events(old, action="concern.raised")  # earlier events remain
        result = audit.verify(uow.session)
        assert result.ok, result
    if engine.dialect.name == "sqlite":
        raw = engine.url.database
        assert raw is not None
        with open(raw, "rb") as fh:  # secure_delete: the plaintext was never there, nor the key
            assert CANARY.encode() not in fh.read()


def test_crash_between_shred_and_delete_is_finished_by_a_rerun(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    concern_id = raise_one(uow_factory, clock, d)
    close_one(uow_factory, clock, d, concern_id)
    clock.advance(days=7 * 365)
    runs = run_retention(uow_factory, clock, batch=1)
    with uow_factory() as uow:  # simulate phase 1 only: shred, commit, then "crash"
        concern = uow.session.get(Concern, concern_id)
        assert concern is not None and concern.data_key_id is not None
        uow.vault.shred(concern.data_key_id)
        concern.shredded_at = clock.now()
        uow.commit()
    with pytest.raises(Unreadable):
        view_concern(
            uow_factory(), concern_id=concern_id, practitioner_id=d.people["chloe"], clock=clock
        )
    reports = list(runs)
    assert sum(r.deleted for r in reports) == 1 and sum(r.shredded for r in reports) == 0
    assert _count(uow_factory, Concern) == 0
    with uow_factory() as uow:
        assert audit.verify(uow.session).ok
