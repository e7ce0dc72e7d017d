"""A step of the raise form: its POST, read and checked, and step 1 shown again as typed.

Every button of steps 1 and 2 posts the whole form, to the raise form's own routes
(bot/web/raise_form.py) or, for "Ask for advice first", to bot/web/advice.py. Both read it,
check it and send the raiser back to step 1 the same way, so that way is written once here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Annotated

from fastapi import Depends, Request, Response

from bot.web.rendering import Page, page_for
from handlers.concern.answers import BY_NAME, STEP_ONE_FIELDS, RaiseAnswers, answers_from
from handlers.concern.submission import RaiseForm, start_raise

PageDep = Annotated[Page, Depends(page_for)]


@dataclass(frozen=True)
class RaisePost:
    """A POST of the raise form from its signed-in raiser, its CSRF token checked."""

    answers: RaiseAnswers
    raiser_id: str
    change: str = ""


async def raise_post(request: Request, page: PageDep) -> RaisePost:
    """Read the form once (anything that is not text, a file, counts as not answered), then
    refuse it without a good CSRF token and send a signed-out raiser to sign in."""
    form = await request.form()
    values = {name: form.getlist(name) for name in form}

    def text(name: str) -> str:
        value = form.get(name, "")
        return value if isinstance(value, str) else ""

    answers = answers_from(values)
    page.check_csrf(text("csrf"))
    me = page.require_me(after="/raise")
    return RaisePost(answers, me.practitioner_id, change=text("change"))


Posted = Annotated[RaisePost, Depends(raise_post)]


def step_one(page: Page, form: RaiseForm) -> Response:
    """Step 1's page: the raiser's clients, the questions, and what to correct (if anything)."""
    return page.render(
        "raise_step1.html",
        status=400 if form.errors else 200,
        clients=form.clients,
        labels=form.labels,
        answers=form.answers,
        errors=form.errors,
        client_field=BY_NAME["client"],
        fields=[f for f in STEP_ONE_FIELDS if f.name != "client"],
    )


def step_one_again(
    page: Page, post: RaisePost, errors: Mapping[str, str] | None = None
) -> Response:
    """Step 1 with the answers as posted, and what to correct in them (if anything)."""
    form = start_raise(
        page.deps.uow(), raiser_id=post.raiser_id, labelled=True, answers=post.answers
    )
    return step_one(page, replace(form, errors=dict(errors)) if errors else form)
