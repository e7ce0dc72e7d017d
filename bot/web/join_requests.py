"""Asking to join a child's network, and the lead's approve or decline, on the web.

`/join` asks by the child's identifier; the receipt of a concern raised from outside asks
with that concern (`/join/from-receipt`); both answer with the same page whatever matched.
`/join-requests` lists the requests the signed-in lead or deputy may decide. Each request is
one call into `handlers.concern.joining`.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Response

from bot.web.rendering import Page, PageError, PageRoute, page_for
from handlers.concern.joining import (
    ASKED,
    NotAllowed,
    ask_by_identifier,
    ask_from_receipt,
    decide_join,
    pending_for,
)
from handlers.invalid import Invalid

router = APIRouter(route_class=PageRoute)
PageDep = Annotated[Page, Depends(page_for)]
ROW_ID = re.compile(r"^[0-9a-f]{32}$")


def _asked(page: Page, outcome: object, *, errors_page: str = "join.html") -> Response:
    if isinstance(outcome, Invalid):
        return page.render(errors_page, status=400, errors=dict(outcome.errors))
    return page.render("join_asked.html", message=ASKED)


@router.get("/join")
def join_start(page: PageDep) -> Response:
    page.require_me(after="/join")
    return page.render("join.html", errors={})


@router.post("/join")
def join_by_identifier(
    page: PageDep, csrf: Annotated[str, Form()] = "", identifier: Annotated[str, Form()] = ""
) -> Response:
    page.check_csrf(csrf)
    me = page.require_me(after="/join")
    outcome = ask_by_identifier(
        page.deps.uow(),
        asker_id=me.practitioner_id,
        identifier=identifier,
        clock=page.deps.clock,
    )
    return _asked(page, outcome)


@router.post("/join/from-receipt")
def join_from_receipt(
    page: PageDep, csrf: Annotated[str, Form()] = "", concern: Annotated[str, Form()] = ""
) -> Response:
    page.check_csrf(csrf)
    me = page.require_me(after="/join")
    if not ROW_ID.match(concern):
        return page.render("join.html", status=400, errors={"identifier": "Ask by identifier"})
    outcome = ask_from_receipt(
        page.deps.uow(),
        asker_id=me.practitioner_id,
        concern_id=concern,
        clock=page.deps.clock,
    )
    return _asked(page, outcome)


@router.get("/join-requests")
def join_requests(page: PageDep) -> Response:
    me = page.require_me(after="/join-requests")
    pending = pending_for(page.deps.uow(), practitioner_id=me.practitioner_id)
    return page.render("join_requests.html", pending=pending)


@router.post("/join-requests/{request_id}")
def decide(
    request_id: str,
    page: PageDep,
    csrf: Annotated[str, Form()] = "",
    decision: Annotated[str, Form()] = "",
) -> Response:
    page.check_csrf(csrf)
    me = page.require_me(after="/join-requests")
    if not ROW_ID.match(request_id) or decision not in ("approve", "decline"):
        raise PageError(400, "That is not a request you can decide", "Go back and try again.")
    try:
        decide_join(
            page.deps.uow(),
            request_id=request_id,
            decider_id=me.practitioner_id,
            approve=decision == "approve",
            clock=page.deps.clock,
        )
    except NotAllowed:
        raise PageError(
            403,
            "You cannot decide this request",
            "Only the lead or deputy of the child's network decides, once.",
        ) from None
    return page.redirect("/join-requests")
