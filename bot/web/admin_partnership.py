"""The partnership page: a partnership admin edits deadlines, bank holidays, retention, the
weak-signal window and the routing policy (handlers.partnership), and grants or removes the
partnership admin role (handlers.network.administration)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from bot.web.rendering import Page, PageError, PageRoute, page_for
from handlers.deadlines import REGIONS
from handlers.invalid import Invalid
from handlers.network.administration import (
    NotAllowed,
    partnership_admin,
    partnership_admins,
    set_partnership_admin,
)
from handlers.network.directory import ORG_KINDS
from handlers.partnership import (
    PartnershipSettings,
    cell_text,
    change_partnership_settings,
    partnership_settings,
    settings_from_form,
)
from handlers.values import Category, Severity
from store.models import Practitioner
from store.unit_of_work import UnitOfWork

router = APIRouter(route_class=PageRoute)
PageDep = Annotated[Page, Depends(page_for)]
PATH = "/admin/partnership"
REGION_LABELS = dict(
    zip(REGIONS, ("England and Wales", "Scotland", "Northern Ireland"), strict=True)
)


def refusal() -> PageError:
    return PageError(
        403,
        "You cannot change these settings",
        "Only an administrator with this role can open this page. Ask your Flare "
        "administrator if you need to make a change.",
    )


def form_values(settings: PartnershipSettings) -> dict[str, str]:
    """The settings as the page's fields show them."""
    values = {f"deadline_{s.value}": str(settings.deadlines[s.value]) for s in Severity}
    values["bank_holiday_region"] = settings.bank_holiday_region or ""
    for name in ("retention_concerns_days", "retention_not_shared_days", "pattern_window_days"):
        number = getattr(settings, name)
        values[name] = "" if number is None else str(number)
    for category in Category:
        for severity in Severity:
            rule = settings.routing.rule(category, severity)
            values[f"routing_{category.value}_{severity.value}"] = cell_text(rule)
    return values


def _people(uow: UnitOfWork) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The partnership admins, and the active people who could become one: (id, label)."""
    admins = partnership_admins(uow)
    others = [p for p in uow.directory.practitioners() if p.active and not p.is_partnership_admin]
    others.sort(key=lambda p: p.name.casefold())
    return [(p.id, _label(p)) for p in admins], [(p.id, _label(p)) for p in others]


def _label(person: Practitioner) -> str:
    return f"{person.name} ({person.organisation.name})"


def _render(
    page: Page,
    uow: UnitOfWork,
    values: dict[str, str],
    errors: dict[str, str],
    saved: bool,
) -> Response:
    admins, candidates = _people(uow)
    return page.render(
        "admin_partnership.html",
        status=400 if errors else 200,
        values=values,
        errors=errors,
        saved=saved,
        regions=list(REGION_LABELS.items()),
        categories=list(Category),
        severities=list(Severity),
        kinds=ORG_KINDS,
        admins=admins,
        candidates=candidates,
    )


def _as_partnership_admin(page: Page, uow: UnitOfWork, actor_id: str, path: str) -> None:
    try:
        partnership_admin(uow, actor_id=actor_id, page=path, at=page.deps.clock.now())
    except NotAllowed:
        raise refusal() from None


@router.get(PATH)
def partnership_page(page: PageDep, saved: str = "") -> Response:
    me = page.require_me(after=PATH)
    with page.deps.uow() as uow:
        _as_partnership_admin(page, uow, me.practitioner_id, PATH)
        values = form_values(partnership_settings(uow))
        return _render(page, uow, values, {}, saved == "1")


@router.post(PATH)
async def change_partnership(request: Request, page: PageDep) -> Response:
    me = page.require_me(after=PATH)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    page.check_csrf(form.get("csrf"))
    now = page.deps.clock.now()
    with page.deps.uow() as uow:
        _as_partnership_admin(page, uow, me.practitioner_id, PATH)
        settings = settings_from_form(form, kinds=ORG_KINDS)
        if isinstance(settings, Invalid):
            values = {k: v[:2000] for k, v in form.items()}
            return _render(page, uow, values, settings.errors, False)
        change_partnership_settings(uow, actor_id=me.practitioner_id, settings=settings, at=now)
        uow.commit()
    return page.redirect(f"{PATH}?saved=1")


@router.post(f"{PATH}/admins")
async def change_partnership_admins(request: Request, page: PageDep) -> Response:
    """Grant (`action=grant`) or remove (`action=remove`) the partnership admin role."""
    me = page.require_me(after=PATH)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    page.check_csrf(form.get("csrf"))
    action = form.get("action", "")
    if action not in ("grant", "remove"):
        raise PageError(400, "Choose to add or remove a partnership admin", "")
    with page.deps.uow() as uow:
        _as_partnership_admin(page, uow, me.practitioner_id, f"{PATH}/admins")
        outcome = set_partnership_admin(
            uow,
            actor_id=me.practitioner_id,
            practitioner_id=form.get("practitioner_id", "")[:64],
            grant=action == "grant",
            at=page.deps.clock.now(),
        )
        if isinstance(outcome, Invalid):
            uow.rollback()
            values = form_values(partnership_settings(uow))
            return _render(page, uow, values, outcome.errors, False)
        uow.commit()
    return page.redirect(f"{PATH}?saved=1")
