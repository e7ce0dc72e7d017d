"""The raise form: step 1 the answers, step 2 who it will reach, then send.

Step 1's answers travel to step 2 in hidden fields (every page is no-store), so nothing is
stored until the raiser sends. A random submission key, made when the form is first shown,
makes a double submit or a refresh one concern.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Response
from pydantic import BaseModel

from bot.web.rendering import Page, PageRoute, page_for
from handlers.concern.answers import choice_labels, parse_answers
from handlers.concern.not_sharing import record_decision_not_to_share
from handlers.concern.preview import preview_raise
from handlers.concern.raising import RaiseConcern, raise_concern
from handlers.invalid import Invalid
from handlers.network.people import advice_for, clients_of
from handlers.network.routing import ShareOptions

router = APIRouter(route_class=PageRoute)

STEP_ONE_FIELDS = (
    "client",
    "category",
    "severity",
    "noticed",
    "family_informed",
    "family_reason",
    "rationale",
    "lawful_basis",
    "protected_identities",
    "submission_key",
)


class RaiseAnswers(BaseModel):
    """Everything the raise form posts; step 2 adds the recipients and a narrowing reason."""

    csrf: str = ""
    client: str = ""
    category: str = ""
    severity: str = ""
    noticed: str = ""
    family_informed: str = ""
    family_reason: str = ""
    rationale: str = ""
    lawful_basis: str = ""
    protected_identities: str = ""
    submission_key: str = ""
    recipients: list[str] = []
    narrowing_reason: str = ""
    not_sharing_reason: str = ""
    change: str = ""


Answers = Annotated[RaiseAnswers, Form()]
PageDep = Annotated[Page, Depends(page_for)]


def command(
    answers: RaiseAnswers, raiser_id: str, *, with_recipients: bool
) -> tuple[RaiseConcern, dict[str, str]]:
    """Parse the posted answers with the rule every raise form shares."""
    return parse_answers(answers.model_dump(), raiser_id, with_recipients=with_recipients)


def _step_one(page: Page, answers: RaiseAnswers, errors: dict[str, str] | None = None) -> Response:
    me = page.require_me(after="/raise")
    return page.render(
        "raise_step1.html",
        status=400 if errors else 200,
        clients=clients_of(page.deps.uow(), me.practitioner_id),
        answers=answers,
        errors=errors or {},
        choices=choice_labels(),
    )


def _step_two(
    page: Page, answers: RaiseAnswers, options: ShareOptions, errors: dict[str, str] | None = None
) -> Response:
    chosen = set(answers.recipients) if errors else set(options.recommended_ids)
    return page.render(
        "raise_step2.html",
        status=400 if errors else 200,
        answers=answers,
        options=options,
        chosen=chosen,
        errors=errors or {},
        hidden={name: getattr(answers, name) for name in STEP_ONE_FIELDS},
    )


@router.get("/raise")
def raise_start(page: PageDep) -> Response:
    return _step_one(page, RaiseAnswers(submission_key=secrets.token_urlsafe(24)))


@router.post("/raise")
def raise_check(page: PageDep, answers: Answers) -> Response:
    page.check_csrf(answers.csrf)
    me = page.require_me(after="/raise")
    if answers.change:
        return _step_one(page, answers)
    cmd, errors = command(answers, me.practitioner_id, with_recipients=False)
    outcome = preview_raise(page.deps.uow(), cmd)
    if isinstance(outcome, Invalid) or errors:
        found = outcome.errors if isinstance(outcome, Invalid) else {}
        return _step_one(page, answers, {**found, **errors})
    return _step_two(page, answers, outcome)


@router.post("/raise/send")
def raise_send(page: PageDep, answers: Answers) -> Response:
    page.check_csrf(answers.csrf)
    me = page.require_me(after="/raise")
    cmd, errors = command(answers, me.practitioner_id, with_recipients=True)
    if errors:
        return _step_one(page, answers, errors)
    deps = page.deps
    outcome = raise_concern(cmd, deps.uow(), deps.clock, deps.calendar)
    if isinstance(outcome, Invalid):
        return _answer_again(page, answers, cmd, outcome.errors)
    return page.render("raise_sent.html", raised=outcome)


@router.post("/raise/not-shared")
def decide_not_to_share(page: PageDep, answers: Answers) -> Response:
    """Golden rule 7: the decision not to share is recorded, with its reason, and told to no one."""
    page.check_csrf(answers.csrf)
    me = page.require_me(after="/raise")
    cmd, errors = command(answers, me.practitioner_id, with_recipients=False)
    if errors:
        return _step_one(page, answers, errors)
    deps = page.deps
    outcome = record_decision_not_to_share(
        cmd, reason=answers.not_sharing_reason, uow=deps.uow(), clock=deps.clock
    )
    if isinstance(outcome, Invalid):
        return _answer_again(page, answers, cmd, outcome.errors)
    return page.render("raise_not_shared.html", recorded=outcome)


def _answer_again(
    page: Page, answers: RaiseAnswers, cmd: RaiseConcern, errors: dict[str, str]
) -> Response:
    """Show the step whose answers need correcting, keeping everything typed so far."""
    if set(errors) & set(STEP_ONE_FIELDS):
        return _step_one(page, answers, errors)
    options = preview_raise(page.deps.uow(), cmd)
    if isinstance(options, Invalid):
        return _step_one(page, answers, options.errors)
    return _step_two(page, answers, options, errors)


@router.get("/raise/advice")
def seek_advice(page: PageDep) -> Response:
    me = page.require_me(after="/raise")
    return page.render("raise_advice.html", advice=advice_for(page.deps.uow(), me.practitioner_id))
