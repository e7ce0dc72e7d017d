"""Which client is the raiser talking about? Only clients in their own networks qualify.

A chat surface may list clients only by their pseudonymous reference (a label is a name and
must not reach a chat platform), or take a typed identifier, matched through the blind
index — never by a plaintext search — and never repeated back.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.invalid import Invalid
from handlers.name_and_birth import NAME_AND_BIRTH
from handlers.network.directory import find_client
from handlers.network.identity import ChatIdentity, Identified, Known, identify_in
from handlers.ports import Clock
from store.unit_of_work import UnitOfWork

IDENTIFIER_KINDS = ("nhs_number", NAME_AND_BIRTH)  # `Name, YYYY-MM-DD` for the latter
MAX_TYPED = 64


@dataclass(frozen=True)
class ClientOption:
    """A client the practitioner may raise about, by reference only (safe for chat)."""

    client_id: str
    reference: str


def client_options(uow: UnitOfWork, practitioner_id: str) -> tuple[ClientOption, ...]:
    """The clients in whose network the practitioner is, by reference; nothing decrypted."""
    with uow:
        return _options(uow, practitioner_id)


def _options(uow: UnitOfWork, practitioner_id: str) -> tuple[ClientOption, ...]:
    return tuple(ClientOption(c.id, c.reference) for c in uow.directory.clients_of(practitioner_id))


@dataclass(frozen=True)
class Raiser:
    """Who is raising from chat, the clients they may raise about, and the one they named."""

    who: Identified
    clients: tuple[ClientOption, ...] = ()
    chosen: str | None = None  # the client a word typed after the command named, if theirs


def raiser_and_clients(
    uow: UnitOfWork,
    who: ChatIdentity,
    *,
    clock: Clock,
    typed: str = "",
    email_lookup_follows: bool = False,
) -> Raiser:
    """Who is raising (`identify`) and, if known, their clients and the one `typed` names
    (`match_client`): one transaction, for the raise form a chat surface fills in while its
    loading view shows (two transactions cost a pool check-out, BEGIN and ROLLBACK more)."""
    with uow:
        outcome = identify_in(uow, who, clock=clock, email_lookup_follows=email_lookup_follows)
        if not isinstance(outcome, Known):
            return Raiser(outcome)
        chosen = _typed(uow, outcome.practitioner_id, typed) if typed else None
        return Raiser(outcome, _options(uow, outcome.practitioner_id), chosen)


def _mine(uow: UnitOfWork, practitioner_id: str, client_id: str | None) -> str | None:
    if client_id is None or uow.directory.membership(client_id, practitioner_id) is None:
        return None
    return client_id


def _typed(uow: UnitOfWork, practitioner_id: str, typed: str) -> str | None:
    typed = typed.strip()
    if not typed or len(typed) > MAX_TYPED:
        return None
    by_reference = uow.directory.client_by_reference(typed.upper())
    if by_reference is not None:
        return _mine(uow, practitioner_id, by_reference.id)
    found = find_client(uow, raw=typed, kinds=IDENTIFIER_KINDS)
    return _mine(uow, practitioner_id, found.id if found else None)


def match_client(uow: UnitOfWork, practitioner_id: str, typed: str) -> str | None:
    """A reference or an identifier typed after a command -> a client of theirs, or None."""
    with uow:
        return _typed(uow, practitioner_id, typed)


def resolve_client(
    uow: UnitOfWork, practitioner_id: str, *, chosen: str, identifier: str
) -> str | Invalid:
    """The client picked from the list or named by identifier; errors never echo the input."""
    with uow:
        picked = _mine(uow, practitioner_id, chosen) if chosen else None
        if chosen and picked is None:
            return Invalid({"client": "Choose a client whose network you are in"})
        if not identifier.strip():
            if picked is None:
                return Invalid({"client": "Choose the client, or enter their NHS number"})
            return picked
        matched = _typed(uow, practitioner_id, identifier)
        if matched is None:
            return Invalid({"identifier": "No client in your networks has that identifier"})
        if picked is not None and picked != matched:
            return Invalid({"identifier": "That identifier is for a different client"})
        return matched
