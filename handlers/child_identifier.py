"""A child named by an exact identifier: an NHS number or name plus date of birth (through the
blind index), or a client reference. The one home for reading what someone typed and matching
it, for raising about any child from outside the network, asking to join a network, a DPO's
legal hold and the subject access export.

Nothing is listed or browsed: a typed identifier matches one client or none, and an error
never echoes what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from handlers.invalid import Invalid
from handlers.name_and_birth import (
    NAME_AND_BIRTH,
    BadNameAndBirth,
    checked,
    looks_like_name_and_birth,
)
from store.crypto import NORMALISERS, InvalidIdentifier, looks_like_nhs_number
from store.models import Client
from store.unit_of_work import UnitOfWork

BAD_IDENTIFIER = (
    "Enter the child's NHS number (10 digits), their client reference, "
    "or their name and date of birth (Jane Smith, 2019-04-23)"
)
IDENTIFIER_LABEL = "The child's NHS number, client reference, or name and date of birth"
IDENTIFIER_HINT = (
    "Type it exactly. For a name and date of birth, put a comma between them: "
    "Jane Smith, 2019-04-23."
)
MAX_IDENTIFIER = 120


@dataclass(frozen=True)
class ChildIdentifier:
    """What was typed, checked for its shape only (never against the store)."""

    kind: str  # "nhs_number" | "reference" | "name_dob"
    raw: str


def parse_identifier(typed: str, *, today: date | None = None) -> ChildIdentifier | Invalid:
    """An NHS number, a client reference, or `Name, date of birth` (a date of birth not after
    `today`, when given), by shape alone; the error never echoes it. A comma makes a name and
    date of birth only when a date follows the last one; a reference may hold commas."""
    typed = typed.strip()
    if not typed or len(typed) > MAX_IDENTIFIER:
        return Invalid({"identifier": BAD_IDENTIFIER})
    if looks_like_name_and_birth(typed):
        try:
            return ChildIdentifier(NAME_AND_BIRTH, checked(typed, today=today))
        except BadNameAndBirth as bad:
            return Invalid({"identifier": str(bad)})
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
