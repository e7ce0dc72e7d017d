"""A child raised about by an identifier Flare did not know: confirmed, it becomes a client.

A raise from outside that matches no client (handlers.concern.outsider) makes an unconfirmed
client: no network, a placeholder label, and the typed identifier kept as *reported* (kind
`reported_<kind>`, same blind digest) so that it is not found as a real identifier. The
safeguarding people it went to (their deliveries are "duty") confirm it: they see probable
duplicates first (real clients with the same identifiers, through the blind index), give the
child's name, and become the new network's lead (the one confirming) and deputy (another of
those it went to). Confirming is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.values import DeliveryRole, Role
from store.models import Client, ClientIdentifier, Membership, new_id
from store.sealed import ClientField, IdentifierField
from store.unit_of_work import UnitOfWork

REPORTED = "reported_"  # prefix of an identifier kind that is only reported, not confirmed
UNCONFIRMED_LABEL = "Not yet identified: confirm the child's details"
MAX_LABEL = 200
LABEL_MISSING = "Enter the child's name (and age, if you know it)"


@dataclass(frozen=True)
class Unconfirmed:
    """What the confirming page shows: the identifiers reported, and probable duplicates."""

    client_id: str
    reported: tuple[tuple[str, str], ...]  # (kind, value) as typed by the raiser
    duplicates: tuple[str, ...]  # references of real clients with the same identifiers


@dataclass(frozen=True)
class Confirmed:
    client_id: str
    reference: str
    lead_id: str
    deputy_id: str | None


class NotAllowed(Exception):
    """Not an unconfirmed client, or not one this practitioner was sent a concern about."""


def _allowed(uow: UnitOfWork, client_id: str, practitioner_id: str) -> Client:
    client = uow.directory.client(client_id)
    if client is None or uow.directory.network(client_id) or not _reported(uow, client):
        raise NotAllowed(client_id)
    if practitioner_id not in _sent_to(uow, client_id):
        raise NotAllowed(client_id)
    return client


def _reported(uow: UnitOfWork, client: Client) -> list[ClientIdentifier]:
    return [i for i in uow.directory.identifiers(client.id) if i.kind.startswith(REPORTED)]


def _sent_to(uow: UnitOfWork, client_id: str) -> list[str]:
    """Who the concerns about this client went to as safeguarding people, earliest first."""
    people: list[str] = []
    for concern in uow.concerns.for_client(client_id):
        for delivery in uow.concerns.deliveries(concern.id):
            if delivery.role == DeliveryRole.DUTY and delivery.recipient_id not in people:
                people.append(delivery.recipient_id)
    return people


def _duplicates(uow: UnitOfWork, client: Client) -> tuple[str, ...]:
    found = []
    for ident in _reported(uow, client):
        kind = ident.kind.removeprefix(REPORTED)
        if kind == "reference":
            raw = uow.sealed.identifier(client, ident).open(IdentifierField.VALUE)
            other = uow.directory.client_by_reference(raw.upper())
        else:
            other = uow.directory.client_by_blind(kind, ident.blind)
        if other is not None and other.id != client.id:
            found.append(other.reference)
    return tuple(sorted(set(found)))


def may_confirm(uow: UnitOfWork, *, client_id: str, practitioner_id: str) -> bool:
    """Whether the concern page offers this practitioner to confirm the child."""
    with uow:
        return offers_confirmation(uow, client_id=client_id, practitioner_id=practitioner_id)


def offers_confirmation(uow: UnitOfWork, *, client_id: str, practitioner_id: str) -> bool:
    """`may_confirm` inside the caller's open unit of work (the concern page's one read)."""
    try:
        _allowed(uow, client_id, practitioner_id)
    except NotAllowed:
        return False
    return True


def unconfirmed(uow: UnitOfWork, *, client_id: str, practitioner_id: str) -> Unconfirmed:
    """The child to confirm, for one of those the concern went to; NotAllowed otherwise."""
    with uow:
        return _unconfirmed(uow, _allowed(uow, client_id, practitioner_id))


def _unconfirmed(uow: UnitOfWork, client: Client) -> Unconfirmed:
    reported = tuple(
        (
            i.kind.removeprefix(REPORTED),
            uow.sealed.identifier(client, i).open(IdentifierField.VALUE),
        )
        for i in _reported(uow, client)
    )
    return Unconfirmed(client.id, reported, _duplicates(uow, client))


def confirm_client(
    uow: UnitOfWork,
    *,
    client_id: str,
    practitioner_id: str,
    label: str,
    at: datetime,
    despite_duplicates: bool = False,
) -> Confirmed | Unconfirmed | dict[str, str]:
    """Make the child a client with a network; probable duplicates come back unless accepted.

    Returns the field errors if the label is missing or too long.
    """
    label = label.strip()
    if not label or len(label) > MAX_LABEL:
        return {"label": LABEL_MISSING}
    with uow:
        client = _allowed(uow, client_id, practitioner_id)
        duplicates = _duplicates(uow, client)
        if duplicates and not despite_duplicates:
            return _unconfirmed(uow, client)
        for ident in _reported(uow, client):
            kind = ident.kind.removeprefix(REPORTED)
            if uow.directory.client_by_blind(kind, ident.blind) is None:
                ident.kind = kind  # now found by it; a duplicate's stays reported
        uow.sealed.client(client).seal(ClientField.LABEL, label)
        others = [p for p in _sent_to(uow, client_id) if p != practitioner_id]
        deputy = others[0] if others else None
        for person, role in ((practitioner_id, Role.LEAD), (deputy, Role.DEPUTY)):
            if person is not None:
                uow.directory.add(
                    Membership(
                        id=new_id(),
                        client_id=client.id,
                        practitioner_id=person,
                        role=role.value,
                        created_at=at,
                    )
                )
        uow.audit(
            "client.confirmed",
            at=at,
            actor_id=practitioner_id,
            subject=client.id,
            detail={"duplicates": len(duplicates), "despite_duplicates": despite_duplicates},
        )
        uow.commit()
        return Confirmed(client.id, client.reference, practitioner_id, deputy)
