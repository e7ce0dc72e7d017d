"""The audit trail: one append-only, hash-chained row per event.

Appends lock the single `audit_head` row, so the chain stays linear with any number of
processes. `verify` recomputes every link; it detects edits, deletions and reordering. The
head it returns is the checkpoint an operator keeps outside the database to catch truncation.

On PostgreSQL the head is locked and moved only through the SECURITY DEFINER functions
`flare_audit_head()` and `flare_audit_advance(seq, hash)` (made by the migrations); the latter
refuses a head that does not extend the chain. So the application's role needs no UPDATE on
`audit_head` nor on `audit_events` (`flare db roles`). The head moves when the unit of work
commits (`settle`), after the transaction's events are written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from store.models import AuditEvent, AuditHead

GENESIS = "0" * 64


class Chained(Protocol):
    """What a link of the chain is made of: an AuditEvent, or a plain row of its table."""

    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def action(self) -> str: ...
    @property
    def actor_id(self) -> str | None: ...
    @property
    def concern_id(self) -> str | None: ...
    @property
    def subject(self) -> str | None: ...
    @property
    def detail(self) -> dict[str, Any]: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


def _canonical(event: Chained) -> bytes:
    body = {
        "seq": event.seq,
        "at": event.at.isoformat(timespec="microseconds"),
        "action": event.action,
        "actor": event.actor_id,
        "concern": event.concern_id,
        "subject": event.subject,
        "detail": event.detail,
        "prev": event.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def event_hash(event: Chained) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


@dataclass
class _Head:
    """The chain's head as this transaction sees it (PostgreSQL: moved by a function)."""

    seq: int
    hash: str
    moved: bool = False


def append(
    session: Session,
    *,
    action: str,
    at: datetime,
    actor_id: str | None = None,
    concern_id: str | None = None,
    subject: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    head = _locked_head(session)
    event = AuditEvent(
        seq=head.seq + 1,
        at=at.replace(microsecond=at.microsecond),
        action=action,
        actor_id=actor_id,
        concern_id=concern_id,
        subject=subject,
        detail=dict(detail or {}),
        prev_hash=head.hash,
    )
    event.hash = event_hash(event)
    session.add(event)
    head.seq, head.hash = event.seq, event.hash
    if isinstance(head, _Head):
        head.moved = True
    return event


def settle(session: Session) -> None:
    """Before commit: move the head to this transaction's newest event (PostgreSQL)."""
    cached = session.info.get("audit_head")
    if cached is None or cached[0] is not session.get_transaction():
        return
    head = cached[1]
    if isinstance(head, _Head) and head.moved:
        session.flush()
        session.execute(
            text("SELECT flare_audit_advance(:seq, :hash)"), {"seq": head.seq, "hash": head.hash}
        )
        head.moved = False


def _locked_head(session: Session) -> AuditHead | _Head:
    """The head row, locked once per transaction (later appends in it reuse the lock)."""
    transaction = session.get_transaction()
    cached = session.info.get("audit_head")
    if cached is not None and cached[0] is transaction:
        head: AuditHead | _Head = cached[1]
        return head
    if session.get_bind().dialect.name == "postgresql":
        row = session.execute(text("SELECT head_seq, head_hash FROM flare_audit_head()")).one()
        head = _Head(int(row[0]), str(row[1]))
    else:
        found = session.scalars(
            select(AuditHead).where(AuditHead.id == 1).with_for_update()
        ).one_or_none()
        if found is None:
            found = AuditHead(id=1, seq=0, hash=GENESIS)
            session.add(found)
            session.flush()  # a second process racing here fails on the primary key, not later
        head = found
    session.info["audit_head"] = (transaction, head)
    return head


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    broken_at: int | None = None
    reason: str | None = None


def _events(session: Session, after: int = 0, batch: int = 5000) -> Iterator[Chained]:
    """Plain rows, not ORM objects: verifying is read-only and walks millions of them."""
    table = AuditEvent.__table__
    last = after
    while True:
        rows = session.execute(
            select(table).where(table.c.seq > last).order_by(table.c.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify(
    session: Session, *, expect_head: str | None = None, start: str | None = None
) -> Verification:
    """Walk the chain; report the first broken link.

    `start` (SEQ:HASH, a head printed by an earlier run) begins the walk after that event
    instead of at the first one, so a verified past is not walked again; the event stored
    at SEQ must still carry HASH.
    """
    checkpoint = parse_checkpoint(expect_head)
    walk = _start_walk(session, parse_checkpoint(start))
    if isinstance(walk, Verification):
        return walk
    for event in _events(session, after=walk.expected_seq - 1):
        fault = _link_fault(event, walk, checkpoint)
        if fault is not None:
            at, reason = fault
            return Verification(False, walk.checked, at - 1, walk.prev_hash, at, reason)
        walk.prev_hash, walk.expected_seq = event.hash, walk.expected_seq + 1
        walk.checked += 1
    return _end_of_chain(session, walk, checkpoint)


@dataclass
class _Walk:
    """How far a walk has got: the last good event's hash, the next seq due, links checked."""

    prev_hash: str
    expected_seq: int
    checked: int = 0


def _start_walk(session: Session, begin: tuple[int, str] | None) -> _Walk | Verification:
    """Where the walk begins: the first event, or after a start the caller verified before."""
    if begin is not None and begin[0] > 0:
        stored = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == begin[0]))
        if stored != begin[1]:
            reason = (
                f"there is no event {begin[0]} to start from"
                if stored is None
                else "does not match the start you gave"
            )
            return Verification(False, 0, begin[0] - 1, "", begin[0], reason)
        return _Walk(begin[1], begin[0] + 1)
    if begin is not None and begin[1] != GENESIS:
        return Verification(False, 0, 0, GENESIS, 0, "the chain's start is 0:" + GENESIS)
    return _Walk(GENESIS, 1)


def _link_fault(
    event: Chained, walk: _Walk, checkpoint: tuple[int, str] | None
) -> tuple[int, str] | None:
    """Where and why this event breaks the chain (the seq it breaks at), or None."""
    if checkpoint and event.seq == checkpoint[0] and event.hash != checkpoint[1]:
        return event.seq, "does not match the checkpoint you gave"
    if event.seq != walk.expected_seq:
        return walk.expected_seq, f"event {walk.expected_seq} is missing (next is {event.seq})"
    if event.prev_hash != walk.prev_hash:
        return event.seq, "does not link to the event before it"
    if event_hash(event) != event.hash:
        return event.seq, "its contents were changed after it was written"
    return None


def _end_of_chain(
    session: Session, walk: _Walk, checkpoint: tuple[int, str] | None
) -> Verification:
    """The walk reached the last event: it must be the recorded head and the checkpoint."""
    last = walk.expected_seq - 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq, head.hash) != (last, walk.prev_hash):
        reason = f"the chain ends before the recorded head (event {head.seq})"
        return Verification(False, walk.checked, last, walk.prev_hash, last, reason)
    if checkpoint and checkpoint[0] > last:
        reason = f"the chain ends before the checkpoint (event {checkpoint[0]})"
        return Verification(False, walk.checked, last, walk.prev_hash, walk.expected_seq, reason)
    return Verification(True, walk.checked, last, walk.prev_hash)


def parse_checkpoint(text: str | None) -> tuple[int, str] | None:
    """A checkpoint is `seq:hash`, as printed by `flare audit verify`."""
    if not text:
        return None
    seq, sep, digest = text.partition(":")
    if not sep or not seq.isdigit() or len(digest) != 64:
        raise ValueError("a checkpoint is written SEQ:HASH")
    return int(seq), digest
