"""A child named by an exact identifier: an NHS number (through the blind index) or a client
reference. The one home for reading what someone typed and matching it, for raising about
any child from outside the network, asking to join a network and a DPO's legal hold.

Nothing is listed or browsed: a typed identifier matches one client or none, and an error
never echoes what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.invalid import Invalid
from store.crypto import NORMALISERS, InvalidIdentifier, looks_like_nhs_number
from store.models import Client
from store.unit_of_work import UnitOfWork

BAD_IDENTIFIER = "Enter the child's NHS number (10 digits) or their client reference"
MAX_IDENTIFIER = 64


@dataclass(frozen=True)
class ChildIdentifier:
    """What was typed, checked for its shape only (never against the store)."""

    kind: str  # "nhs_number" | "reference"
    raw: str


def parse_identifier(typed: str) -> ChildIdentifier | Invalid:
    """An NHS number or a client reference, by shape alone; the error never echoes it."""
    typed = typed.strip()
    if not typed or len(typed) > MAX_IDENTIFIER:
        return Invalid({"identifier": BAD_IDENTIFIER})
    kind = "nhs_number" if looks_like_nhs_number(typed) else "reference"
    try:
        NORMALISERS[kind](typed)
    except InvalidIdentifier:
        return Invalid({"identifier": BAD_IDENTIFIER})
    return ChildIdentifier(kind, typed if kind == "nhs_number" else typed.upper())


def blind_digest(uow: UnitOfWork, child: ChildIdentifier) -> str:
    """The identifier's blind-index digest (made for either kind, so the work looks alike)."""
    return uow.vault.blind_index().digest(child.kind, child.raw)


def known_client(uow: UnitOfWork, child: ChildIdentifier, blind: str) -> Client | None:
    """The client the identifier names: through the blind index, or by its reference."""
    if child.kind == "reference":
        return uow.directory.client_by_reference(child.raw)
    return uow.directory.client_by_blind(child.kind, blind)
