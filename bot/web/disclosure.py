"""Subject access: a DPO's export of one client's record, and who viewed it.

Each request is one call into `handlers.disclosure`; the rule of who may disclose lives
there. Every page here needs a recent sign-in (a step-up, FLARE_STEP_UP_MINUTES), as a
child's chronology does. The client is named by an exact identifier, never picked from a
list, and the identifier is never shown back.
"""

from __future__ import annotations

import re
from datetime import datetime

from fastapi import APIRouter, Request, Response

from bot.web.raise_step import PageDep
from bot.web.rendering import Page, PageError, PageRoute, env
from handlers.disclosure.exports import (
    EXPORT_HOURS,
    ExportGone,
    OpenedExport,
    create_export,
    open_export,
)
from handlers.disclosure.officer import NotAnOfficer, confirm_officer, find_for_officer
from handlers.disclosure.viewers import who_viewed
from handlers.invalid import Invalid
from handlers.values import Category, Severity

router = APIRouter(route_class=PageRoute)
HEX_ID = re.compile(r"^[0-9a-f]{32}$")
START = "/disclosure"


def _iso_when(value: str | None) -> str:
    """An ISO time from an export document, as the pages show times."""
    if not value:
        return ""
    when = env.filters["when"]
    return str(when(datetime.fromisoformat(value)))


env.filters.setdefault("iso_when", _iso_when)


def not_an_officer() -> PageError:
    return PageError(
        403,
        "Only a data protection officer or an administrator can do this",
        "Subject access exports and the who-viewed report are for your organisation's data "
        "protection officer and its Flare administrators, for the clients your organisation "
        "works with. Ask one of them if you need a client's record.",
    )


def export_gone() -> PageError:
    return PageError(
        404,
        "This export is no longer available",
        f"An export can be downloaded by the person who made it, for {EXPORT_HOURS} hours. "
        "Make a new export if you still need it.",
    )


def _form(page: Page, errors: dict[str, str] | None = None) -> Response:
    errors = errors or {}
    return page.render(
        "disclosure.html", status=400 if errors else 200, errors=errors, hours=EXPORT_HOURS
    )


def _hex_or_gone(value: str, gone: PageError) -> str:
    if not HEX_ID.match(value):
        raise gone
    return value


async def _posted(page: Page, request: Request) -> tuple[str, str, bool]:
    """(who, identifier, include protected identities) from a checked POST."""
    form = await request.form()
    csrf, identifier = form.get("csrf", ""), form.get("identifier", "")
    page.check_csrf(csrf if isinstance(csrf, str) else "")
    me = page.require_recent_sign_in(after=START)
    typed = identifier if isinstance(identifier, str) else ""
    return me.practitioner_id, typed, form.get("include_protected") == "yes"


@router.get(START)
def disclosure_start(page: PageDep) -> Response:
    me = page.require_recent_sign_in(after=START)
    try:
        confirm_officer(page.deps.uow(), practitioner_id=me.practitioner_id, clock=page.deps.clock)
    except NotAnOfficer:
        raise not_an_officer() from None
    return _form(page)


@router.post(f"{START}/exports")
async def export_make(page: PageDep, request: Request) -> Response:
    who, typed, include_protected = await _posted(page, request)
    deps = page.deps
    try:
        found = find_for_officer(
            deps.uow(), practitioner_id=who, typed=typed, purpose="export", clock=deps.clock
        )
        if isinstance(found, Invalid):
            return _form(page, {"export_identifier": found.errors["identifier"]})
        made = create_export(
            deps.uow(),
            practitioner_id=who,
            client_id=found.client_id,
            include_protected=include_protected,
            clock=deps.clock,
        )
    except NotAnOfficer:
        raise not_an_officer() from None
    return page.redirect(f"{START}/exports/{made.export_id}")


def _opened_export(page: Page, export_id: str, form: str) -> tuple[str, OpenedExport]:
    export_id = _hex_or_gone(export_id, export_gone())
    me = page.require_recent_sign_in(after=f"{START}/exports/{export_id}")
    try:
        opened = open_export(
            page.deps.uow(),
            export_id=export_id,
            practitioner_id=me.practitioner_id,
            form=form,
            clock=page.deps.clock,
        )
    except (ExportGone, NotAnOfficer):
        raise export_gone() from None
    return export_id, opened


@router.get(START + "/exports/{export_id}.json")
def export_json(export_id: str, page: PageDep) -> Response:
    export_id, opened = _opened_export(page, export_id, "json")
    response = Response(
        opened.json(),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="subject-access-{export_id}.json"'},
    )
    page.browser.write(response)
    return response


@router.get(START + "/exports/{export_id}")
def export_page(export_id: str, page: PageDep) -> Response:
    export_id, opened = _opened_export(page, export_id, "html")
    return page.render(
        "disclosure_export.html",
        opened=opened,
        doc=opened.document,
        categories={c.value: c.label for c in Category},
        severities={s.value: s.label for s in Severity},
    )


@router.post(f"{START}/viewers")
async def viewers_find(page: PageDep, request: Request) -> Response:
    who, typed, _ = await _posted(page, request)
    deps = page.deps
    try:
        found = find_for_officer(
            deps.uow(), practitioner_id=who, typed=typed, purpose="viewers", clock=deps.clock
        )
    except NotAnOfficer:
        raise not_an_officer() from None
    if isinstance(found, Invalid):
        return _form(page, {"viewers_identifier": found.errors["identifier"]})
    return page.redirect(f"{START}/clients/{found.client_id}/viewers")


@router.get(START + "/clients/{client_id}/viewers")
def viewers_page(client_id: str, page: PageDep) -> Response:
    client_id = _hex_or_gone(client_id, not_an_officer())
    me = page.require_recent_sign_in(after=f"{START}/clients/{client_id}/viewers")
    try:
        report = who_viewed(
            page.deps.uow(),
            practitioner_id=me.practitioner_id,
            client_id=client_id,
            clock=page.deps.clock,
        )
    except NotAnOfficer:
        raise not_an_officer() from None
    return page.render("disclosure_viewers.html", report=report)
