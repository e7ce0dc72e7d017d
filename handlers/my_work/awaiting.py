"""What is waiting for a practitioner: the one read model behind every surface.

The web inbox and home page, Slack's App Home and `/concern inbox`, the Teams `inbox` and the
daily digest all read `Awaiting`, so they cannot disagree about what waits for whom:

- **to acknowledge** — what `handlers.acknowledge_rule` says waits for this person, the
  earliest deadline first (the rule is asked here and nowhere else in this package);
- **follow-ups** — open follow-ups they own on a concern that can still be read;
- **not read yet** — concerns shared with them (not as raiser) that are open or
  acknowledged, not yet read, and not already waiting for their acknowledgement;
- **new information** — entries others added since they last read a concern of theirs;
- **raised** — the concerns they raised (any status), the newest first;
- **advice to give** — requests for advice (`handlers.concern.advice`) they are the adviser
  of now and have not answered, the earliest asked first;
- **advice given** — their own requests that were answered and wait for them to send the
  concern or record a decision not to share.

A concern whose key is shredded counts nowhere. Each line carries a severity, status, times
and counts; the client's reference is for Flare's own pages, and what a follow-up is (its
decrypted action) is read only when a page asks for it (`with_actions`), never for chat.
An advice line carries its page (a signed-in page, no token), severity and times: the draft
and the reply stay sealed, and the read model never opens them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from handlers.acknowledge_rule import ACKNOWLEDGEABLE_STATUSES, to_acknowledge
from handlers.concern.advice import advice_page
from handlers.follow_through.follow_ups import view_follow_up
from handlers.network.access import entitled, is_active, may_read
from handlers.ports import Clock
from handlers.values import Category, DeliveryRole, Severity
from store.models import AdviceRequest, Concern, ConcernEntry, Delivery, FollowUp
from store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ConcernLine:
    concern_id: str
    client_reference: str
    category: Category
    severity: Severity
    status: str
    raised_at: datetime
    acknowledge_by: datetime | None
    late: bool
    entries: int = 0
    new_entries: int = 0


@dataclass(frozen=True)
class OwnedFollowUp:
    concern: ConcernLine
    follow_up_id: str
    due_at: datetime
    overdue: bool
    created_by: str = ""  # who agreed it and what it is: only with `with_actions`
    action: str = ""


@dataclass(frozen=True)
class AdviceLine:
    """A request for advice that waits: its page, severity and times, never the draft."""

    request_id: str
    page: str  # Flare's signed-in page for it (`advice_page`)
    client_reference: str
    severity: Severity
    asked_at: datetime
    respond_by: datetime | None  # when it escalates if unanswered (advice to give)
    answered_at: datetime | None
    late: bool


@dataclass(frozen=True)
class Counts:
    """How many of each: the figures every surface shows."""

    to_acknowledge: int
    follow_ups: int
    unread: int
    new_information: int
    raised: int
    advice_to_give: int = 0
    advice_given: int = 0


@dataclass(frozen=True)
class Awaiting:
    to_acknowledge: tuple[ConcernLine, ...]
    follow_ups: tuple[OwnedFollowUp, ...]
    unread: tuple[ConcernLine, ...]
    new_information: tuple[ConcernLine, ...]
    raised: tuple[ConcernLine, ...]
    advice_to_give: tuple[AdviceLine, ...] = ()
    advice_given: tuple[AdviceLine, ...] = ()

    @property
    def counts(self) -> Counts:
        return Counts(
            len(self.to_acknowledge),
            len(self.follow_ups),
            len(self.unread),
            len(self.new_information),
            len(self.raised),
            len(self.advice_to_give),
            len(self.advice_given),
        )

    @property
    def nothing(self) -> bool:
        """Nothing waits (the concerns they raised are theirs, not waiting for them)."""
        return not (
            self.to_acknowledge
            or self.follow_ups
            or self.unread
            or self.new_information
            or self.advice_to_give
            or self.advice_given
        )

    def follow_ups_due_by(self, when: datetime) -> int:
        return sum(1 for owned in self.follow_ups if owned.due_at <= when)


def readable(concern: Concern | None) -> bool:
    """The concern exists and its key is not shredded: only such a concern can wait."""
    return concern is not None and concern.data_key_id is not None and concern.shredded_at is None


def what_awaits(
    uow: UnitOfWork, *, practitioner_id: str, clock: Clock, with_actions: bool = False
) -> Awaiting:
    """What waits for this practitioner, read in one transaction."""
    with uow:
        return read_awaiting(
            uow, practitioner_id=practitioner_id, now=clock.now(), with_actions=with_actions
        )


def read_awaiting(
    uow: UnitOfWork, *, practitioner_id: str, now: datetime, with_actions: bool = False
) -> Awaiting:
    """The read model inside a caller's open unit of work (the digest, the chat resend)."""
    reader = _Reader(uow, practitioner_id, now)
    # Only what the access rule lets them read now: a removed member, a leaver and a raiser
    # from outside the network see nothing of those concerns here either.
    to_ack = [c for c in to_acknowledge(uow, practitioner_id) if may_read(uow, practitioner_id, c)]
    received = [
        (delivery, concern)
        for delivery, concern in uow.concerns.received_with_concerns(practitioner_id)
        if readable(concern) and entitled(uow, concern, delivery)
    ]
    follow_ups = [
        (f, c)
        for f, c in reader.follow_ups_on_readable_concerns()
        if may_read(uow, practitioner_id, c)
    ]
    raised = [
        c
        for c in uow.concerns.raised_by(practitioner_id)
        if readable(c) and may_read(uow, practitioner_id, c)
    ]
    reader.count_entries([*to_ack, *(c for _, c in received), *(c for _, c in follow_ups), *raised])
    acknowledging = tuple(reader.line(c) for c in to_ack)
    waiting = {line.concern_id for line in acknowledging}
    unread: list[ConcernLine] = []
    new_information: list[ConcernLine] = []
    for delivery, concern in received:
        if delivery.role != DeliveryRole.RAISER and delivery.viewed_at is None:
            if concern.status in ACKNOWLEDGEABLE_STATUSES and concern.id not in waiting:
                unread.append(reader.line(concern))
            continue
        fresh = reader.new_entries(delivery)
        if fresh:
            new_information.append(reader.line(concern, fresh))
    owned = tuple(reader.follow_up(f, with_actions) for f in follow_ups)
    mine = tuple(reader.line(c) for c in raised)
    to_give, given = reader.advice()
    return Awaiting(
        acknowledging, owned, tuple(unread), tuple(new_information), mine, to_give, given
    )


class _Reader:
    """Builds lines for one practitioner, each client and concern's entries read once."""

    def __init__(self, uow: UnitOfWork, practitioner_id: str, now: datetime) -> None:
        self._uow = uow
        self._practitioner_id = practitioner_id
        self._now = now
        self._references: dict[str, str] = {}
        self._entries: dict[str, Sequence[ConcernEntry]] = {}
        self._counts: dict[str, int] = {}

    def count_entries(self, concerns: Sequence[Concern]) -> None:
        """Each concern's number of entries, for every line to be built, in one query."""
        self._counts = self._uow.concerns.entry_counts({c.id for c in concerns})

    def entries(self, concern_id: str) -> Sequence[ConcernEntry]:
        if concern_id not in self._entries:
            self._entries[concern_id] = self._uow.concerns.entries(concern_id)
        return self._entries[concern_id]

    def line(self, concern: Concern, new_entries: int = 0) -> ConcernLine:
        return ConcernLine(
            concern_id=concern.id,
            client_reference=self._reference(concern.client_id),
            category=Category(concern.category),
            severity=Severity(concern.severity),
            status=concern.status,
            raised_at=concern.created_at,
            acknowledge_by=concern.acknowledge_by,
            late=concern.acknowledge_by is not None and concern.acknowledge_by < self._now,
            entries=self._counts.get(concern.id, 0),
            new_entries=new_entries,
        )

    def advice(self) -> tuple[tuple[AdviceLine, ...], tuple[AdviceLine, ...]]:
        """Requests they are to answer, and their own answered ones to send or decide."""
        if not is_active(self._uow, self._practitioner_id):
            return (), ()
        requests = self._uow.advice
        to_give = requests.awaiting_reply_from(self._practitioner_id)
        given = requests.answered_for(self._practitioner_id)
        return (
            tuple(self.advice_line(r) for r in to_give if r.data_key_id is not None),
            tuple(self.advice_line(r) for r in given if r.data_key_id is not None),
        )

    def advice_line(self, request: AdviceRequest) -> AdviceLine:
        return AdviceLine(
            request_id=request.id,
            page=advice_page(request.id),
            client_reference=self._reference(request.client_id),
            severity=Severity(request.severity),
            asked_at=request.created_at,
            respond_by=request.escalate_at,
            answered_at=request.answered_at,
            late=request.escalate_at is not None and request.escalate_at < self._now,
        )

    def _reference(self, client_id: str) -> str:
        if client_id not in self._references:
            client = self._uow.directory.client(client_id)
            self._references[client_id] = client.reference if client else ""
        return self._references[client_id]

    def new_entries(self, delivery: Delivery) -> int:
        """Entries others added since the practitioner last read the concern."""
        seen = delivery.last_viewed_at or delivery.viewed_at or delivery.created_at
        return sum(
            1
            for entry in self.entries(delivery.concern_id)
            if entry.author_id != self._practitioner_id
            and entry.kind != "raised"
            and entry.created_at > seen
        )

    def follow_ups_on_readable_concerns(self) -> list[tuple[FollowUp, Concern]]:
        found = []
        for follow_up in self._uow.concerns.follow_ups_owned(self._practitioner_id):
            concern = self._uow.concerns.get(follow_up.concern_id)
            if concern is not None and readable(concern):
                found.append((follow_up, concern))
        return found

    def follow_up(self, owned: tuple[FollowUp, Concern], with_actions: bool) -> OwnedFollowUp:
        follow_up, concern = owned
        line = OwnedFollowUp(
            concern=self.line(concern),
            follow_up_id=follow_up.id,
            due_at=follow_up.due_at,
            overdue=follow_up.due_at < self._now,
        )
        if not with_actions:
            return line
        view = view_follow_up(self._uow, concern, follow_up, self._now)
        return OwnedFollowUp(
            line.concern, line.follow_up_id, line.due_at, line.overdue, view.created_by, view.action
        )
