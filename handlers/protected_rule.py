"""Who may see a concern's protected identities: the one rule every page and export calls.

The raiser names people whose identity must be protected (a neighbour who told them, a
relative at risk). Those names are sealed in their own field (`ConcernField.PROTECTED`)
and shown only to two people: the **lead professional** of the client's network now (a
current, active `lead` membership; a deputy, a member, a duty contact or an admin is not
the lead) and the **raiser** (while active, and not one who raised from outside the
network: they get a receipt, never the concern). Everyone else who may read the concern sees
only how many people are withheld, as `withheld_sentence` words it; the count is of
entries (one per line, comma or semicolon), never of characters, so the length of the names
tells nothing.

Even the lead and the raiser see them hidden by default: they reveal them with a signed-in
POST, audited as `concern.identities_revealed` (no names in the detail), and the names are
shown on that one response only. This rule is on top of the read rule
(`handlers.network.access.may_read`): whoever may not read the concern sees nothing at all.
The concern page, the chronology (which never shows them) and any export (the subject
access export redacts them) go through `may_see_protected_identities`.
"""

from __future__ import annotations

import re

from handlers.values import DeliveryRole, Role
from store.models import Concern
from store.unit_of_work import UnitOfWork

# One entry per line, comma or semicolon: "the neighbour, her sister" is two people.
_SEPARATORS = re.compile(r"[\n\r,;]+")


def may_see_protected_identities(uow: UnitOfWork, concern: Concern, practitioner_id: str) -> bool:
    """True when the practitioner is the concern's raiser or the client's lead, and active."""
    person = uow.directory.practitioner(practitioner_id)
    if person is None or not person.active:
        return False
    if concern.raiser_id == person.id:  # raised from outside the network: a receipt only
        delivery = uow.concerns.delivery_for(concern.id, person.id)
        return delivery is not None and delivery.role != DeliveryRole.OUTSIDER
    membership = uow.directory.membership(concern.client_id, person.id)
    return membership is not None and membership.role == Role.LEAD


def count_identities(text: str) -> int:
    """How many people the protected-identities field names (non-blank entries)."""
    return sum(1 for entry in _SEPARATORS.split(text) if entry.strip())


def withheld_sentence(count: int) -> str:
    """What a reader sees in place of the names: "1 person's identity is withheld"."""
    if count == 1:
        return "1 person's identity is withheld"
    return f"{count} people's identities are withheld"
