"""The playground pages (demo and test only): every demo practitioner's chat inbox.

Acting here goes through the same handlers as Slack and Teams: the Acknowledge button calls
`acknowledge` as that practitioner, like pressing the button in a chat message.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Response

from bot.playground.chat import message_counts, messages_for
from bot.web.rendering import Page, PageError, PageRoute, page_for
from bot.web.signin_demo import sign_in_as
from handlers.follow_through.acknowledge import Acknowledged, AlreadyAcknowledged, acknowledge
from handlers.network.people import PersonSummary, active_practitioner, active_practitioners

router = APIRouter(route_class=PageRoute)
PageDep = Annotated[Page, Depends(page_for)]
OPAQUE = re.compile(r"^[0-9a-f]{32}$")
NOTICES = {
    "acknowledged": "Acknowledged. The person who raised it gets a receipt in their chat.",
    "already": "This concern was already acknowledged.",
    "not_allowed": "Only the lead professional or deputy can acknowledge this concern.",
}


def _person(page: Page, practitioner_id: str) -> PersonSummary:
    person = (
        active_practitioner(page.deps.uow(), practitioner_id)
        if OPAQUE.match(practitioner_id)
        else None
    )
    if person is None:
        raise PageError(404, "No such demo practitioner", "Go back to the playground.")
    return person


@router.get("/playground")
def playground(page: PageDep) -> Response:
    people = active_practitioners(page.deps.uow())
    counts = message_counts(page.deps.uow())
    return page.render("playground/index.html", people=people, counts=counts, me=page.me())


@router.get("/playground/{practitioner_id}")
def chat_inbox(practitioner_id: str, page: PageDep) -> Response:
    person = _person(page, practitioner_id)
    notice = NOTICES.get(page.browser.recall("notice") or "")
    page.browser.remember("notice", None)
    return page.render(
        "playground/inbox.html",
        person=person,
        messages=messages_for(page.deps.uow(), person.practitioner_id),
        notice=notice,
        me=page.me(),
    )


@router.post("/playground/{practitioner_id}/acknowledge/{concern_id}")
def acknowledge_from_chat(
    practitioner_id: str, concern_id: str, page: PageDep, csrf: Annotated[str, Form()] = ""
) -> Response:
    page.check_csrf(csrf)
    person = _person(page, practitioner_id)
    if not OPAQUE.match(concern_id):
        raise PageError(404, "No such concern", "Go back to the playground.")
    outcome = acknowledge(
        page.deps.uow(),
        concern_id=concern_id,
        practitioner_id=person.practitioner_id,
        clock=page.deps.clock,
        via="playground",
    )
    notice = (
        "acknowledged"
        if isinstance(outcome, Acknowledged)
        else "already"
        if isinstance(outcome, AlreadyAcknowledged)
        else "not_allowed"
    )
    page.browser.remember("notice", notice)
    return page.redirect(f"/playground/{person.practitioner_id}")


@router.post("/playground/{practitioner_id}/signin")
def sign_in_from_playground(
    practitioner_id: str, page: PageDep, csrf: Annotated[str, Form()] = ""
) -> Response:
    page.check_csrf(csrf)
    person = _person(page, practitioner_id)
    return sign_in_as(page, person.practitioner_id, person.ref, then="/")


@router.post("/playground/{practitioner_id}/raise")
def raise_from_playground(
    practitioner_id: str, page: PageDep, csrf: Annotated[str, Form()] = ""
) -> Response:
    page.check_csrf(csrf)
    person = _person(page, practitioner_id)
    page.browser.remember("link", None)  # raising, not opening a link
    return sign_in_as(page, person.practitioner_id, person.ref, then="/raise")
