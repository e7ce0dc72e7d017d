"""Step one of raising: check the answers and show who the concern would reach."""

from __future__ import annotations

from handlers.concern.raising import RaiseConcern, validate
from handlers.invalid import Invalid
from handlers.network.routing import NotInNetwork, ShareOptions, who_can_i_share_with
from handlers.values import Category, Severity
from store.unit_of_work import UnitOfWork


def preview_raise(uow: UnitOfWork, cmd: RaiseConcern) -> ShareOptions | Invalid:
    """Validate the raiser's answers, then list the network with the policy's recommendation.

    Reads only: nothing is stored until the raiser confirms the recipients.
    """
    errors = validate(cmd)
    with uow:
        try:
            options = who_can_i_share_with(
                uow,
                raiser_id=cmd.raiser_id,
                client_id=cmd.client_id,
                category=cmd.category,
                severity=cmd.severity,
            )
        except NotInNetwork:
            errors["client"] = "Choose a client whose network you are in"
            return Invalid(errors)
    return Invalid(errors) if errors else options


def preview_recipients(
    uow: UnitOfWork, *, raiser_id: str, client_id: str, category: Category, severity: Severity
) -> ShareOptions | None:
    """Who a concern of this kind about this client would reach; None if not in the network.

    For forms that ask the routing choices first and the answers after (the Teams dialog).
    """
    with uow:
        try:
            return who_can_i_share_with(
                uow, raiser_id=raiser_id, client_id=client_id, category=category, severity=severity
            )
        except NotInNetwork:
            return None
