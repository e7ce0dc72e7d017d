"""The lead closes a concern with an outcome, and may reopen it; everyone it reached is told.

Who may is `handlers.acknowledge_rule.may_close` / `may_reopen`; this is what closing does.
Closing records the outcome (a closed set, `handlers.values.Outcome`) and, for "other", a
note sealed under the concern's data key; retention counts from `closed_at`. Reopening
clears them, so a reopened concern is no longer due for retention. Either way the raiser and
everyone the concern was delivered to (but the lead who did it) get a pointer that says only
that it was closed or reopened. The audit keeps ids and the outcome, never the note.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.acknowledge_rule import may_close, may_reopen
from handlers.invalid import MAX_TEXT, Invalid
from handlers.outbox.delivery import enqueue_pointer
from handlers.ports import Clock
from handlers.values import ConcernStatus, Outcome, PointerKind
from store.models import Concern, new_id
from store.sealed import ConcernField
from store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class CloseConcern:
    """What a surface parsed: who closes which concern, with which outcome (raw) and note."""

    concern_id: str
    practitioner_id: str
    outcome: str
    note: str = ""
    via: str = "web"


@dataclass(frozen=True)
class Closed:
    concern_id: str
    outcome: Outcome
    at: datetime


@dataclass(frozen=True)
class AlreadyClosed:
    concern_id: str
    outcome: Outcome | None


@dataclass(frozen=True)
class Reopened:
    concern_id: str
    at: datetime


@dataclass(frozen=True)
class NotOpen:
    """Reopen asked of a concern that is not closed: nothing to do."""

    concern_id: str


@dataclass(frozen=True)
class NotAllowed:
    concern_id: str


CloseOutcome = Closed | AlreadyClosed | NotAllowed | Invalid
ReopenOutcome = Reopened | NotOpen | NotAllowed


def parse_outcome(raw: str) -> Outcome | None:
    """The outcome a form or chat payload named, or None when it names none of them."""
    try:
        return Outcome(raw.strip())
    except ValueError:
        return None


def check_closing(outcome: str, note: str) -> Outcome | Invalid:
    """The outcome, or what to correct: an outcome from the list; a note for "other" only."""
    chosen = parse_outcome(outcome)
    if chosen is None:
        return Invalid({"outcome": "Choose how the concern was resolved"})
    if chosen.needs_note and not note.strip():
        return Invalid({"note": "Say what the outcome was"})
    if chosen.needs_note and len(note) > MAX_TEXT:
        return Invalid({"note": f"The note must be {MAX_TEXT} characters or fewer"})
    return chosen


def close_concern(uow: UnitOfWork, command: CloseConcern, *, clock: Clock) -> CloseOutcome:
    """Close a concern with an outcome; the raiser and recipients are told by a pointer."""
    with uow:
        concern = uow.concerns.get(command.concern_id)
        if concern is None:
            return NotAllowed(command.concern_id)
        now = clock.now()
        if concern.status == ConcernStatus.CLOSED and may_reopen(
            uow, concern, command.practitioner_id
        ):
            outcome = parse_outcome(concern.outcome or "")
            return AlreadyClosed(concern.id, outcome)
        if not may_close(uow, concern, command.practitioner_id):
            _refused(uow, concern, command.practitioner_id, "close", command.via, now)
            return NotAllowed(concern.id)
        chosen = check_closing(command.outcome, command.note)
        if isinstance(chosen, Invalid):
            return chosen
        concern.status = ConcernStatus.CLOSED.value
        concern.closed_at = now
        concern.outcome = chosen.value
        concern.outcome_note_ct = None
        if chosen.needs_note and concern.data_key_id is not None:
            uow.sealed.concern(concern).seal(ConcernField.OUTCOME_NOTE, command.note.strip())
        told = _tell(uow, concern, command.practitioner_id, PointerKind.CONCERN_CLOSED, now)
        uow.audit(
            "concern.closed",
            at=now,
            actor_id=command.practitioner_id,
            concern_id=concern.id,
            detail={"via": command.via, "outcome": chosen.value, "told": told},
        )
        uow.commit()
        return Closed(concern.id, chosen, now)


def reopen_concern(
    uow: UnitOfWork, *, concern_id: str, practitioner_id: str, clock: Clock, via: str = "web"
) -> ReopenOutcome:
    """Reopen a closed concern: back to acknowledged (or open), no longer due for retention."""
    with uow:
        concern = uow.concerns.get(concern_id)
        if concern is None:
            return NotAllowed(concern_id)
        now = clock.now()
        if concern.status != ConcernStatus.CLOSED and may_close(uow, concern, practitioner_id):
            return NotOpen(concern.id)
        if not may_reopen(uow, concern, practitioner_id):
            _refused(uow, concern, practitioner_id, "reopen", via, now)
            return NotAllowed(concern.id)
        previous = concern.outcome
        concern.status = (
            ConcernStatus.ACKNOWLEDGED.value
            if concern.acknowledged_at is not None
            else ConcernStatus.OPEN.value
        )
        concern.closed_at = None
        concern.outcome = None
        concern.outcome_note_ct = None
        told = _tell(uow, concern, practitioner_id, PointerKind.CONCERN_REOPENED, now)
        uow.audit(
            "concern.reopened",
            at=now,
            actor_id=practitioner_id,
            concern_id=concern.id,
            detail={"via": via, "previous_outcome": previous, "told": told},
        )
        uow.commit()
        return Reopened(concern.id, now)


def outcome_note(uow: UnitOfWork, concern: Concern) -> str:
    """The sealed note of an "other" outcome, opened for a reader the caller has checked."""
    if concern.outcome_note_ct is None or concern.data_key_id is None:
        return ""
    return uow.sealed.concern(concern).open(ConcernField.OUTCOME_NOTE)


def _tell(
    uow: UnitOfWork, concern: Concern, actor_id: str, kind: PointerKind, now: datetime
) -> int:
    """A pointer to the raiser and every recipient but the actor; how many were queued."""
    event = new_id()
    told = 0
    for delivery in uow.concerns.deliveries(concern.id):
        if delivery.recipient_id == actor_id:
            continue
        enqueue_pointer(uow, delivery, kind, key=f"{kind.value}:{event}:{delivery.id}", at=now)
        told += 1
    return told


def _refused(
    uow: UnitOfWork, concern: Concern, actor_id: str, what: str, via: str, now: datetime
) -> None:
    uow.audit(
        f"concern.{what}_refused",
        at=now,
        actor_id=actor_id,
        concern_id=concern.id,
        detail={"via": via, "status": concern.status},
    )
    uow.commit()
