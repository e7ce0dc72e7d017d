"""`flare keys generate|rotate|status` against the store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select

from handlers.concern.viewing import view_concern
from store.crypto import KeyRing, generate_master_key_spec
from store.db import session_factory
from store.keys import rewrap_batches
from store.models import AuditEvent
from store.unit_of_work import UnitOfWork
from tests.cli.conftest import Flare
from tests.conftest import FakeClock, UowFactory
from tests.directory import Directory, seed_directory
from tests.store.flows import Texts, raise_full


def test_generate_prints_only_a_usable_spec(flare: Flare) -> None:
    result = flare("keys", "generate", "--kid", "k2026")
    assert result.exit_code == 0
    spec = result.stdout.strip()
    assert spec.startswith("k2026:") and len(result.stdout.splitlines()) == 1
    assert KeyRing.parse(spec).active_kid == "k2026"
    assert "FLARE_MASTER_KEYS" in result.stderr and "flare keys rotate" in result.stderr
    assert flare("keys", "generate").stdout != flare("keys", "generate").stdout


def test_generate_refuses_a_bad_key_id(flare: Flare) -> None:
    result = flare("keys", "generate", "--kid", "no spaces please")
    assert result.exit_code == 2 and "--kid" in result.stderr


@pytest.fixture
def concern(uow_factory: UowFactory, clock: FakeClock) -> tuple[Directory, str]:
    d = seed_directory(uow_factory, clock.now())
    return d, raise_full(uow_factory, d, clock)


def _status(flare: Flare, keys: str) -> dict[str, tuple[int, str]]:
    result = flare("keys", "status", keys=keys)
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    return {kid: (int(count), note) for kid, count, note in rows}


def test_rotate_then_drop_the_old_key(
    flare: Flare, engine: Engine, master_spec: str, clock: FakeClock, concern: tuple[Directory, str]
) -> None:
    d, concern_id = concern
    new_spec = generate_master_key_spec("k2")
    both = f"{new_spec},{master_spec}"
    before = _status(flare, both)
    assert before["k2"] == (0, "active") and before["test1"][1] == "in ring"
    live = before["test1"][0]

    result = flare("keys", "rotate", "--batch", "2", keys=both)
    assert result.exit_code == 0, result.output
    assert f"re-wrapped {live} data keys; {live} live data keys are under" in result.stdout
    assert "no data key uses test1; it can leave the ring" in result.stdout
    assert _status(flare, new_spec) == {"k2": (live, "active")}
    again = flare("keys", "rotate", keys=both)
    assert "re-wrapped 0 data keys" in again.stdout

    sessions = session_factory(engine)
    new_only = KeyRing.parse(new_spec)
    view = view_concern(
        UnitOfWork(sessions, new_only),
        concern_id=concern_id,
        practitioner_id=d.people["chloe"],
        clock=clock,
    )
    assert view.rationale == Texts().rationale
    with sessions() as session:
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "keys.rotated"))
        assert [e.detail["rewrapped"] for e in audit] == [live]


def test_rotate_continues_an_interrupted_run(
    flare: Flare, engine: Engine, master_spec: str, concern: tuple[Directory, str]
) -> None:
    new_spec = generate_master_key_spec("k2")
    both = f"{new_spec},{master_spec}"
    live = _status(flare, both)["test1"][0]
    batches = rewrap_batches(session_factory(engine), KeyRing.parse(both), batch=1)
    next(batches)
    batches.close()  # as if the first run was stopped after one batch
    result = flare("keys", "rotate", keys=both)
    assert result.exit_code == 0
    assert f"re-wrapped {live - 1} data keys; {live} live data keys" in result.stdout


def test_a_key_missing_from_the_ring_is_named(flare: Flare, concern: tuple[Directory, str]) -> None:
    other = generate_master_key_spec("k3")
    status = flare("keys", "status", keys=other)
    assert status.exit_code == 1
    assert "test1" in status.stdout and "MISSING" in status.stdout
    assert "wrapped by test1, which FLARE_MASTER_KEYS does not hold" in status.stderr
    rotate = flare("keys", "rotate", keys=other)
    assert rotate.exit_code == 1
    assert "master key 'test1' is not in the ring" in rotate.stderr
    assert "run `flare keys rotate` again" in rotate.stderr
    assert other.split(":")[1] not in rotate.output


def test_ctrl_c_during_rotation_keeps_what_was_done(
    flare: Flare,
    engine: Engine,
    master_spec: str,
    concern: tuple[Directory, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import store.keys

    real = store.keys.rewrap_batches

    def interrupted(*args: Any, **kwargs: Any) -> Iterator[int]:
        batches = real(*args, **kwargs)
        yield next(batches)
        batches.close()
        raise KeyboardInterrupt

    monkeypatch.setattr(store.keys, "rewrap_batches", interrupted)
    both = f"{generate_master_key_spec('k2')},{master_spec}"
    live = _status(flare, both)["test1"][0]
    result = flare("keys", "rotate", "--batch", "1", keys=both)
    assert result.exit_code == 130
    assert result.stderr.strip().endswith(
        f"interrupted after 1 of {live}; run `flare keys rotate` again"
    )
    assert _status(flare, both)["k2"][0] == 1
    with session_factory(engine)() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "keys.rotated")).one()
        assert event.detail["complete"] is False and event.detail["rewrapped"] == 1
