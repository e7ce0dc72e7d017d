"""The legal hold page: a data protection officer finds a client by an exact identifier and
sets or lifts its legal hold (handlers.retention.legal_hold). Nothing is listed or browsed.

A recent sign-in is required (FLARE_STEP_UP_MINUTES, as for a child's history); every form
posts with CSRF; anyone but a DPO gets a 403, and the refusal is audited. The identifier is
posted, never put in a URL, and never shown back.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Response

from bot.web.admin_partnership import refusal
from bot.web.rendering import Page, PageRoute, page_for
from handlers.retention.legal_hold import (
    LIFT_REASONS,
    SET_REASONS,
    HoldPage,
    NotOfficer,
    change_legal_hold,
    find_for_hold,
    require_officer,
)

router = APIRouter(route_class=PageRoute)
PageDep = Annotated[Page, Depends(page_for)]
PATH = "/admin/legal-hold"
CLIENT_ID = re.compile(r"^[0-9a-f]{32}$")
ACTIONS = {"set": True, "lift": False}


def _render(page: Page, shown: HoldPage, *, reason: str = "") -> Response:
    notice = ""
    if shown.changed and shown.status is not None:
        state = "is now under" if shown.status.held_since else "is no longer under"
        notice = f"{shown.status.client_reference} {state} a legal hold. This is recorded."
    return page.render(
        "admin_legal_hold.html",
        status=400 if shown.errors else 200,
        shown=shown,
        errors=dict(shown.errors),
        notice=notice,
        set_reasons=[(r.value, r.label) for r in SET_REASONS],
        lift_reasons=[(r.value, r.label) for r in LIFT_REASONS],
        reason=reason,
    )


@router.get(PATH)
def legal_hold_page(page: PageDep) -> Response:
    me = page.require_recent_sign_in(after=PATH)
    try:
        with page.deps.uow() as uow:
            require_officer(uow, practitioner_id=me.practitioner_id, clock=page.deps.clock)
    except NotOfficer:
        raise refusal() from None
    return _render(page, HoldPage(None))


@router.post(f"{PATH}/find")
def find_client(
    page: PageDep, csrf: Annotated[str, Form()] = "", identifier: Annotated[str, Form()] = ""
) -> Response:
    page.check_csrf(csrf)
    me = page.require_recent_sign_in(after=PATH)
    try:
        shown = find_for_hold(
            page.deps.uow(),
            officer_id=me.practitioner_id,
            identifier=identifier[:200],
            clock=page.deps.clock,
        )
    except NotOfficer:
        raise refusal() from None
    return _render(page, shown)


@router.post(f"{PATH}/change")
def change_hold(
    page: PageDep,
    csrf: Annotated[str, Form()] = "",
    client_id: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    page.check_csrf(csrf)
    me = page.require_recent_sign_in(after=PATH)
    if not CLIENT_ID.match(client_id) or action not in ACTIONS:
        return _render(page, HoldPage(None, {"identifier": "Find the client by identifier"}))
    try:
        shown = change_legal_hold(
            page.deps.uow(),
            officer_id=me.practitioner_id,
            client_id=client_id,
            held=ACTIONS[action],
            reason=reason,
            clock=page.deps.clock,
        )
    except NotOfficer:
        raise refusal() from None
    return _render(page, shown, reason=reason)
