"""What a signed-in recipient may read: one concern, decrypted (their inbox is `my_work`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from handlers.acknowledge_rule import awaits_acknowledgement, may_close, may_reopen
from handlers.follow_through.closing import outcome_note
from handlers.follow_through.escalation import escalation_steps
from handlers.follow_through.follow_ups import (
    FollowUpView,
    OwnerChoice,
    owner_choices,
    view_follow_up,
)
from handlers.network.access import oversees_decision, readable_delivery
from handlers.network.unconfirmed import offers_confirmation
from handlers.ports import Clock
from handlers.protected_rule import count_identities, may_see_protected_identities
from handlers.values import (
    Category,
    ChosenBecause,
    FamilyInformed,
    LawfulBasis,
    Outcome,
    Severity,
    SpecialCategoryCondition,
)
from store.crypto import CryptoError
from store.models import Concern, Delivery, Membership, Practitioner
from store.sealed import ClientField, ConcernField, EntryField
from store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class EntryView:
    author: str
    organisation: str
    kind: str
    text: str
    at: datetime


@dataclass(frozen=True)
class RecipientView:
    name: str
    organisation: str
    role: str
    opened: bool
    acknowledged: bool
    chosen: ChosenBecause | None = None  # None: from before it was kept, or not chosen


@dataclass(frozen=True)
class ConcernView:
    concern_id: str
    client_reference: str
    client_label: str
    category: Category
    severity: Severity
    status: str
    raised_at: datetime
    raiser: str
    raiser_organisation: str
    lawful_basis: LawfulBasis
    special_category: SpecialCategoryCondition | None  # None: recorded before it was asked
    family_informed: FamilyInformed
    family_reason: str
    rationale: str
    narrowing_reason: str
    protected_identities: str  # "" unless this viewer revealed them (`protected_rule`)
    acknowledge_by: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    entries: tuple[EntryView, ...]
    recipients: tuple[RecipientView, ...]
    viewer_can_acknowledge: bool
    escalation_level: int = 0
    escalations: tuple[EscalationView, ...] = ()
    client_id: str = ""
    viewer_in_network: bool = False
    closed_at: datetime | None = None
    outcome: Outcome | None = None
    outcome_note: str = ""
    viewer_can_close: bool = False
    viewer_can_reopen: bool = False
    protected_count: int = 0  # how many people are withheld: shown to every reader
    viewer_may_reveal: bool = False
    not_sharing_reason: str = ""
    viewer_chosen: ChosenBecause | None = None  # why the reader was chosen, if they were


@dataclass(frozen=True)
class EscalationView:
    level: int
    to: str
    at: datetime


class NoAccess(Exception):
    """The practitioner is not a recipient of this concern (need-to-know)."""


class MayNotReveal(Exception):
    """The reader may read the concern but not its protected identities (`protected_rule`)."""


class Unreadable(Exception):
    """The concern's key is gone (shredded) or the key ring cannot open it: fail closed."""


def may_see(uow: UnitOfWork, concern: Concern, practitioner_id: str) -> Delivery | None:
    """The reader's delivery when the access rule lets them read the concern now."""
    return readable_delivery(uow, concern, practitioner_id)


@dataclass(frozen=True)
class _Reader:
    """Who reads the page: their delivery, or none when they oversee a decision not to share."""

    practitioner_id: str
    delivery: Delivery | None


def _reader(
    uow: UnitOfWork, concern_id: str, practitioner_id: str
) -> tuple[Concern, _Reader, _Read]:
    """The concern, its reader and what the page reads of it, when the access rule lets the
    reader see it now; else NoAccess. The rule reads the same deliveries and network rows
    the page shows, so nothing is read twice."""
    concern = uow.concerns.get(concern_id)
    if concern is None:
        raise NoAccess(concern_id)
    read = _Read.of(uow, concern, practitioner_id)
    delivery = readable_delivery(
        uow, concern, practitioner_id, deliveries=read.deliveries, network=read.network
    )
    if delivery is None and not oversees_decision(uow, practitioner_id, concern):
        raise NoAccess(concern_id)
    return concern, _Reader(practitioner_id, delivery), read


def view_concern(
    uow: UnitOfWork,
    *,
    concern_id: str,
    practitioner_id: str,
    clock: Clock,
    reveal_identities: bool = False,
) -> ConcernView:
    """Decrypt a concern for one of its recipients, and audit the access.

    A page GET calls this, so it changes no state: "seen" is `mark_seen`, a signed-in POST.
    Protected identities stay withheld unless `reveal_identities` (see `_reveal`).
    """
    with uow:
        concern, reader, read = _reader(uow, concern_id, practitioner_id)
        try:
            view = _decrypt(uow, concern, reader, read, reveal_identities)
        except CryptoError:
            raise Unreadable(concern_id) from None
        _audit_view(uow, concern, view, practitioner_id, clock.now())
        uow.commit()
        return view


@dataclass(frozen=True)
class ConcernPage:
    """What the concern page shows: the concern, its follow-ups, who may own a new one."""

    view: ConcernView
    follow_ups: tuple[FollowUpView, ...]
    owners: tuple[OwnerChoice, ...]
    may_confirm: bool = False  # an unidentified child this reader may confirm


def view_concern_page(
    uow: UnitOfWork,
    *,
    concern_id: str,
    practitioner_id: str,
    clock: Clock,
    reveal_identities: bool = False,
) -> ConcernPage:
    """`view_concern`, with the concern's follow-ups and owner choices, in one transaction.

    The access check (a delivery to this reader, who is active) holds for every read in it;
    the audit append comes last, so the chain's head is locked only for the commit.
    """
    with uow:
        concern, reader, read = _reader(uow, concern_id, practitioner_id)
        try:
            view = _decrypt(uow, concern, reader, read, reveal_identities)
        except CryptoError:
            raise Unreadable(concern_id) from None
        now = clock.now()
        follow_ups = tuple(
            view_follow_up(uow, concern, f, now) for f in uow.concerns.follow_ups(concern.id)
        )
        owners = owner_choices(uow, concern, network=read.network, deliveries=read.deliveries)
        # Only a child with no network yet can be confirmed: skip the look-up otherwise.
        confirm = not read.network and offers_confirmation(
            uow, client_id=concern.client_id, practitioner_id=practitioner_id
        )
        _audit_view(uow, concern, view, practitioner_id, now)
        uow.commit()
        return ConcernPage(view, follow_ups, owners, confirm)


def record_seen(delivery: Delivery, now: datetime) -> None:
    """The recipient has read the concern: it leaves "not read yet" and "new information"."""
    delivery.viewed_at = delivery.viewed_at or now
    delivery.last_viewed_at = now


def mark_seen(uow: UnitOfWork, *, concern_id: str, practitioner_id: str, clock: Clock) -> bool:
    """A recipient opens a concern from their inbox (a POST with CSRF); False if not theirs."""
    with uow:
        concern = uow.concerns.get(concern_id)
        delivery = may_see(uow, concern, practitioner_id) if concern else None
        if concern is None or delivery is None:
            return False
        now = clock.now()
        record_seen(delivery, now)
        uow.audit("concern.seen", at=now, actor_id=practitioner_id, concern_id=concern.id)
        uow.commit()
        return True


@dataclass(frozen=True)
class _Read:
    """What a concern's page reads besides the concern, once, for the access rule, the view,
    follow-ups and owners: its deliveries, the client's network, and the people it names
    (kept here, so the session's identity map keeps them for later look-ups)."""

    people: dict[str, Practitioner]
    deliveries: Sequence[Delivery]
    network: Sequence[Membership]

    @classmethod
    def of(cls, uow: UnitOfWork, concern: Concern, reader_id: str) -> _Read:
        deliveries = uow.concerns.deliveries(concern.id)
        network = uow.directory.network(concern.client_id)  # its people come joined
        named = {d.recipient_id for d in deliveries} | {concern.raiser_id, reader_id}
        if concern.acknowledged_by_id:
            named.add(concern.acknowledged_by_id)
        named -= {m.practitioner_id for m in network}
        people = {m.practitioner_id: m.practitioner for m in network}
        return cls(people | uow.directory.practitioners_by_id(named), deliveries, network)

    def person(self, uow: UnitOfWork, practitioner_id: str) -> Practitioner | None:
        """Anyone else the page names (an entry's author, an escalation's duty contact)."""
        if practitioner_id not in self.people:
            found = uow.directory.practitioner(practitioner_id)
            if found is None:
                return None
            self.people[practitioner_id] = found
        return self.people[practitioner_id]


def _reveal(
    uow: UnitOfWork, concern: Concern, practitioner_id: str, protected: str, reveal: bool
) -> tuple[str, bool]:
    """The protected identities this viewer sees now ("" unless revealed) and whether they
    may reveal them (`protected_rule`); a reveal by anyone else is refused."""
    if not protected and not reveal:
        return "", False  # nothing withheld: no need to ask the rule
    allowed = may_see_protected_identities(uow, concern, practitioner_id)
    if reveal and not allowed:
        raise MayNotReveal(concern.id)
    return (protected if reveal else ""), allowed and bool(protected)


def _audit_view(
    uow: UnitOfWork, concern: Concern, view: ConcernView, by: str, at: datetime
) -> None:
    """The view, and a reveal of protected identities (its own row, never the names)."""
    if view.protected_identities:
        uow.audit(
            "concern.identities_revealed",
            at=at,
            actor_id=by,
            concern_id=concern.id,
            detail={"via": "web"},
        )
    uow.audit("concern.viewed", at=at, actor_id=by, concern_id=concern.id)


def _decrypt(
    uow: UnitOfWork, concern: Concern, viewer: _Reader, read: _Read, reveal: bool = False
) -> ConcernView:
    if concern.data_key_id is None:
        raise CryptoError("shredded")
    fields = uow.sealed.concern(concern)
    protected = fields.open_or_blank(ConcernField.PROTECTED)
    shown, may_reveal = _reveal(uow, concern, viewer.practitioner_id, protected, reveal)
    client = uow.directory.client(concern.client_id)
    assert client is not None
    label = uow.sealed.client(client).open(ClientField.LABEL)
    raiser = read.person(uow, concern.raiser_id)
    assert raiser is not None  # a concern's raiser is a row it references
    by = concern.acknowledged_by_id
    acknowledger = read.person(uow, by) if by else None
    return ConcernView(
        concern_id=concern.id,
        client_reference=client.reference,
        client_label=label,
        category=Category(concern.category),
        severity=Severity(concern.severity),
        status=concern.status,
        raised_at=concern.created_at,
        raiser=raiser.name,
        raiser_organisation=raiser.organisation.name,
        lawful_basis=LawfulBasis(concern.lawful_basis),
        special_category=_special_category(concern),
        family_informed=FamilyInformed(concern.family_informed),
        family_reason=fields.open_or_blank(ConcernField.FAMILY_REASON),
        rationale=fields.open_or_blank(ConcernField.RATIONALE),
        narrowing_reason=fields.open_or_blank(ConcernField.NARROWING_REASON),
        protected_identities=shown,
        acknowledge_by=concern.acknowledge_by,
        acknowledged_at=concern.acknowledged_at,
        acknowledged_by=acknowledger.name if acknowledger else None,
        entries=_entries(uow, concern, read),
        recipients=_recipients(read),
        viewer_can_acknowledge=awaits_acknowledgement(concern, viewer.delivery),
        escalation_level=concern.escalation_level,
        escalations=_escalations(uow, concern, read),
        client_id=client.id,
        viewer_in_network=any(m.practitioner_id == viewer.practitioner_id for m in read.network),
        closed_at=concern.closed_at,
        outcome=Outcome(concern.outcome) if concern.outcome else None,
        outcome_note=outcome_note(uow, concern),
        viewer_can_close=may_close(uow, concern, viewer.practitioner_id, network=read.network),
        viewer_can_reopen=may_reopen(uow, concern, viewer.practitioner_id, network=read.network),
        not_sharing_reason=fields.open_or_blank(ConcernField.NOT_SHARING_REASON),
        viewer_chosen=_chosen(viewer.delivery) if viewer.delivery else None,
        protected_count=count_identities(protected),
        viewer_may_reveal=may_reveal,
    )


def _special_category(concern: Concern) -> SpecialCategoryCondition | None:
    value = concern.special_category
    return SpecialCategoryCondition(value) if value else None


def _chosen(delivery: Delivery) -> ChosenBecause | None:
    value = delivery.chosen_because
    return ChosenBecause(value) if value else None


def _entries(uow: UnitOfWork, concern: Concern, read: _Read) -> tuple[EntryView, ...]:
    views = []
    for e in uow.concerns.entries(concern.id):
        author = read.person(uow, e.author_id)
        assert author is not None  # an entry's author is a row it references
        views.append(
            EntryView(
                author=author.name,
                organisation=author.organisation.name,
                kind=e.kind,
                text=uow.sealed.entry(concern, e).open(EntryField.BODY),
                at=e.created_at,
            )
        )
    return tuple(views)


def _recipients(read: _Read) -> tuple[RecipientView, ...]:
    return tuple(
        RecipientView(
            name=read.people[d.recipient_id].name,
            organisation=read.people[d.recipient_id].organisation.name,
            role=d.role,
            opened=d.opened_at is not None,
            acknowledged=d.acknowledged_at is not None,
            chosen=_chosen(d),
        )
        for d in read.deliveries
        if d.role != "raiser"
    )


def _escalations(uow: UnitOfWork, concern: Concern, read: _Read) -> tuple[EscalationView, ...]:
    views = []
    for step in escalation_steps(uow, concern.id):
        people = [read.person(uow, r) for r in step.recipient_ids]
        names = [p.name for p in people if p is not None]
        if len(names) == len(people):
            views.append(EscalationView(step.level, ", ".join(names), step.at))
    return tuple(views)
