"""Raise a concern: the concern, one delivery per recipient and their pointers, in one commit.

Read as a script: validate the answers, resolve the recipients through the routing policy,
build the concern, add the deliveries, queue their pointers, audit. One submission key is one
concern, from any surface, even when two submissions of it race to commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from handlers.concern.answers import NOT_IN_NETWORK, RaiseConcern, validate
from handlers.concern.recording import (
    add_entry,
    build_concern,
    earlier_submission,
    once_per_submission,
)
from handlers.deadlines import WorkingCalendar, organisation_deadline
from handlers.invalid import Invalid
from handlers.network.routing import (
    NetworkMember,
    NotInNetwork,
    ShareOptions,
    who_can_i_share_with,
)
from handlers.outbox.delivery import add_delivery, enqueue_pointer
from handlers.partnership import deadline_policy
from handlers.ports import Clock
from handlers.values import ChosenBecause, ConcernStatus, PointerKind, Role
from store.models import Concern, Delivery, Practitioner
from store.unit_of_work import UnitOfWork

__all__ = ["RaiseConcern", "RaiseOutcome", "Raised", "add_entry", "raise_concern", "validate"]


@dataclass(frozen=True)
class Raised:
    concern_id: str
    recipients: int
    duplicate: bool = False


RaiseOutcome = Raised | Invalid


@dataclass(frozen=True)
class Reach:
    """Whom the concern goes to: the chosen network members, whether that was narrowed, and
    why each was chosen (the routing policy's reason, or the raiser's own choice)."""

    members: tuple[NetworkMember, ...]
    narrowed: bool
    because: Mapping[str, ChosenBecause] = field(default_factory=dict)


def raise_concern(
    cmd: RaiseConcern, uow: UnitOfWork, clock: Clock, calendar: WorkingCalendar
) -> RaiseOutcome:
    """Write the concern, its first entry, deliveries and outbox pointers atomically."""
    errors = validate(cmd)
    if errors:
        return Invalid(errors)
    return once_per_submission(
        uow,
        write=lambda: _raise(cmd, uow, clock, calendar),
        earlier=lambda: _already_raised(uow, cmd),
    )


def _raise(
    cmd: RaiseConcern, uow: UnitOfWork, clock: Clock, calendar: WorkingCalendar
) -> RaiseOutcome:
    reach = resolve_recipients(uow, cmd)
    if isinstance(reach, Invalid):
        return reach
    now = clock.now()
    raiser = uow.directory.practitioner(cmd.raiser_id)
    assert raiser is not None  # the routing policy found the raiser in the network
    concern = build_concern(
        uow,
        cmd,
        raiser=raiser,
        status=ConcernStatus.OPEN,
        rationale=cmd.rationale,
        narrowing_reason=cmd.narrowing_reason,
        acknowledge_by=_acknowledge_by(uow, cmd, raiser, now, calendar),
        at=now,
    )
    deliveries = add_deliveries(uow, concern, reach.members, at=now, because=reach.because)
    queue_pointers(uow, deliveries, at=now)
    _audit(uow, cmd, concern, reach, at=now)
    uow.commit()
    return Raised(concern.id, len(deliveries))


def _already_raised(uow: UnitOfWork, cmd: RaiseConcern) -> Raised | Invalid | None:
    """The concern this submission key made before, counted as it was sent; or None."""
    earlier = earlier_submission(uow, cmd)
    if earlier is None or isinstance(earlier, Invalid):
        return earlier
    sent = [d for d in uow.concerns.deliveries(earlier.id) if d.role != "raiser"]
    return Raised(earlier.id, len(sent), duplicate=True)


def resolve_recipients(uow: UnitOfWork, cmd: RaiseConcern) -> Reach | Invalid:
    """The routing policy's recommendation, or the raiser's narrowing of it if allowed."""
    options = share_options(uow, cmd)
    if options is None:
        return Invalid({"client": NOT_IN_NETWORK})
    by_id = {m.practitioner_id: m for m in options.members}
    chosen = set(options.recommended_ids if cmd.recipients is None else cmd.recipients)
    errors = _check_recipients(chosen, by_id, options.recommended_ids, cmd)
    if errors:
        return Invalid(errors)
    members = tuple(by_id[pid] for pid in sorted(chosen))
    because = {pid: options.chosen_because(pid) for pid in chosen}
    return Reach(members, narrowed=chosen != set(options.recommended_ids), because=because)


def share_options(uow: UnitOfWork, cmd: RaiseConcern) -> ShareOptions | None:
    """The client's network with the routing policy's picks; None if the raiser is not in it."""
    try:
        return who_can_i_share_with(
            uow,
            raiser_id=cmd.raiser_id,
            client_id=cmd.client_id,
            category=cmd.category,
            severity=cmd.severity,
        )
    except NotInNetwork:
        return None


def _check_recipients(
    chosen: set[str],
    by_id: dict[str, NetworkMember],
    recommended: frozenset[str],
    cmd: RaiseConcern,
) -> dict[str, str]:
    if not chosen:
        return {"recipients": "Choose at least the lead professional"}
    if not chosen <= set(by_id):
        return {"recipients": "You can only share with people in this client's network"}
    leads = {pid for pid, m in by_id.items() if m.role is Role.LEAD}
    if leads and not leads <= chosen:
        return {"recipients": "The lead professional always receives the concern"}
    if (
        chosen != set(recommended)
        and cmd.recipients is not None
        and not cmd.narrowing_reason.strip()
    ):
        return {"narrowing_reason": "Say why you changed who it goes to"}
    return {}


def _acknowledge_by(
    uow: UnitOfWork,
    cmd: RaiseConcern,
    raiser: Practitioner,
    now: datetime,
    calendar: WorkingCalendar,
) -> datetime:
    """The severity's deadline, in the raiser's organisation's working time."""
    policy = deadline_policy(uow, uow.directory.organisation(raiser.organisation_id))
    return organisation_deadline(cmd.severity, now, calendar, policy)


def add_deliveries(
    uow: UnitOfWork,
    concern: Concern,
    members: Sequence[NetworkMember],
    *,
    at: datetime,
    because: Mapping[str, ChosenBecause],
) -> list[Delivery]:
    """One delivery per recipient, in the role they hold in the network, with why they were
    chosen (kept, so a later change of policy does not rewrite it)."""
    deliveries = []
    for member in members:
        delivery = add_delivery(
            uow,
            concern.id,
            member.practitioner_id,
            role=member.role.value,
            platform=member.platform,
            at=at,
        )
        delivery.chosen_because = because.get(member.practitioner_id, ChosenBecause.RAISER_CHOSE)
        deliveries.append(delivery)
    return deliveries


def queue_pointers(uow: UnitOfWork, deliveries: Sequence[Delivery], *, at: datetime) -> None:
    """A new-concern pointer per delivery, in the outbox of this same transaction."""
    for delivery in deliveries:
        enqueue_pointer(uow, delivery, PointerKind.NEW_CONCERN, key=f"raise:{delivery.id}", at=at)


def _audit(
    uow: UnitOfWork, cmd: RaiseConcern, concern: Concern, reach: Reach, *, at: datetime
) -> None:
    recipients = sorted(m.practitioner_id for m in reach.members)
    uow.audit(
        "concern.raised",
        at=at,
        actor_id=cmd.raiser_id,
        concern_id=concern.id,
        subject=cmd.client_id,
        detail={
            "category": cmd.category.value,
            "severity": cmd.severity.value,
            "lawful_basis": cmd.lawful_basis.value,
            "special_category": cmd.special_category.value,
            "recipients": len(recipients),
            "narrowed": reach.narrowed,
            "via": cmd.via,
        },
    )
    uow.audit(
        "concern.routed",
        at=at,
        actor_id=cmd.raiser_id,
        concern_id=concern.id,
        detail={"recipients": recipients},
    )
