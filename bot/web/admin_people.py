"""A practitioner's page for their organisation's admin: edit their details, or deactivate a
leaver (handlers.network.administration)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from bot.web.admin_organisation import (
    PATH,
    PERSON_ID,
    PLATFORM_LABELS,
    administered_organisation,
    posted_form,
    text_fields,
)
from bot.web.admin_partnership import refusal
from bot.web.rendering import Page, PageError, PageRoute, page_for
from handlers.invalid import Invalid
from handlers.network import administration as admin
from handlers.network.administration import NotAllowed, PersonDetails
from store.models import Practitioner
from store.unit_of_work import UnitOfWork

router = APIRouter(route_class=PageRoute)
PageDep = Annotated[Page, Depends(page_for)]


def _person(uow: UnitOfWork, page: Page, actor_id: str, person_id: str) -> Practitioner:
    org = administered_organisation(uow, page, actor_id, f"{PATH}/practitioners")
    if not PERSON_ID.match(person_id):
        raise refusal()
    try:
        return admin.member_of(uow, org, person_id, actor_id=actor_id, at=page.deps.clock.now())
    except NotAllowed:
        raise refusal() from None


def _render(
    page: Page, person: Practitioner, answers: dict[str, str], errors: dict[str, str]
) -> Response:
    return page.render(
        "admin_practitioner.html",
        status=400 if errors else 200,
        person=person,
        answers=answers,
        errors=errors,
        platforms=PLATFORM_LABELS,
    )


@router.get(f"{PATH}/practitioners/{{person_id}}")
def practitioner_page(person_id: str, page: PageDep) -> Response:
    me = page.require_me(after=PATH)
    with page.deps.uow() as uow:
        person = _person(uow, page, me.practitioner_id, person_id)
        answers = {
            "name": person.name,
            "job_title": person.job_title,
            "email": person.email or "",
            "platform": person.preferred_platform,
        }
        return _render(page, person, answers, {})


@router.post(f"{PATH}/practitioners/{{person_id}}")
async def edit_practitioner(person_id: str, request: Request, page: PageDep) -> Response:
    me = page.require_me(after=PATH)
    form = text_fields(await posted_form(request, page))
    now = page.deps.clock.now()
    with page.deps.uow() as uow:
        person = _person(uow, page, me.practitioner_id, person_id)
        details = PersonDetails.from_form(form)
        outcome = (
            details
            if isinstance(details, Invalid)
            else admin.edit_practitioner(
                uow, person=person, actor_id=me.practitioner_id, details=details, at=now
            )
        )
        if isinstance(outcome, Invalid):
            uow.rollback()
            return _render(page, person, {k: v[:2000] for k, v in form.items()}, outcome.errors)
        uow.commit()
    return page.redirect(f"{PATH}?done=saved")


@router.post(f"{PATH}/practitioners/{{person_id}}/deactivate")
async def deactivate_practitioner(person_id: str, request: Request, page: PageDep) -> Response:
    me = page.require_me(after=PATH)
    await posted_form(request, page)
    with page.deps.uow() as uow:
        person = _person(uow, page, me.practitioner_id, person_id)
        if person.id == me.practitioner_id:
            raise PageError(
                400, "You cannot deactivate yourself", "Ask another admin of your organisation."
            )
        admin.deactivate_leaver(
            uow, person=person, actor_id=me.practitioner_id, at=page.deps.clock.now()
        )
        uow.commit()
    return page.redirect(f"{PATH}?done=saved")
