"""The organisation page: an organisation admin manages its people, workspaces and roles.

Each form posts (with CSRF) to one handler in handlers.network.administration; anyone but an
admin of the organisation gets a 403, and the refusal is audited.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from bot.web.admin_partnership import refusal
from bot.web.rendering import Page, PageRoute, page_for
from handlers.invalid import Invalid
from handlers.network import administration as admin
from handlers.network.administration import NotAllowed, OrganisationRole, PersonDetails
from store.models import Organisation
from store.unit_of_work import UnitOfWork

router = APIRouter(route_class=PageRoute)
PageDep = Annotated[Page, Depends(page_for)]
PATH = "/admin/organisation"
PERSON_ID = re.compile(r"^[0-9a-f]{32}$")
Posted = dict[str, str | list[str]]
PLATFORM_LABELS = [("slack", "Slack"), ("teams", "Microsoft Teams"), ("playground", "Playground")]


async def posted_form(request: Request, page: Page) -> Posted:
    raw = await request.form()
    form: Posted = {k: v for k, v in raw.items() if isinstance(v, str)}
    csrf = form.get("csrf")
    page.check_csrf(csrf if isinstance(csrf, str) else None)
    form["admins"] = [v for v in raw.getlist("admins") if isinstance(v, str)]
    return form


def text_fields(form: Posted) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str)}


def administered_organisation(
    uow: UnitOfWork, page: Page, actor_id: str, path: str
) -> Organisation:
    try:
        return admin.organisation_admin(uow, actor_id=actor_id, page=path, at=page.deps.clock.now())
    except NotAllowed:
        raise refusal() from None


def _render_organisation(
    page: Page,
    uow: UnitOfWork,
    org: Organisation,
    errors: dict[str, str],
    notice: str = "",
    answers: dict[str, str] | None = None,
) -> Response:
    people = [p for p in uow.directory.practitioners() if p.organisation_id == org.id]
    active = [(p.id, p.name) for p in people if p.active]
    return page.render(
        "admin_organisation.html",
        status=400 if errors else 200,
        organisation=org,
        people=people,
        active=active,
        roles=[
            (role.name.lower(), role.label, getattr(org, role.value)) for role in OrganisationRole
        ],
        slack=" ".join(uow.directory.declared_workspaces(org.id, "slack")),
        entra=" ".join(uow.directory.declared_workspaces(org.id, "entra")),
        platforms=PLATFORM_LABELS,
        errors=errors,
        notice=notice,
        answers={k: v[:2000] for k, v in (answers or {}).items() if k != "csrf"},
    )


NOTICES = {"saved": "Your changes are saved and audited.", "added": "The practitioner is added."}


@router.get(PATH)
def organisation_page(page: PageDep, done: str = "") -> Response:
    me = page.require_me(after=PATH)
    with page.deps.uow() as uow:
        org = administered_organisation(uow, page, me.practitioner_id, PATH)
        return _render_organisation(page, uow, org, {}, NOTICES.get(done, ""))


Change = Callable[[UnitOfWork, Organisation, str, Posted], Invalid | None]


async def _change(request: Request, page: Page, path: str, change: Change) -> Response:
    me = page.require_me(after=PATH)
    form = await posted_form(request, page)
    with page.deps.uow() as uow:
        org = administered_organisation(uow, page, me.practitioner_id, path)
        outcome = change(uow, org, me.practitioner_id, form)
        if isinstance(outcome, Invalid):
            uow.rollback()
            return _render_organisation(page, uow, org, outcome.errors, answers=text_fields(form))
        uow.commit()
    return page.redirect(f"{PATH}?done={'added' if path.endswith('practitioners') else 'saved'}")


@router.post(f"{PATH}/roles")
async def change_roles(request: Request, page: PageDep) -> Response:
    def change(
        uow: UnitOfWork, org: Organisation, actor: str, form: dict[str, str | list[str]]
    ) -> Invalid | None:
        text = text_fields(form)
        holders = {role: text.get(role.name.lower()) or None for role in OrganisationRole}
        admins = form.get("admins", [])
        return admin.set_roles(
            uow,
            organisation=org,
            actor_id=actor,
            holders=holders,
            admin_ids=admins if isinstance(admins, list) else [],
            at=page.deps.clock.now(),
        )

    return await _change(request, page, f"{PATH}/roles", change)


@router.post(f"{PATH}/workspaces")
async def change_workspaces(request: Request, page: PageDep) -> Response:
    def change(
        uow: UnitOfWork, org: Organisation, actor: str, form: dict[str, str | list[str]]
    ) -> Invalid | None:
        text = text_fields(form)
        return admin.set_workspaces(
            uow,
            organisation=org,
            actor_id=actor,
            slack=text.get("slack_workspaces", "")[:2000],
            entra=text.get("entra_tenants", "")[:2000],
            at=page.deps.clock.now(),
        )

    return await _change(request, page, f"{PATH}/workspaces", change)


@router.post(f"{PATH}/practitioners")
async def add_practitioner(request: Request, page: PageDep) -> Response:
    def change(
        uow: UnitOfWork, org: Organisation, actor: str, form: dict[str, str | list[str]]
    ) -> Invalid | None:
        details = PersonDetails.from_form(text_fields(form))
        if isinstance(details, Invalid):
            return details
        added = admin.add_practitioner(
            uow, organisation=org, actor_id=actor, details=details, at=page.deps.clock.now()
        )
        return added if isinstance(added, Invalid) else None

    return await _change(request, page, f"{PATH}/practitioners", change)
