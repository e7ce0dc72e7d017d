"""Confirming a child Flare did not know: probable duplicates first, then a name, and the
one confirming leads the new network. Each request is one call into
`handlers.network.unconfirmed`; anyone it was not sent to gets the same 403."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Response

from bot.web.rendering import Page, PageError, PageRoute, page_for
from handlers.network.unconfirmed import (
    Confirmed,
    NotAllowed,
    Unconfirmed,
    confirm_client,
    unconfirmed,
)

router = APIRouter(route_class=PageRoute)
CLIENT_ID = re.compile(r"^[0-9a-f]{32}$")
KINDS = {
    "nhs_number": "NHS number",
    "reference": "Client reference",
    "name_dob": "Name and date of birth",
}
PageDep = Annotated[Page, Depends(page_for)]


def _refused() -> PageError:
    return PageError(
        403,
        "You cannot confirm this child",
        "Only the safeguarding people a concern about this child was sent to can confirm them.",
    )


def _show(page: Page, child: Unconfirmed, *, label: str = "", errors: dict[str, str]) -> Response:
    return page.render(
        "confirm_child.html",
        status=400 if errors else 200,
        child=child,
        kinds=KINDS,
        label=label,
        errors=errors,
    )


@router.get("/clients/{client_id}/confirm")
def confirm_page(client_id: str, page: PageDep) -> Response:
    me = page.require_me(after=f"/clients/{client_id}/confirm")
    if not CLIENT_ID.match(client_id):
        raise _refused()
    try:
        child = unconfirmed(
            page.deps.uow(), client_id=client_id, practitioner_id=me.practitioner_id
        )
    except NotAllowed:
        raise _refused() from None
    return _show(page, child, errors={})


@router.post("/clients/{client_id}/confirm")
def confirm(
    client_id: str,
    page: PageDep,
    csrf: Annotated[str, Form()] = "",
    label: Annotated[str, Form()] = "",
    despite: Annotated[str, Form()] = "",
) -> Response:
    page.check_csrf(csrf)
    me = page.require_me(after=f"/clients/{client_id}/confirm")
    if not CLIENT_ID.match(client_id):
        raise _refused()
    uow, at = page.deps.uow, page.deps.clock.now()
    try:
        outcome = confirm_client(
            uow(),
            client_id=client_id,
            practitioner_id=me.practitioner_id,
            label=label,
            at=at,
            despite_duplicates=despite == "yes",
        )
        if isinstance(outcome, Confirmed):
            return page.redirect(f"/clients/{outcome.client_id}/network")
        child = (
            outcome
            if isinstance(outcome, Unconfirmed)
            else unconfirmed(uow(), client_id=client_id, practitioner_id=me.practitioner_id)
        )
    except NotAllowed:
        raise _refused() from None
    errors = outcome if isinstance(outcome, dict) else {}
    if isinstance(outcome, Unconfirmed):
        errors = {"despite": "Check these probable duplicates before you confirm"}
    return _show(page, child, label=label, errors=errors)
