"""A network changes: a lead or deputy adds, re-roles or removes a member; a member leaves.

The membership rows are the network (handlers.network); this module lives after the outbox
because every change tells the person concerned by a pointer (no content: the words are in
handlers.outbox.pointer_words) and a removal hands the follow-ups they own back to the
client's lead. Every change is audited with ids and roles only. A network always has
exactly one lead: making someone lead makes the old lead deputy, and the lead cannot be
removed, demoted or leave until someone else leads. Access follows the rows at every read
(handlers.network.access), so a removal takes effect on the next request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from handlers.network.access import member_of
from handlers.network.leavers import successor
from handlers.outbox.delivery import enqueue_notice, enqueue_pointer
from handlers.ports import Clock
from handlers.values import PointerKind, Role
from store.models import Membership, Practitioner, new_id
from store.unit_of_work import UnitOfWork

STEWARDS = frozenset({Role.LEAD, Role.DEPUTY})


class Change(StrEnum):
    ADDED = "added"
    ROLE_CHANGED = "role_changed"
    REMOVED = "removed"
    LEFT = "left"


class Refusal(StrEnum):
    NOT_STEWARD = "not_steward"  # also for an unknown client: the same answer, nothing learnt
    NO_SUCH_PERSON = "no_such_person"
    ALREADY_MEMBER = "already_member"
    NOT_MEMBER = "not_member"
    ONE_LEAD = "one_lead"


REFUSAL_WORDS = {
    Refusal.NOT_STEWARD: (
        "Only the lead professional or deputy of a client's network can change it."
    ),
    Refusal.NO_SUCH_PERSON: (
        "No active practitioner matches exactly. Give their Flare reference, or their full "
        "name and organisation."
    ),
    Refusal.ALREADY_MEMBER: "They are already in this network.",
    Refusal.NOT_MEMBER: "They are not in this network.",
    Refusal.ONE_LEAD: ("A network always has one lead professional. Make someone else lead first."),
}


@dataclass(frozen=True)
class NetworkChanged:
    change: Change
    client_id: str
    practitioner_id: str
    role: Role | None
    follow_ups_handed_back: int = 0


@dataclass(frozen=True)
class NetworkRefused:
    reason: Refusal

    @property
    def words(self) -> str:
        return REFUSAL_WORDS[self.reason]


NetworkOutcome = NetworkChanged | NetworkRefused


@dataclass(frozen=True)
class PersonRef:
    """Who is meant: a directory reference, or an exact full name and organisation."""

    ref: str = ""
    name: str = ""
    organisation: str = ""


def find_person(uow: UnitOfWork, person: PersonRef) -> Practitioner | None:
    """The one active practitioner the words name exactly; None when none or several match."""
    if person.ref.strip():
        found = uow.directory.practitioner_by_ref(person.ref.strip()[:64])
        return found if found is not None and found.active else None
    name, org = person.name.strip().casefold(), person.organisation.strip().casefold()
    if not name or not org:
        return None
    matches = [
        p
        for p in uow.directory.practitioners()
        if p.active
        and p.name.strip().casefold() == name
        and org in (p.organisation.ref.casefold(), p.organisation.name.strip().casefold())
    ]
    return matches[0] if len(matches) == 1 else None


def _steward(uow: UnitOfWork, client_id: str, actor_id: str) -> Membership | None:
    locked = uow.directory.lock_client(client_id)  # one change to a network at a time
    mine = member_of(uow, client_id, actor_id) if locked is not None else None
    return mine if mine is not None and Role(mine.role) in STEWARDS else None


def _refuse(
    uow: UnitOfWork, reason: Refusal, attempt: tuple[str, str, datetime, str]
) -> NetworkRefused:
    """Audit and commit a refused change (who, which client, when, what) and say why."""
    actor_id, client_id, at, action = attempt
    uow.audit(
        "network.change_refused",
        at=at,
        actor_id=actor_id,
        subject=client_id[:64],
        detail={"action": action, "reason": reason.value},
    )
    uow.commit()
    return NetworkRefused(reason)


def _tell(uow: UnitOfWork, person: Practitioner, kind: PointerKind, at: datetime) -> None:
    enqueue_notice(
        uow,
        recipient_id=person.id,
        platform=person.preferred_platform,
        kind=kind,
        key=f"network:{kind.value}:{person.id}:{new_id()}",
        at=at,
    )


def _audit(
    uow: UnitOfWork,
    change: Change,
    *,
    actor_id: str,
    membership: Membership,
    at: datetime,
    **kw: str,
) -> None:
    uow.audit(
        f"network.{change.value}",
        at=at,
        actor_id=actor_id,
        subject=membership.client_id,
        detail={"practitioner": membership.practitioner_id, "role": membership.role, **kw},
    )


def add_member(
    uow: UnitOfWork,
    *,
    client_id: str,
    actor_id: str,
    person: PersonRef,
    role: Role = Role.MEMBER,
    clock: Clock,
) -> NetworkOutcome:
    """A lead or deputy adds an active practitioner from anywhere in the partnership."""
    with uow:
        now = clock.now()
        if _steward(uow, client_id, actor_id) is None:
            return _refuse(uow, Refusal.NOT_STEWARD, (actor_id, client_id, now, "add"))
        found = find_person(uow, person)
        if found is None:
            return _refuse(uow, Refusal.NO_SUCH_PERSON, (actor_id, client_id, now, "add"))
        if uow.directory.membership(client_id, found.id) is not None:
            return _refuse(uow, Refusal.ALREADY_MEMBER, (actor_id, client_id, now, "add"))
        if role is Role.LEAD:
            _demote_lead(uow, client_id, actor_id, now)
        membership = Membership(
            id=new_id(),
            client_id=client_id,
            practitioner_id=found.id,
            role=role.value,
            created_at=now,
        )
        uow.directory.add(membership)
        _audit(uow, Change.ADDED, actor_id=actor_id, membership=membership, at=now)
        _tell(uow, found, PointerKind.ADDED_TO_NETWORK, now)
        uow.commit()
        return NetworkChanged(Change.ADDED, client_id, found.id, role)


def _demote_lead(uow: UnitOfWork, client_id: str, actor_id: str, now: datetime) -> None:
    """The current lead becomes deputy (exactly one lead) and is told."""
    for lead in uow.directory.network(client_id):
        if Role(lead.role) is Role.LEAD:
            lead.role = Role.DEPUTY.value
            _audit(uow, Change.ROLE_CHANGED, actor_id=actor_id, membership=lead, at=now, was="lead")
            _tell(uow, lead.practitioner, PointerKind.NETWORK_ROLE_CHANGED, now)


def change_role(
    uow: UnitOfWork,
    *,
    client_id: str,
    actor_id: str,
    practitioner_id: str,
    role: Role,
    clock: Clock,
) -> NetworkOutcome:
    """A lead or deputy changes a member's role; making someone lead makes the old lead deputy."""
    with uow:
        now = clock.now()
        if _steward(uow, client_id, actor_id) is None:
            return _refuse(uow, Refusal.NOT_STEWARD, (actor_id, client_id, now, "role"))
        membership = uow.directory.membership(client_id, practitioner_id)
        if membership is None:
            return _refuse(uow, Refusal.NOT_MEMBER, (actor_id, client_id, now, "role"))
        was = Role(membership.role)
        if was is role:
            return NetworkChanged(Change.ROLE_CHANGED, client_id, practitioner_id, role)
        if was is Role.LEAD:
            return _refuse(uow, Refusal.ONE_LEAD, (actor_id, client_id, now, "role"))
        if role is Role.LEAD:
            _demote_lead(uow, client_id, actor_id, now)
        membership.role = role.value
        _audit(
            uow,
            Change.ROLE_CHANGED,
            actor_id=actor_id,
            membership=membership,
            at=now,
            was=was.value,
        )
        _tell(uow, membership.practitioner, PointerKind.NETWORK_ROLE_CHANGED, now)
        uow.commit()
        return NetworkChanged(Change.ROLE_CHANGED, client_id, practitioner_id, role)


def remove_member(
    uow: UnitOfWork, *, client_id: str, actor_id: str, practitioner_id: str, clock: Clock
) -> NetworkOutcome:
    """A lead or deputy removes someone; their access ends now and their follow-ups go back."""
    with uow:
        now = clock.now()
        if _steward(uow, client_id, actor_id) is None:
            return _refuse(uow, Refusal.NOT_STEWARD, (actor_id, client_id, now, "remove"))
        return _remove(uow, client_id, actor_id, practitioner_id, Change.REMOVED, now)


def leave_network(
    uow: UnitOfWork, *, client_id: str, practitioner_id: str, clock: Clock
) -> NetworkOutcome:
    """A member leaves a network (the lead hands over first)."""
    with uow:
        uow.directory.lock_client(client_id)  # one change to a network at a time
        return _remove(uow, client_id, practitioner_id, practitioner_id, Change.LEFT, clock.now())


def _remove(
    uow: UnitOfWork,
    client_id: str,
    actor_id: str,
    practitioner_id: str,
    change: Change,
    now: datetime,
) -> NetworkOutcome:
    action = change.value
    membership = uow.directory.membership(client_id, practitioner_id)
    if membership is None:
        return _refuse(uow, Refusal.NOT_MEMBER, (actor_id, client_id, now, action))
    if Role(membership.role) is Role.LEAD:
        return _refuse(uow, Refusal.ONE_LEAD, (actor_id, client_id, now, action))
    person = membership.practitioner
    _audit(uow, change, actor_id=actor_id, membership=membership, at=now)
    uow.directory.remove_membership(membership)
    uow.flush()
    handed = hand_back_follow_ups(
        uow, practitioner_id=practitioner_id, client_id=client_id, actor_id=actor_id, at=now
    )
    if change is Change.REMOVED:
        _tell(uow, person, PointerKind.REMOVED_FROM_NETWORK, now)
    uow.commit()
    return NetworkChanged(change, client_id, practitioner_id, None, handed)


def hand_back_follow_ups(
    uow: UnitOfWork,
    *,
    practitioner_id: str,
    client_id: str | None,
    actor_id: str | None,
    at: datetime,
) -> int:
    """Open follow-ups the practitioner owns (for one client, or all) go to the client's lead.

    For a removal and for a leaver. Call inside `with uow:`; the caller commits. The new
    owner is the client's active lead, else its active deputy, among those the concern was
    shared with: handing over never widens who can read it (the same successor rule as
    handlers.network.leavers on main). With no such person the follow-up stays, audited
    as unowned. Returns how many were handed back.
    """
    handed = 0
    for follow_up in uow.concerns.follow_ups_owned(practitioner_id):
        concern = uow.concerns.get(follow_up.concern_id)
        if concern is None or (client_id is not None and concern.client_id != client_id):
            continue
        # The one successor rule (handlers.network.leavers): lead, else deputy, who has it.
        owner_id = successor(uow, concern.client_id, concern.id, practitioner_id)
        delivery = uow.concerns.delivery_for(concern.id, owner_id) if owner_id else None
        if owner_id is None or delivery is None:
            uow.audit(
                "follow_up.unowned",
                at=at,
                actor_id=actor_id,
                concern_id=concern.id,
                subject=follow_up.id,
            )
            continue
        follow_up.owner_id = owner_id
        enqueue_pointer(
            uow,
            delivery,
            PointerKind.FOLLOW_UP_ASSIGNED,
            key=f"follow-up:{follow_up.id}:{owner_id}",
            at=at,
        )
        uow.audit(
            "follow_up.handed_back",
            at=at,
            actor_id=actor_id,
            concern_id=concern.id,
            subject=follow_up.id,
            detail={"from": practitioner_id, "to": owner_id},
        )
        handed += 1
    return handed
