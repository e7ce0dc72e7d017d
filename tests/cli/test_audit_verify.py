"""`flare audit verify`: a clean chain passes; every kind of tampering names the first bad event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.sql import Executable

from store.models import AuditEvent, AuditHead
from tests.cli.conftest import Flare
from tests.conftest import UowFactory

AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def chain(uow_factory: UowFactory) -> UowFactory:
    """Six audit events, as handlers write them."""
    with uow_factory() as uow:
        for n in range(6):
            uow.audit(
                "concern.viewed",
                at=AT + timedelta(minutes=n),
                actor_id=f"{n:032x}",
                detail={"n": n},
            )
        uow.commit()
    return uow_factory


def _head(result_stdout: str) -> str:
    line = next(line for line in result_stdout.splitlines() if line.startswith("head "))
    return line.removeprefix("head ")


def _tamper(uow_factory: UowFactory, statement: Executable) -> None:
    with uow_factory() as uow:
        uow.session.execute(statement)
        uow.commit()


def test_clean_chain_passes_and_prints_its_head(flare: Flare, chain: UowFactory) -> None:
    result = flare("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "6 events checked" in result.stdout
    head = _head(result.stdout)
    with chain() as uow:
        stored = uow.session.get(AuditHead, 1)
        assert stored is not None
        assert head == f"6:{stored.hash}"
    assert flare("audit", "verify", "--checkpoint", head).exit_code == 0


def _broken_at(flare: Flare, *args: str) -> str:
    result = flare("audit", "verify", *args)
    assert result.exit_code == 1, result.output
    return result.stderr.strip().splitlines()[-1]


def test_edited_detail_is_found(flare: Flare, chain: UowFactory) -> None:
    _tamper(chain, update(AuditEvent).where(AuditEvent.seq == 3).values(detail={"n": 99}))
    assert _broken_at(flare).startswith("flare: audit chain broken at event 3: its contents")


def test_edited_action_is_found(flare: Flare, chain: UowFactory) -> None:
    _tamper(chain, update(AuditEvent).where(AuditEvent.seq == 5).values(action="concern.raised"))
    assert "broken at event 5" in _broken_at(flare)


def test_deleted_middle_row_is_found(flare: Flare, chain: UowFactory) -> None:
    _tamper(chain, delete(AuditEvent).where(AuditEvent.seq == 4))
    assert _broken_at(flare) == (
        "flare: audit chain broken at event 4: event 4 is missing (next is 5)"
    )


def test_altered_prev_hash_is_found(flare: Flare, chain: UowFactory) -> None:
    _tamper(chain, update(AuditEvent).where(AuditEvent.seq == 2).values(prev_hash="f" * 64))
    assert "broken at event 2: does not link" in _broken_at(flare)


def test_reordered_events_are_found(flare: Flare, chain: UowFactory) -> None:
    """Swap two events' contents (keeping seqs): the chain no longer links."""
    with chain() as uow:
        a, b = (uow.session.get(AuditEvent, seq) for seq in (2, 3))
        fields = ("at", "action", "actor_id", "detail", "prev_hash", "hash")
        values_a = {f: getattr(a, f) for f in fields}
        values_b = {f: getattr(b, f) for f in fields}
        uow.session.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(**values_b))
        uow.session.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(**values_a))
        uow.commit()
    assert "broken at event 2" in _broken_at(flare)


def test_truncated_tail_is_found_against_the_checkpoint(flare: Flare, chain: UowFactory) -> None:
    checkpoint = _head(flare("audit", "verify").stdout)
    # Cut the last two events and move the head back, so the chain alone looks whole.
    with chain() as uow:
        uow.session.execute(delete(AuditEvent).where(AuditEvent.seq > 4))
        event4 = uow.session.scalars(select(AuditEvent).where(AuditEvent.seq == 4)).one()
        uow.session.execute(update(AuditHead).values(seq=4, hash=event4.hash))
        uow.commit()
    assert flare("audit", "verify").exit_code == 0  # undetectable without a checkpoint
    line = _broken_at(flare, "--checkpoint", checkpoint)
    assert line == (
        "flare: audit chain broken at event 5: the chain ends before the checkpoint (event 6)"
    )


def test_truncated_tail_without_moving_the_head_is_found(flare: Flare, chain: UowFactory) -> None:
    _tamper(chain, delete(AuditEvent).where(AuditEvent.seq == 6))
    assert "the chain ends before the recorded head" in _broken_at(flare)


def test_rewritten_event_differs_from_checkpoint(flare: Flare, chain: UowFactory) -> None:
    checkpoint = _head(flare("audit", "verify").stdout)
    # A full rewrite from event 6 on: recompute its hash so the chain itself is consistent.
    with chain() as uow:
        from store.audit import event_hash

        event = uow.session.get(AuditEvent, 6)
        assert event is not None
        event.detail = {"n": 600}
        event.hash = event_hash(event)
        uow.session.execute(update(AuditHead).values(hash=event.hash))
        uow.commit()
    assert flare("audit", "verify").exit_code == 0
    assert "broken at event 6: does not match the checkpoint" in _broken_at(
        flare, "--checkpoint", checkpoint
    )


def test_malformed_checkpoint_is_a_usage_error(flare: Flare, chain: UowFactory) -> None:
    result = flare("audit", "verify", "--checkpoint", "nonsense")
    assert result.exit_code == 2 and "SEQ:HASH" in result.stderr


def _more_events(uow_factory: UowFactory, count: int) -> None:
    with uow_factory() as uow:
        for n in range(count):
            uow.audit("concern.viewed", at=AT + timedelta(hours=1, minutes=n), detail={"m": n})
        uow.commit()


def test_verify_from_a_checkpoint_walks_only_the_newer_events(
    flare: Flare, chain: UowFactory
) -> None:
    earlier = _head(flare("audit", "verify").stdout)
    _more_events(chain, 3)
    result = flare("audit", "verify", "--from", earlier)
    assert result.exit_code == 0, result.output
    assert "3 events checked after event 6" in result.stdout
    assert _head(result.stdout) == _head(flare("audit", "verify").stdout)


def test_verify_from_a_checkpoint_finds_tampering_after_it(flare: Flare, chain: UowFactory) -> None:
    earlier = _head(flare("audit", "verify").stdout)
    _more_events(chain, 3)
    _tamper(chain, update(AuditEvent).where(AuditEvent.seq == 8).values(detail={"m": 99}))
    assert "broken at event 8: its contents" in _broken_at(flare, "--from", earlier)


def test_verify_from_a_checkpoint_that_no_longer_matches_fails(
    flare: Flare, chain: UowFactory
) -> None:
    earlier = _head(flare("audit", "verify").stdout)
    _tamper(chain, update(AuditEvent).where(AuditEvent.seq == 6).values(hash="e" * 64))
    assert _broken_at(flare, "--from", earlier) == (
        "flare: audit chain broken at event 6: does not match the start you gave"
    )
    assert _broken_at(flare, "--from", "7:" + "a" * 64) == (
        "flare: audit chain broken at event 7: there is no event 7 to start from"
    )


def test_verify_from_the_genesis_walks_everything(flare: Flare, chain: UowFactory) -> None:
    result = flare("audit", "verify", "--from", "0:" + "0" * 64)
    assert result.exit_code == 0 and "6 events checked" in result.stdout


def test_malformed_start_is_a_usage_error(flare: Flare, chain: UowFactory) -> None:
    result = flare("audit", "verify", "--from", "6:short")
    assert result.exit_code == 2 and "--from" in result.stderr
