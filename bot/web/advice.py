"""Seek advice first, on the web: ask from the raise form, the adviser's reply, the raiser's send.

"Ask for advice first" submits the raise form's step 1 to `/raise/advice` (the same answers,
nothing typed is lost). `/advice/{id}` is the request's page: the adviser reads the draft
and replies; the raiser reads the reply, then sends or records a decision not to share. Only
the two of them may open it. Each request is one call into `handlers.concern.advice*`.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response

from bot.web.raise_step import Posted, step_one_again
from bot.web.rendering import Page, PageError, PageRoute, page_for
from handlers.concern.advice import UNSURE_BEFORE_ADVICE, ask_for_advice, reply_to_advice
from handlers.concern.advice_outcome import (
    AdviceView,
    decide_after_advice,
    read_advice,
    send_after_advice,
)
from handlers.concern.answers import BY_NAME, STEP_ONE_FIELDS
from handlers.concern.not_sharing import DecisionRecorded
from handlers.concern.raising import Raised
from handlers.invalid import Invalid

router = APIRouter(route_class=PageRoute)
PageDep = Annotated[Page, Depends(page_for)]
ROW_ID = re.compile(r"^[0-9a-f]{32}$")
SHOWN = [f for f in STEP_ONE_FIELDS if f.kind.value not in ("key", "client")]


@router.get("/raise/advice")
def ask_start(page: PageDep) -> Response:
    """Where the old "Seek advice first" page was: advice is asked from the raise form now."""
    return page.redirect("/raise")


@router.post("/raise/advice")
def ask(page: PageDep, post: Posted) -> Response:
    """Keep the draft and ask the raiser's organisation; or the form again, as typed."""
    deps = page.deps
    outcome = ask_for_advice(
        deps.uow(),
        post.answers,
        raiser_id=post.raiser_id,
        clock=deps.clock,
        calendar=deps.calendar,
    )
    if isinstance(outcome, Invalid):
        return step_one_again(page, post, outcome.errors)
    return page.render("advice_asked.html", asked=outcome)


@router.get("/advice/{request_id}")
def advice_page(request_id: str, page: PageDep) -> Response:
    me = page.require_me(after=f"/advice/{request_id}" if ROW_ID.match(request_id) else "/")
    return _show(page, _read(page, request_id, me.practitioner_id))


@router.post("/advice/{request_id}/reply")
def reply(
    request_id: str,
    page: PageDep,
    csrf: Annotated[str, Form()] = "",
    advice: Annotated[str, Form()] = "",
) -> Response:
    page.check_csrf(csrf)
    me = page.require_me(after="/")
    view = _read(page, request_id, me.practitioner_id)
    outcome = reply_to_advice(
        page.deps.uow(),
        request_id,
        adviser_id=me.practitioner_id,
        reply=advice,
        clock=page.deps.clock,
    )
    if isinstance(outcome, Invalid):
        errors = {"advice": outcome.errors["reply"]}
        return _show(page, view, errors=errors, typed={"advice": advice})
    return page.redirect(f"/advice/{request_id}")


@router.post("/advice/{request_id}/send")
async def send(request_id: str, page: PageDep, request: Request) -> Response:
    typed = await _typed(request)
    page.check_csrf(typed.get("csrf"))
    me = page.require_me(after="/")
    view = _read(page, request_id, me.practitioner_id)
    deps = page.deps
    outcome = send_after_advice(
        deps.uow(),
        request_id,
        raiser_id=me.practitioner_id,
        updates=typed,
        clock=deps.clock,
        calendar=deps.calendar,
    )
    if isinstance(outcome, Raised):
        return page.render("raise_sent.html", raised=outcome)
    return _show(page, view, errors=dict(outcome.errors), typed=typed)


@router.post("/advice/{request_id}/not-shared")
async def not_shared(request_id: str, page: PageDep, request: Request) -> Response:
    typed = await _typed(request)
    page.check_csrf(typed.get("csrf"))
    me = page.require_me(after="/")
    view = _read(page, request_id, me.practitioner_id)
    outcome = decide_after_advice(
        page.deps.uow(),
        request_id,
        raiser_id=me.practitioner_id,
        reason=typed.get("not_sharing_reason", ""),
        clock=page.deps.clock,
    )
    if isinstance(outcome, DecisionRecorded):
        return page.render("raise_not_shared.html", recorded=outcome)
    return _show(page, view, errors=dict(outcome.errors), typed=typed)


async def _typed(request: Request) -> dict[str, str]:
    """The text fields of the raiser's form (anything that is not text counts as blank)."""
    form = await request.form()
    names = ("csrf", "not_sharing_reason", *UNSURE_BEFORE_ADVICE)
    return {name: value for name in names if isinstance(value := form.get(name, ""), str)}


def _read(page: Page, request_id: str, reader_id: str) -> AdviceView:
    view = None
    if ROW_ID.match(request_id):
        view = read_advice(page.deps.uow(), request_id, reader_id=reader_id, clock=page.deps.clock)
    if view is None:
        raise PageError(
            404,
            "Request for advice not found",
            "It does not exist, or only its raiser and their adviser may read it.",
        )
    return view


def _show(
    page: Page,
    view: AdviceView,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    answers = view.answers
    values = {f.name: (typed or {}).get(f.name, getattr(answers, f.name)) for f in SHOWN}
    return page.render(
        "advice.html",
        status=400 if errors else 200,
        view=view,
        errors=errors or {},
        shown=[
            (f, dict(f.options()).get(getattr(answers, f.name), getattr(answers, f.name)))
            for f in SHOWN
        ],
        settle=[BY_NAME[name] for name in UNSURE_BEFORE_ADVICE],
        values=values,
        typed=typed or {},
    )
