"""Leavers: what deactivating a practitioner does, written once.

`flare directory import --full` and the admin pages both call `deactivate`; the outbox asks
`receives_pointers` before it sends anything. A deactivated practitioner:
- is signed out everywhere (their web sessions end; sign-in already refuses the inactive);
- gets no further pointers (queued ones are withdrawn, and the outbox sends none later);
- finds the links in their open pointers dead (they answer like an unknown or expired one);
- owns no open follow-up: each goes back to the client's lead (or deputy, if they were it)
  among those the concern was shared with.
Nothing is deleted: their deliveries, memberships and audit history stay as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.ports import Clock
from handlers.values import Role
from store.models import Practitioner
from store.unit_of_work import UnitOfWork

LEFT = "recipient deactivated"


@dataclass(frozen=True)
class Deactivated:
    """What deactivation stopped, in counts (the audit row carries the same)."""

    practitioner_id: str
    sessions_ended: int
    links_revoked: int
    pointers_withdrawn: int
    follow_ups_handed_back: int
    follow_ups_without_lead: int


def receives_pointers(person: Practitioner | None) -> bool:
    """May a pointer be sent to this person now? Only to someone known and active."""
    return person is not None and person.active


def deactivate(
    uow: UnitOfWork, person: Practitioner, *, at: datetime, actor_id: str | None, via: str
) -> Deactivated:
    """Deactivate inside the caller's transaction (the caller commits once)."""
    person.active = False
    handed, kept = _hand_back_follow_ups(uow, person.id, at=at, actor_id=actor_id)
    outcome = Deactivated(
        practitioner_id=person.id,
        sessions_ended=uow.leavers.end_sessions(person.id, at=at),
        links_revoked=uow.leavers.revoke_links(person.id, at=at),
        pointers_withdrawn=uow.leavers.withdraw_pointers(person.id, reason=LEFT),
        follow_ups_handed_back=handed,
        follow_ups_without_lead=kept,
    )
    uow.audit(
        "practitioner.deactivated",
        at=at,
        actor_id=actor_id,
        subject=person.id,
        detail={
            "via": via,
            "sessions_ended": outcome.sessions_ended,
            "links_revoked": outcome.links_revoked,
            "pointers_withdrawn": outcome.pointers_withdrawn,
            "follow_ups_handed_back": handed,
            "follow_ups_without_lead": kept,
        },
    )
    return outcome


def deactivate_practitioner(
    uow: UnitOfWork, *, practitioner_id: str, actor_id: str | None, clock: Clock, via: str
) -> Deactivated | None:
    """Deactivate one practitioner as a use case of its own; None if already inactive."""
    with uow:
        person = uow.directory.practitioner(practitioner_id)
        if person is None or not person.active:
            return None
        outcome = deactivate(uow, person, at=clock.now(), actor_id=actor_id, via=via)
        uow.commit()
        return outcome


def _hand_back_follow_ups(
    uow: UnitOfWork, leaver_id: str, *, at: datetime, actor_id: str | None
) -> tuple[int, int]:
    """Give each open follow-up the leaver owns to its client's lead; (handed, kept)."""
    handed = kept = 0
    for follow_up, client_id in uow.leavers.open_follow_ups(leaver_id):
        successor_id = successor(uow, client_id, follow_up.concern_id, leaver_id)
        if successor_id is None:
            kept += 1  # no active lead or deputy: the network has to be mended first
            continue
        follow_up.owner_id = successor_id
        handed += 1
        uow.audit(
            "follow_up.handed_back",
            at=at,
            actor_id=actor_id,
            concern_id=follow_up.concern_id,
            subject=follow_up.id,
            detail={"from": leaver_id, "to": successor_id},
        )
    return handed, kept


def successor(uow: UnitOfWork, client_id: str, concern_id: str, leaver_id: str) -> str | None:
    """The client's active lead, else its active deputy, who received the concern.

    Never the leaver, and never someone the concern was not shared with: handing a
    follow-up over must not widen who can read the concern (a lead who took over after it
    was raised may not have it).
    """
    # In a stable order, so two deputies always resolve the same way (by name, then id).
    network = sorted(
        uow.directory.network(client_id), key=lambda m: (m.practitioner.name, m.practitioner.id)
    )
    for role in (Role.LEAD, Role.DEPUTY):
        for member in network:
            person = member.practitioner
            if (
                member.role == role
                and person.id != leaver_id
                and person.active
                and uow.concerns.delivery_for(concern_id, person.id) is not None
            ):
                return person.id
    return None
