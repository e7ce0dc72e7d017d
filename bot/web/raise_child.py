"""Raise about any child, by identifier: one page, one POST, the same confirmation always.

The page asks for the child's NHS number, client reference, or name and date of birth
(`Name, YYYY-MM-DD`) and the step-one answers, and
each request is one call into `handlers.concern.outsider`. Whatever the identifier matched,
the raiser sees the same page; nothing is listed, and the identifier is never shown back.
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request, Response

from bot.web.raise_step import PageDep
from bot.web.rendering import Page, PageRoute
from handlers.child_identifier import IDENTIFIER_HINT, IDENTIFIER_LABEL, MAX_IDENTIFIER
from handlers.concern.answers import ONE_STEP_FIELDS, RaiseAnswers, answers_from
from handlers.concern.outsider import SENT, raise_about_child
from handlers.invalid import Invalid

router = APIRouter(route_class=PageRoute)
FIELDS = [f for f in ONE_STEP_FIELDS if f.name != "client"]


def _form(page: Page, answers: RaiseAnswers, errors: dict[str, str]) -> Response:
    return page.render(
        "raise_child.html",
        status=400 if errors else 200,
        answers=answers,
        errors=errors,
        fields=FIELDS,
        identifier_label=IDENTIFIER_LABEL,
        identifier_hint=IDENTIFIER_HINT,
        identifier_max=MAX_IDENTIFIER,
    )


@router.get("/raise/child")
def raise_child_start(page: PageDep) -> Response:
    page.require_me(after="/raise/child")
    return _form(page, answers_from({"submission_key": secrets.token_urlsafe(24)}), {})


@router.post("/raise/child")
async def raise_child_send(page: PageDep, request: Request) -> Response:
    form = await request.form()
    csrf, identifier = form.get("csrf", ""), form.get("identifier", "")
    page.check_csrf(csrf if isinstance(csrf, str) else "")
    me = page.require_me(after="/raise/child")
    answers = answers_from({name: form.getlist(name) for name in form})
    runtime = page.deps
    outcome = raise_about_child(
        runtime.uow(),
        answers,
        identifier=identifier if isinstance(identifier, str) else "",
        raiser_id=me.practitioner_id,
        clock=runtime.clock,
        calendar=runtime.calendar,
    )
    if isinstance(outcome, Invalid):
        return _form(page, answers, dict(outcome.errors))
    return page.render("raise_child_sent.html", message=SENT, concern_id=outcome.concern_id)
