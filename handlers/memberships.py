"""A practitioner's membership of a client's network, read off rows already in hand.

The access rule (`network.access`) and who leads a network (`acknowledge_rule`) both ask it;
a page that has read the client's network passes those rows, so neither reads them again.
"""

from __future__ import annotations

from collections.abc import Sequence

from store.models import Membership
from store.unit_of_work import UnitOfWork


def membership_in(
    uow: UnitOfWork,
    client_id: str,
    practitioner_id: str,
    network: Sequence[Membership] | None = None,
) -> Membership | None:
    """The practitioner's membership of the client's network: read off `network` (the
    client's memberships, read in this transaction) when given, else looked up."""
    if network is None:
        return uow.directory.membership(client_id, practitioner_id)
    return next(
        (m for m in network if m.client_id == client_id and m.practitioner_id == practitioner_id),
        None,
    )
