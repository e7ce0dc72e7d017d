"""Who may read a concern now: the one rule every read, link and pointer goes through.

Access follows the present (DESIGN.md invariant 9). A practitioner may read a concern when
they are active, it was delivered to them, and they are still entitled to it: its raiser,
someone it was escalated to as a duty contact, or a current member of the client's
network. Removal from the network or deactivation takes effect on the next request: the
concern page, the chronology, the network page, follow-ups, links in open pointers and
pointers still waiting in the outbox all ask `may_read` (or `member_of` for the client).

A recorded decision not to share is read by its raiser and, as they are now, by the raiser's
organisation's safeguarding lead and data protection officer; never by the network
(`oversees_decision`). Pages that show a concern or a client's record ask `may_show`, which
is either rule; the client's record and the list of decisions find the ones a reader oversees
with `decisions_overseen` (which asks `oversees_decision` of each).
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.memberships import membership_in
from handlers.values import ConcernStatus, DeliveryRole
from store.models import Concern, Delivery, Membership
from store.unit_of_work import UnitOfWork


def is_active(uow: UnitOfWork, practitioner_id: str) -> bool:
    """The practitioner exists and has not left (a leaver reads nothing)."""
    person = uow.directory.practitioner(practitioner_id)
    return person is not None and person.active


def member_of(uow: UnitOfWork, client_id: str, practitioner_id: str) -> Membership | None:
    """The practitioner's current membership of the client's network, if they are active."""
    if not is_active(uow, practitioner_id):
        return None
    return uow.directory.membership(client_id, practitioner_id)


def entitled(
    uow: UnitOfWork,
    concern: Concern,
    delivery: Delivery,
    *,
    network: Sequence[Membership] | None = None,
) -> bool:
    """Whether `delivery`'s recipient is still entitled to its concern (the rule, given one).
    Pass the client's `network` if this transaction has read it."""
    person = uow.directory.practitioner(delivery.recipient_id)
    if person is None or not person.active or delivery.concern_id != concern.id:
        return False
    if delivery.role == DeliveryRole.OUTSIDER:
        return False  # raised from outside the network: a receipt, never the concern
    if concern.raiser_id == person.id or delivery.role == DeliveryRole.DUTY:
        return True
    return membership_in(uow, concern.client_id, person.id, network) is not None


def readable_delivery(
    uow: UnitOfWork,
    concern: Concern,
    practitioner_id: str,
    *,
    deliveries: Sequence[Delivery] | None = None,
    network: Sequence[Membership] | None = None,
) -> Delivery | None:
    """The practitioner's delivery of the concern, when they may read it now; else None.
    Pass the concern's `deliveries` and the client's `network` if this transaction has read
    them (the concern page does), so the rule reads them off those rows."""
    if deliveries is None:
        delivery = uow.concerns.delivery_for(concern.id, practitioner_id)
    else:
        delivery = next((d for d in deliveries if d.recipient_id == practitioner_id), None)
    if delivery is None or not entitled(uow, concern, delivery, network=network):
        return None
    return delivery


def may_read(uow: UnitOfWork, practitioner_id: str, concern: Concern) -> bool:
    """True when the practitioner may read the concern at this moment."""
    return readable_delivery(uow, concern, practitioner_id) is not None


def oversees_decision(uow: UnitOfWork, practitioner_id: str, concern: Concern) -> bool:
    """A decision not to share: its raiser, their organisation's safeguarding lead and its DPO
    (whoever holds those roles now) may read it, and nobody in the network for being there."""
    if concern.status != ConcernStatus.NOT_SHARED or not is_active(uow, practitioner_id):
        return False
    if concern.raiser_id == practitioner_id:
        return True
    raiser = uow.directory.practitioner(concern.raiser_id)
    if raiser is None:
        return False
    organisation = raiser.organisation
    return practitioner_id in (organisation.safeguarding_lead_id, organisation.dpo_id)


def may_show(uow: UnitOfWork, practitioner_id: str, concern: Concern) -> bool:
    """Whether a page may show the concern to this reader now (the concern page, the client's
    record): a recipient still entitled to it, or someone who oversees a decision not to share.
    Acting on a concern (adding to it, following it up) stays with `may_read`."""
    return may_read(uow, practitioner_id, concern) or oversees_decision(
        uow, practitioner_id, concern
    )


def decisions_overseen(
    uow: UnitOfWork, practitioner_id: str, *, client_id: str | None = None, first: bool = False
) -> Sequence[Concern]:
    """The decisions not to share this practitioner oversees now, newest first: their own and,
    as safeguarding lead or DPO, those recorded by people of their organisation (with `first`,
    at most the newest one: enough to know there is any)."""
    if not is_active(uow, practitioner_id):
        return ()
    found = uow.concerns.not_shared_for_overseer(
        practitioner_id, client_id=client_id, limit=1 if first else None
    )
    return tuple(c for c in found if oversees_decision(uow, practitioner_id, c))
