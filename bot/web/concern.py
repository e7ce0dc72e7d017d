"""The concern page (recipients only), with the acknowledge and add-information forms."""

from __future__ import annotations

import re
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Response

from bot.web.rendering import Page, PageError, PageRoute, page_for
from handlers.concern.information import InformationAdded, add_information
from handlers.concern.viewing import (
    MayNotReveal,
    NoAccess,
    Unreadable,
    mark_seen,
    view_concern_page,
)
from handlers.follow_through.acknowledge import NotAllowed, acknowledge
from handlers.follow_through.closing import (
    AlreadyClosed,
    CloseConcern,
    Closed,
    NotOpen,
    Reopened,
    close_concern,
    reopen_concern,
)
from handlers.follow_through.follow_ups import (
    FollowUpAdded,
    NotOwner,
    add_follow_up,
    complete_follow_up,
    date_from_fields,
)
from handlers.invalid import Invalid
from handlers.values import Outcome

router = APIRouter(route_class=PageRoute)
CONCERN_ID = re.compile(r"^[0-9a-f]{32}$")
NOTICES = {
    "acknowledged": "You have acknowledged this concern. The person who raised it has been told.",
    "information": "Your information was added. The others who received this concern have "
    "been told there is something new.",
    "follow_up": "The follow-up was added. Its owner has been told in chat.",
    "follow_up_mine": "The follow-up was added. You own it; it is in your inbox.",
    "follow_up_done": "The follow-up is marked as done.",
    "closed": "The concern is closed. Everyone it was shared with has been told.",
    "reopened": "The concern is open again. Everyone it was shared with has been told.",
}
OUTCOMES = [(outcome.value, outcome.label) for outcome in Outcome]


def _concern_id(concern_id: str) -> str:
    if not CONCERN_ID.match(concern_id):
        raise _no_access()
    return concern_id


def _no_access() -> PageError:
    return PageError(
        403,
        "You cannot see this concern",
        "Concerns are shown only to the people they were shared with. If you think you "
        "need to see it, ask the lead professional for the client.",
    )


def show(
    page: Page, concern_id: str, *, status: int = 200, reveal: bool = False, **ctx: object
) -> Response:
    me = page.require_me(after=f"/concerns/{concern_id}")
    try:
        shown = view_concern_page(
            page.deps.uow(),
            concern_id=concern_id,
            practitioner_id=me.practitioner_id,
            clock=page.deps.clock,
            reveal_identities=reveal,
        )
    except NoAccess:
        raise _no_access() from None
    except MayNotReveal:
        raise PageError(
            403,
            "You cannot see the protected identities",
            "Only the lead professional for the client and the person who raised the concern "
            "can see them. You can still read the rest of the concern.",
        ) from None
    except Unreadable:
        raise PageError(
            503,
            "This concern cannot be shown right now",
            "Flare cannot open it safely at the moment, so it shows nothing. Try again later; "
            "if this keeps happening, tell your Flare administrator.",
        ) from None
    notice = NOTICES.get(page.browser.recall("notice") or "")
    page.browser.remember("notice", None)
    ctx.setdefault("information_key", secrets.token_urlsafe(24))
    ctx.setdefault("follow_up_key", secrets.token_urlsafe(24))
    ctx.setdefault("follow_up", {})
    ctx.setdefault("closing", {})
    return page.render(
        "concern.html",
        status=status,
        view=shown.view,
        notice=notice,
        follow_ups=shown.follow_ups,
        owners=shown.owners,
        outcomes=OUTCOMES,
        may_confirm=shown.may_confirm,
        **ctx,
    )


@router.get("/concerns/{concern_id}")
def concern_page(concern_id: str, page: Annotated[Page, Depends(page_for)]) -> Response:
    """Shows the concern and audits the access; changes nothing else (links can cause a GET)."""
    return show(page, _concern_id(concern_id))


@router.post("/concerns/{concern_id}/open")
def open_concern(
    concern_id: str, page: Annotated[Page, Depends(page_for)], csrf: Annotated[str, Form()] = ""
) -> Response:
    """Open a concern from the inbox: it is recorded as read, then shown."""
    page.check_csrf(csrf)
    concern_id = _concern_id(concern_id)
    me = page.require_me(after="/inbox")
    if not mark_seen(
        page.deps.uow(),
        concern_id=concern_id,
        practitioner_id=me.practitioner_id,
        clock=page.deps.clock,
    ):
        raise _no_access()
    return page.redirect(f"/concerns/{concern_id}")


@router.post("/concerns/{concern_id}/identities")
def reveal_identities(
    concern_id: str, page: Annotated[Page, Depends(page_for)], csrf: Annotated[str, Form()] = ""
) -> Response:
    """The lead or the raiser reveals the protected identities: audited, on this page only."""
    page.check_csrf(csrf)
    return show(page, _concern_id(concern_id), reveal=True)


@router.post("/concerns/{concern_id}/acknowledge")
def acknowledge_concern(
    concern_id: str, page: Annotated[Page, Depends(page_for)], csrf: Annotated[str, Form()] = ""
) -> Response:
    page.check_csrf(csrf)
    concern_id = _concern_id(concern_id)
    me = page.require_me(after=f"/concerns/{concern_id}")
    outcome = acknowledge(
        page.deps.uow(),
        concern_id=concern_id,
        practitioner_id=me.practitioner_id,
        clock=page.deps.clock,
    )
    if isinstance(outcome, NotAllowed):
        raise PageError(
            403,
            "Only the lead professional or deputy can acknowledge",
            "You can still read the concern and add information to it.",
        )
    page.browser.remember("notice", "acknowledged")
    return page.redirect(f"/concerns/{concern_id}")


def _not_the_lead() -> PageError:
    return PageError(
        403,
        "Only the lead professional or deputy can close or reopen this concern",
        "You can still read the concern and add information to it.",
    )


@router.post("/concerns/{concern_id}/close")
def close(
    concern_id: str,
    page: Annotated[Page, Depends(page_for)],
    csrf: Annotated[str, Form()] = "",
    outcome: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    page.check_csrf(csrf)
    concern_id = _concern_id(concern_id)
    me = page.require_me(after=f"/concerns/{concern_id}")
    command = CloseConcern(concern_id, me.practitioner_id, outcome, note)
    closed = close_concern(page.deps.uow(), command, clock=page.deps.clock)
    if isinstance(closed, Closed | AlreadyClosed):
        page.browser.remember("notice", "closed")
        return page.redirect(f"/concerns/{concern_id}")
    if not isinstance(closed, Invalid):
        raise _not_the_lead()
    answers = {"outcome": outcome, "note": note}
    return show(page, concern_id, status=400, errors=closed.errors, closing=answers)


@router.post("/concerns/{concern_id}/reopen")
def reopen(
    concern_id: str, page: Annotated[Page, Depends(page_for)], csrf: Annotated[str, Form()] = ""
) -> Response:
    page.check_csrf(csrf)
    concern_id = _concern_id(concern_id)
    me = page.require_me(after=f"/concerns/{concern_id}")
    reopened = reopen_concern(
        page.deps.uow(),
        concern_id=concern_id,
        practitioner_id=me.practitioner_id,
        clock=page.deps.clock,
    )
    if not isinstance(reopened, Reopened | NotOpen):
        raise _not_the_lead()
    page.browser.remember("notice", "reopened")
    return page.redirect(f"/concerns/{concern_id}")


@router.post("/concerns/{concern_id}/information")
def add_concern_information(
    concern_id: str,
    page: Annotated[Page, Depends(page_for)],
    csrf: Annotated[str, Form()] = "",
    information: Annotated[str, Form()] = "",
    submission_key: Annotated[str, Form()] = "",
) -> Response:
    page.check_csrf(csrf)
    concern_id = _concern_id(concern_id)
    me = page.require_me(after=f"/concerns/{concern_id}")
    outcome = add_information(
        page.deps.uow(),
        concern_id=concern_id,
        author_id=me.practitioner_id,
        text=information,
        submission_key=submission_key or secrets.token_urlsafe(24),
        clock=page.deps.clock,
    )
    if isinstance(outcome, InformationAdded):
        page.browser.remember("notice", "information")
        return page.redirect(f"/concerns/{concern_id}")
    return show(
        page,
        concern_id,
        status=400,
        errors=outcome.errors,
        information=information,
        information_key=submission_key,
    )


@router.post("/concerns/{concern_id}/follow-ups")
def add_concern_follow_up(
    concern_id: str,
    page: Annotated[Page, Depends(page_for)],
    csrf: Annotated[str, Form()] = "",
    owner: Annotated[str, Form()] = "",
    due_day: Annotated[str, Form()] = "",
    due_month: Annotated[str, Form()] = "",
    due_year: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "",
    submission_key: Annotated[str, Form()] = "",
) -> Response:
    page.check_csrf(csrf)
    concern_id = _concern_id(concern_id)
    me = page.require_me(after=f"/concerns/{concern_id}")
    outcome = add_follow_up(
        page.deps.uow(),
        concern_id=concern_id,
        created_by_id=me.practitioner_id,
        owner_id=owner,
        due=date_from_fields(due_day, due_month, due_year),
        action=action,
        submission_key=submission_key,
        clock=page.deps.clock,
    )
    if isinstance(outcome, FollowUpAdded):
        mine = owner == me.practitioner_id
        page.browser.remember("notice", "follow_up_mine" if mine else "follow_up")
        return page.redirect(f"/concerns/{concern_id}#follow-ups")
    answers = {"owner": owner, "day": due_day, "month": due_month, "year": due_year}
    return show(
        page,
        concern_id,
        status=400,
        errors=outcome.errors,
        follow_up={**answers, "action": action},
        follow_up_key=submission_key,
    )


@router.post("/concerns/{concern_id}/follow-ups/{follow_up_id}/done")
def mark_follow_up_done(
    concern_id: str,
    follow_up_id: str,
    page: Annotated[Page, Depends(page_for)],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    page.check_csrf(csrf)
    concern_id = _concern_id(concern_id)
    me = page.require_me(after=f"/concerns/{concern_id}")
    outcome = complete_follow_up(
        page.deps.uow(),
        follow_up_id=_concern_id(follow_up_id),
        practitioner_id=me.practitioner_id,
        clock=page.deps.clock,
    )
    if isinstance(outcome, NotOwner):
        raise PageError(
            403,
            "Only the owner can mark a follow-up as done",
            "Ask the person who owns it, or the lead professional.",
        )
    page.browser.remember("notice", "follow_up_done")
    return page.redirect(f"/concerns/{concern_id}#follow-ups")
