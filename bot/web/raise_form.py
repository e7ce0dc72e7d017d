"""The raise form: step 1 the answers, step 2 who it will reach, then send.

Step 1's answers travel to step 2 in hidden fields (every page is no-store), so nothing is
stored until the raiser sends. A random submission key, made when the form is first shown,
makes a double submit or a refresh one concern. The questions are the ones
`handlers.concern.answers` describes; each request is one call into `handlers.concern.submission`.
Reading and checking a POST, and step 1's page, are bot/web/raise_step.py's (advice shares them).
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from bot.web.raise_step import PageDep, Posted, step_one, step_one_again
from bot.web.rendering import Page, PageRoute
from handlers.concern.answers import STEP_ONE_FIELDS, STEP_TWO_FIELDS
from handlers.concern.not_sharing import DecisionRecorded
from handlers.concern.submission import (
    RaiseForm,
    decide_not_to_share,
    preview_raise,
    send_or_decide,
    start_raise,
)

router = APIRouter(route_class=PageRoute)


def _show(page: Page, form: RaiseForm) -> Response:
    """Step 1 until the answers are right, then step 2 (with its own errors, if any)."""
    if form.back_to(STEP_ONE_FIELDS):
        return step_one(page, form)
    return _step_two(page, form)


def _step_two(page: Page, form: RaiseForm) -> Response:
    assert form.reach is not None  # back_to() sent the raiser to step 1 otherwise
    answers = form.answers
    chosen = set(answers.recipients) if form.errors else set(form.reach.recommended_ids)
    return page.render(
        "raise_step2.html",
        status=400 if form.errors else 200,
        answers=answers,
        options=form.reach,
        chosen=chosen,
        errors=form.errors,
        fields={f.name: f for f in STEP_TWO_FIELDS},
        hidden={f.name: getattr(answers, f.name) for f in STEP_ONE_FIELDS},
    )


@router.get("/raise")
def raise_start(page: PageDep) -> Response:
    me = page.require_me(after="/raise")
    return step_one(page, start_raise(page.deps.uow(), raiser_id=me.practitioner_id, labelled=True))


@router.post("/raise")
def raise_check(page: PageDep, post: Posted) -> Response:
    if post.change:
        return step_one_again(page, post)
    form = preview_raise(page.deps.uow(), post.answers, raiser_id=post.raiser_id, labelled=True)
    return _show(page, form)


@router.post("/raise/send")
def raise_send(page: PageDep, post: Posted) -> Response:
    runtime = page.deps
    outcome = send_or_decide(
        runtime.uow(),
        post.answers,
        raiser_id=post.raiser_id,
        clock=runtime.clock,
        calendar=runtime.calendar,
        labelled=True,
    )
    if isinstance(outcome, RaiseForm):
        return _show(page, outcome)
    if isinstance(outcome, DecisionRecorded):
        return page.render("raise_not_shared.html", recorded=outcome)
    return page.render("raise_sent.html", raised=outcome)


@router.post("/raise/not-shared")
def decide_not_to_share_page(page: PageDep, post: Posted) -> Response:
    """Golden rule 7: the decision not to share is recorded, with its reason, and told to no one."""
    runtime = page.deps
    outcome = decide_not_to_share(
        runtime.uow(),
        post.answers,
        raiser_id=post.raiser_id,
        clock=runtime.clock,
        labelled=True,
    )
    if isinstance(outcome, RaiseForm):
        return _show(page, outcome)
    return page.render("raise_not_shared.html", recorded=outcome)
