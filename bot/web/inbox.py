"""The inbox: what awaits the signed-in practitioner."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from bot.web.rendering import Page, PageRoute, page_for
from handlers.my_work.awaiting import what_awaits

router = APIRouter(route_class=PageRoute)


@router.get("/inbox")
def inbox_page(page: Annotated[Page, Depends(page_for)]) -> Response:
    me = page.require_me(after="/inbox")
    awaiting = what_awaits(
        page.deps.uow(),
        practitioner_id=me.practitioner_id,
        clock=page.deps.clock,
        with_actions=True,
    )
    return page.render("inbox.html", awaiting=awaiting)
