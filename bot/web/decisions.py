"""The decisions not to share the signed-in reader oversees (their own; as safeguarding lead
or DPO, those of their organisation's people), each a link to its concern page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from bot.web.rendering import Page, PageRoute, page_for
from handlers.concern.oversight import DECISIONS_PAGE, decisions_to_oversee

router = APIRouter(route_class=PageRoute)
PATH = DECISIONS_PAGE[0]


@router.get(PATH)
def decisions_page(page: Annotated[Page, Depends(page_for)]) -> Response:
    me = page.require_me(after=PATH)
    view = decisions_to_oversee(
        page.deps.uow(), practitioner_id=me.practitioner_id, clock=page.deps.clock
    )
    return page.render("decisions.html", view=view)
