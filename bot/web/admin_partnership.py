"""The partnership page: a partnership admin edits deadlines, bank holidays, retention, the
weak-signal window and the routing policy (handlers.partnership)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from bot.web.rendering import Page, PageError, PageRoute, page_for
from handlers.deadlines import REGIONS
from handlers.invalid import Invalid
from handlers.network.administration import NotAllowed, partnership_admin
from handlers.network.directory import ORG_KINDS
from handlers.partnership import (
    PartnershipSettings,
    cell_text,
    change_partnership_settings,
    partnership_settings,
    settings_from_form,
)
from handlers.values import Category, Severity

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


def _render(page: Page, values: dict[str, str], errors: dict[str, str], saved: bool) -> Response:
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
    )


@router.get(PATH)
def partnership_page(page: PageDep, saved: str = "") -> Response:
    me = page.require_me(after=PATH)
    with page.deps.uow() as uow:
        try:
            partnership_admin(uow, actor_id=me.practitioner_id, page=PATH, at=page.deps.clock.now())
        except NotAllowed:
            raise refusal() from None
        values = form_values(partnership_settings(uow))
    return _render(page, values, {}, saved == "1")


@router.post(PATH)
async def change_partnership(request: Request, page: PageDep) -> Response:
    me = page.require_me(after=PATH)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    page.check_csrf(form.get("csrf"))
    now = page.deps.clock.now()
    with page.deps.uow() as uow:
        try:
            partnership_admin(uow, actor_id=me.practitioner_id, page=PATH, at=now)
        except NotAllowed:
            raise refusal() from None
        settings = settings_from_form(form, kinds=ORG_KINDS)
        if isinstance(settings, Invalid):
            return _render(page, {k: v[:2000] for k, v in form.items()}, settings.errors, False)
        change_partnership_settings(uow, actor_id=me.practitioner_id, settings=settings, at=now)
        uow.commit()
    return page.redirect(f"{PATH}?saved=1")
