"""The home page: what Flare is, and for a signed-in practitioner their concerns."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from bot.web.rendering import Page, PageRoute, page_for
from handlers.concern.viewing import inbox

router = APIRouter(route_class=PageRoute)


@router.get("/")
def home(page: Annotated[Page, Depends(page_for)]) -> Response:
    me = page.me()
    mine = inbox(page.deps.uow(), practitioner_id=me.practitioner_id) if me else None
    return page.render("home.html", inbox=mine)
