"""Asking to join a child's network, and its lead or deputy deciding.

A raiser from outside asks from their receipt (the concern they raised names the child);
any practitioner may ask by the child's identifier (handlers.concern.outsider matches it the
same way, through the blind index). The request goes where a concern would: to the network's
active lead and deputy, or, for a child no client matched, to the asker's own organisation's
safeguarding people, who must confirm the child first (handlers.network.unconfirmed) and
then lead its network. The asker gets the same answer either way and sees nothing of the
client until approved; they are told the outcome by a pointer that says nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.acknowledge_rule import leads_client, may_decide_join
from handlers.child_identifier import parse_identifier
from handlers.concern.outsider import known_or_unconfirmed, network_heads, own_safeguarding
from handlers.invalid import Invalid
from handlers.outbox.delivery import enqueue_notice
from handlers.ports import Clock, Pointer
from handlers.values import Platform, PointerKind, Role
from store.models import JoinRequest, Membership, Practitioner, new_id
from store.unit_of_work import UnitOfWork

ASKED = (
    "Your request was sent to the people responsible for this child's safety; "
    "you will be told their answer"
)
NOT_YOURS = "You can ask to join only about a concern you raised"
APPROVED = "Approved: they are now a member of the network, and they have been told."
DECLINED = "Declined: they have been told."
CANNOT_DECIDE = (
    "This request is no longer yours to decide: it was decided already, or you no longer "
    "lead this network."
)


@dataclass(frozen=True)
class JoinAsked:
    """The same for every request: nothing says whether the child was known."""

    message: str = ASKED


@dataclass(frozen=True)
class PendingRequest:
    """A request the lead (or deputy) may decide: who asks, about which client."""

    request_id: str
    client_reference: str
    asker: str
    organisation: str
    job_title: str
    at: datetime


@dataclass(frozen=True)
class Decided:
    request_id: str
    approved: bool
    decider_id: str

    @property
    def message(self) -> str:
        """What the decider is told (the same words on every surface)."""
        return APPROVED if self.approved else DECLINED


class NotAllowed(Exception):
    """Not a pending request about a network this practitioner leads now."""


def ask_from_receipt(
    uow: UnitOfWork, *, asker_id: str, concern_id: str, clock: Clock
) -> JoinAsked | Invalid:
    """From the receipt of a concern they raised: about the child that concern is about."""
    with uow:
        concern = uow.concerns.get(concern_id)
        asker = uow.directory.practitioner(asker_id)
        if concern is None or concern.raiser_id != asker_id or asker is None:
            return Invalid({"concern": NOT_YOURS})
        return _ask(uow, asker, concern.client_id, at=clock.now())


def ask_by_identifier(
    uow: UnitOfWork, *, asker_id: str, identifier: str, clock: Clock
) -> JoinAsked | Invalid:
    """By the child's exact identifier, matched as a raise from outside would be."""
    child = parse_identifier(identifier, today=clock.now().date())
    if isinstance(child, Invalid):
        return child
    with uow:
        asker = uow.directory.practitioner(asker_id)
        if asker is None or not asker.active:
            return Invalid({"identifier": "You cannot ask to join"})
        client = known_or_unconfirmed(uow, child, at=clock.now())
        return _ask(uow, asker, client.id, at=clock.now())


def _ask(uow: UnitOfWork, asker: Practitioner, client_id: str, *, at: datetime) -> JoinAsked:
    if uow.join_requests.pending(client_id, asker.id) is None:
        request = JoinRequest(id=new_id(), client_id=client_id, asker_id=asker.id, created_at=at)
        uow.join_requests.add(request)
        uow.flush()
        deciders = [p for p, _role in network_heads(uow, client_id)]
        if not deciders:
            deciders = own_safeguarding(uow, asker)
        for person in deciders:
            enqueue_notice(
                uow,
                recipient_id=person.id,
                platform=person.preferred_platform,
                kind=PointerKind.JOIN_REQUEST,
                key=f"{_asked_key(request.id)}{person.id}",
                at=at,
                detail={"request": request.id},
            )
        uow.audit(
            "join.requested",
            at=at,
            actor_id=asker.id,
            subject=client_id,
            detail={"request": request.id, "to": len(deciders)},
        )
    uow.commit()
    return JoinAsked()


def pending_for(uow: UnitOfWork, *, practitioner_id: str) -> tuple[PendingRequest, ...]:
    """The pending requests about networks this practitioner leads (or deputises for) now."""
    with uow:
        led = [
            c.id
            for c in uow.directory.clients_of(practitioner_id)
            if leads_client(uow, c.id, practitioner_id)
        ]
        shown = []
        for request in uow.join_requests.pending_for_clients(led):
            client = uow.directory.client(request.client_id)
            asker = uow.directory.practitioner(request.asker_id)
            assert client is not None and asker is not None
            shown.append(
                PendingRequest(
                    request.id,
                    client.reference,
                    asker.name,
                    asker.organisation.name,
                    asker.job_title,
                    request.created_at,
                )
            )
        return tuple(shown)


def decide_join(
    uow: UnitOfWork, *, request_id: str, decider_id: str, approve: bool, clock: Clock
) -> Decided:
    """Approve (the asker becomes a member) or decline; audited, and the asker is told."""
    with uow:
        request = uow.join_requests.get(request_id)
        if request is None or not may_decide_join(uow, request, decider_id):
            raise NotAllowed(request_id)
        now = clock.now()
        request.state = "approved" if approve else "declined"
        request.decided_at, request.decided_by_id = now, decider_id
        asker = uow.directory.practitioner(request.asker_id)
        assert asker is not None
        if approve and uow.directory.membership(request.client_id, asker.id) is None:
            uow.directory.add(
                Membership(
                    id=new_id(),
                    client_id=request.client_id,
                    practitioner_id=asker.id,
                    role=Role.MEMBER.value,
                    created_at=now,
                )
            )
        enqueue_notice(
            uow,
            recipient_id=asker.id,
            platform=asker.preferred_platform,
            kind=PointerKind.JOIN_APPROVED if approve else PointerKind.JOIN_DECLINED,
            key=f"join-decided:{request.id}",
            at=now,
        )
        _settle_asked_pointers(uow, request, approve=approve, at=now)
        uow.audit(
            f"join.{request.state}",
            at=now,
            actor_id=decider_id,
            subject=request.client_id,
            detail={"request": request.id, "asker": asker.id},
        )
        uow.commit()
        return Decided(request.id, approve, decider_id)


def _asked_key(request_id: str) -> str:
    """The start of the outbox key of every pointer asking someone to decide this request."""
    return f"join:{request_id}:"


def _settle_asked_pointers(
    uow: UnitOfWork, request: JoinRequest, *, approve: bool, at: datetime
) -> None:
    """Every Approve/Decline pointer of this request becomes what was decided, in place, so no
    stale button stays in anyone's chat."""
    kind = _settled(approve)
    asked = uow.outbox.keyed_under(_asked_key(request.id), kinds=[PointerKind.JOIN_REQUEST.value])
    for original in asked:
        enqueue_notice(
            uow,
            recipient_id=original.recipient_id,
            platform=original.platform,
            kind=kind,
            key=f"join-decided:{request.id}:{original.id}",
            at=at,
            detail={"request": request.id},
            updates_id=original.id,
        )


def _settled(approved: bool) -> PointerKind:
    """What a decider's request pointer becomes."""
    return PointerKind.JOIN_REQUEST_APPROVED if approved else PointerKind.JOIN_REQUEST_DECLINED


def decided_pointer(decided: Decided, *, platform: Platform) -> Pointer:
    """What the decider's pressed card shows instead, where a platform refreshes it in place."""
    return Pointer(
        kind=_settled(decided.approved),
        recipient_id=decided.decider_id,
        platform=platform,
        idempotency_key=f"refresh-{decided.request_id}",
        by_recipient=True,
    )
