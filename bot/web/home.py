"""The home page: what Flare is, and for a signed-in practitioner what waits for them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from bot.web.rendering import Page, PageRoute, page_for
from handlers.my_work.awaiting import what_awaits

router = APIRouter(route_class=PageRoute)


@router.get("/")
def home(page: Annotated[Page, Depends(page_for)]) -> Response:
    me = page.me()
    awaiting = (
        what_awaits(page.deps.uow(), practitioner_id=me.practitioner_id, clock=page.deps.clock)
        if me
        else None
    )
    return page.render("home.html", awaiting=awaiting)
