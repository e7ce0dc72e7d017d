"""Follow-ups: someone in the network agrees to do something about a concern by a date.

The owner must be someone the concern was shared with (or its raiser) who is still in the
client's network: giving a follow-up never widens who can read the concern. What is to be
done is sensitive, so it is sealed under the concern's data key (and shredded with it).
The owner gets a pointer through the outbox; the reminder sweeps read the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from handlers.deadlines import LONDON
from handlers.invalid import MAX_TEXT, Invalid
from handlers.network.access import may_read
from handlers.outbox.delivery import enqueue_pointer
from handlers.ports import Clock
from handlers.values import PointerKind, Role
from store.crypto import CryptoError
from store.models import Concern, Delivery, FollowUp, Membership, new_id
from store.sealed import FollowUpField
from store.unit_of_work import UnitOfWork

DUE_TIME = time(17, 0)  # a follow-up is due by 5pm (London) on its day
LONGEST_AHEAD = timedelta(days=366)


@dataclass(frozen=True)
class OwnerChoice:
    practitioner_id: str
    name: str
    organisation: str
    role: str


@dataclass(frozen=True)
class FollowUpView:
    follow_up_id: str
    concern_id: str
    owner_id: str
    owner: str
    owner_organisation: str
    created_by: str
    action: str
    due_at: datetime
    state: str
    overdue: bool
    created_at: datetime


@dataclass(frozen=True)
class FollowUpAdded:
    follow_up_id: str
    concern_id: str
    notified: bool


AddFollowUpOutcome = FollowUpAdded | Invalid


def date_from_fields(day: str, month: str, year: str) -> date | None:
    """The GOV.UK date input's three fields as a date; None when they are not a real date."""
    try:
        return date(int(year.strip()), int(month.strip()), int(day.strip()))
    except ValueError:
        return None


def due_at(day: date) -> datetime:
    """When a follow-up due on `day` falls due: 5pm London time."""
    return datetime.combine(day, DUE_TIME, tzinfo=LONDON)


def follow_up_owners(
    uow: UnitOfWork, *, concern_id: str, practitioner_id: str
) -> tuple[OwnerChoice, ...]:
    """Who may own a follow-up on this concern; empty when the viewer may not see it."""
    with uow:
        concern = uow.concerns.get(concern_id)
        if concern is None or not may_read(uow, practitioner_id, concern):
            return ()
        return owner_choices(uow, concern)


def owner_choices(
    uow: UnitOfWork,
    concern: Concern,
    *,
    network: Sequence[Membership] | None = None,
    deliveries: Sequence[Delivery] | None = None,
) -> tuple[OwnerChoice, ...]:
    """Who may own a follow-up on this concern (the caller has checked the reader); pass the
    client's network and the concern's deliveries if this transaction has read them."""
    if network is None:
        network = uow.directory.network(concern.client_id)
    if deliveries is None:
        deliveries = uow.concerns.deliveries(concern.id)
    roles = {m.practitioner_id: Role(m.role) for m in network}
    order = {Role.LEAD: 0, Role.DEPUTY: 1, Role.MEMBER: 2}
    choices = []
    for delivery in deliveries:
        person = uow.directory.practitioner(delivery.recipient_id)
        role = roles.get(delivery.recipient_id)
        if person is None or role is None or not person.active:
            continue  # the access rule, read off the same rows
        choices.append(
            (
                order[role],
                person.name,
                OwnerChoice(person.id, person.name, person.organisation.name, role.label),
            )
        )
    return tuple(choice for _, _, choice in sorted(choices, key=lambda c: (c[0], c[1])))


def _refusal(
    uow: UnitOfWork, concern: Concern | None, *, created_by_id: str, owner_id: str
) -> Invalid | None:
    """Why this person cannot give this owner a follow-up on this concern, if they cannot."""
    if concern is None or not may_read(uow, created_by_id, concern):
        return Invalid({"owner": "You cannot add a follow-up to this concern"})
    if concern.data_key_id is None:
        return Invalid({"action": "This concern has been deleted under retention"})
    if owner_id not in {o.practitioner_id for o in owner_choices(uow, concern)}:
        return Invalid({"owner": "Choose someone this concern was shared with"})
    return None


def add_follow_up(
    uow: UnitOfWork,
    *,
    concern_id: str,
    created_by_id: str,
    owner_id: str,
    due: date | None,
    action: str,
    submission_key: str,
    clock: Clock,
) -> AddFollowUpOutcome:
    """Record a follow-up, tell its owner (a pointer), audit it — in one transaction."""
    errors = _validate(owner_id, due, action, clock)
    if not submission_key or len(submission_key) > 128:
        errors["action"] = "This form has expired; start again"
    if errors:
        return Invalid(errors)
    assert due is not None
    with uow:
        concern = uow.concerns.get(concern_id)
        refused = _refusal(uow, concern, created_by_id=created_by_id, owner_id=owner_id)
        if refused is not None or concern is None:
            return refused or Invalid({"owner": "You cannot add a follow-up to this concern"})
        if not uow.inbound.first_time("web", f"follow-up:{submission_key}"):
            return FollowUpAdded("", concern_id, notified=False)  # a double submit
        now = clock.now()
        follow_up = FollowUp(
            id=new_id(),
            concern_id=concern_id,
            owner_id=owner_id,
            created_by_id=created_by_id,
            due_at=due_at(due),
            state="open",
            created_at=now,
        )
        uow.sealed.follow_up(concern, follow_up).seal(FollowUpField.NOTE, action)
        uow.concerns.add(follow_up)
        notified = owner_id != created_by_id
        if notified:
            delivery = uow.concerns.delivery_for(concern_id, owner_id)
            assert delivery is not None  # owners are recipients
            enqueue_pointer(
                uow,
                delivery,
                PointerKind.FOLLOW_UP_ASSIGNED,
                key=f"follow-up:{follow_up.id}",
                at=now,
            )
        uow.audit(
            "follow_up.added",
            at=now,
            actor_id=created_by_id,
            concern_id=concern_id,
            subject=follow_up.id,
            detail={"owner": owner_id, "due": due.isoformat(), "notified": notified},
        )
        uow.commit()
        return FollowUpAdded(follow_up.id, concern_id, notified)


@dataclass(frozen=True)
class FollowUpDone:
    follow_up_id: str
    at: datetime


@dataclass(frozen=True)
class NotOwner:
    follow_up_id: str


def complete_follow_up(
    uow: UnitOfWork, *, follow_up_id: str, practitioner_id: str, clock: Clock
) -> FollowUpDone | NotOwner:
    """The owner marks their follow-up done (reminders stop); anyone else is refused."""
    with uow:
        follow_up = uow.concerns.follow_up(follow_up_id)
        now = clock.now()
        concern = uow.concerns.get(follow_up.concern_id) if follow_up else None
        if (
            follow_up is None
            or concern is None
            or follow_up.owner_id != practitioner_id
            or not may_read(uow, practitioner_id, concern)
        ):
            uow.audit(
                "follow_up.done_refused",
                at=now,
                actor_id=practitioner_id,
                concern_id=follow_up.concern_id if follow_up else None,
                subject=follow_up_id[:64],
            )
            uow.commit()
            return NotOwner(follow_up_id)
        if follow_up.state == "done" and follow_up.done_at is not None:
            return FollowUpDone(follow_up.id, follow_up.done_at)
        follow_up.state = "done"
        follow_up.done_at = now
        uow.audit(
            "follow_up.done",
            at=now,
            actor_id=practitioner_id,
            concern_id=follow_up.concern_id,
            subject=follow_up.id,
        )
        uow.commit()
        return FollowUpDone(follow_up_id, now)


def _validate(owner_id: str, due: date | None, action: str, clock: Clock) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not owner_id:
        errors["owner"] = "Choose who will do it"
    today = clock.now().astimezone(LONDON).date()
    if due is None:
        errors["due"] = "Enter the date it is due by, for example 27 3 2027"
    elif due < today:
        errors["due"] = "The date it is due by must be today or in the future"
    elif due - today > LONGEST_AHEAD:
        errors["due"] = "The date it is due by must be within a year"
    if not action.strip():
        errors["action"] = "Enter what is to be done"
    elif len(action) > MAX_TEXT:
        errors["action"] = f"What is to be done must be {MAX_TEXT} characters or fewer"
    return errors


def list_follow_ups(
    uow: UnitOfWork, *, concern_id: str, practitioner_id: str, clock: Clock
) -> tuple[FollowUpView, ...]:
    """The follow-ups on a concern, for someone it was shared with (empty for anyone else)."""
    with uow:
        concern = uow.concerns.get(concern_id)
        if concern is None or not may_read(uow, practitioner_id, concern):
            return ()
        return tuple(
            view_follow_up(uow, concern, f, clock.now())
            for f in uow.concerns.follow_ups(concern_id)
        )


def view_follow_up(
    uow: UnitOfWork, concern: Concern, follow_up: FollowUp, now: datetime
) -> FollowUpView:
    """One follow-up, decrypted (the caller has checked the reader may see the concern)."""
    owner = uow.directory.practitioner(follow_up.owner_id)
    author = uow.directory.practitioner(follow_up.created_by_id)
    return FollowUpView(
        follow_up_id=follow_up.id,
        concern_id=concern.id,
        owner_id=follow_up.owner_id,
        owner=owner.name if owner else "",
        owner_organisation=owner.organisation.name if owner else "",
        created_by=author.name if author else "",
        action=_action(uow, concern, follow_up),
        due_at=follow_up.due_at,
        state=follow_up.state,
        overdue=follow_up.state == "open" and follow_up.due_at < now,
        created_at=follow_up.created_at,
    )


def _action(uow: UnitOfWork, concern: Concern, follow_up: FollowUp) -> str:
    if concern.data_key_id is None or follow_up.note_ct is None:
        return ""
    try:
        return uow.sealed.follow_up(concern, follow_up).open(FollowUpField.NOTE)
    except CryptoError:
        return ""
