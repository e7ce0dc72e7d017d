"""Per-recipient links: GET is an empty interstitial, POST (with CSRF) checks and opens.

Chat unfurlers and mail scanners fetch links before people do, so GET and HEAD never look
the token up and change nothing; the page is the same for every token. After a token is
checked the browser moves to a token-free URL so it stays out of history and referrers.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request, Response

from bot.web.rendering import Page, PageRoute, page_for
from bot.web.throttle import refuse_guess
from handlers.concern.opening import (
    LinkTarget,
    Opened,
    Refusal,
    Refused,
    check_token,
    open_link,
    request_fresh_link,
)

router = APIRouter(route_class=PageRoute)
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-]{20,128}$")
# One status for unknown and expired links, so the answer does not tell them apart.
DEAD_LINK_STATUS = 404


@router.api_route("/l/{token}", methods=["GET", "HEAD"])
def interstitial(token: str, page: Annotated[Page, Depends(page_for)]) -> Response:
    """No lookup, no content, no state change: only a button that POSTs back here."""
    return page.render("link_interstitial.html")


def slow_down(page: Page, seconds: int) -> Response:
    response = page.render(
        "error.html",
        status=429,
        title="Too many attempts",
        message="Wait a minute, then open the link from your chat again.",
    )
    response.headers["Retry-After"] = str(seconds)
    return response


@router.post("/l/{token}")
def open_token(
    token: str,
    request: Request,
    page: Annotated[Page, Depends(page_for)],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    page.check_csrf(csrf)
    target = _checked(page, token)
    if isinstance(target, Refused):  # only a failed guess counts; a live link always opens
        wait = refuse_guess(request, "link")
        return _dead_link(page, token) if wait is None else slow_down(page, wait)
    me = page.me()
    if me is None:
        page.browser.remember("link", target.link_id)
        page.browser.remember("link_platform", target.platform)  # offered first at sign-in
        return page.redirect("/signin")
    return open_for(page, target.link_id, me.practitioner_id)


@router.post("/l/{token}/fresh")
def fresh_link(
    token: str,
    request: Request,
    page: Annotated[Page, Depends(page_for)],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """The same neutral answer whether or not the token was ever real (bar the guess limit)."""
    page.check_csrf(csrf)
    target = _checked(page, token)
    if isinstance(target, Refused) and target.reason is Refusal.UNKNOWN:
        wait = refuse_guess(request, "fresh_link")
        if wait is not None:
            return slow_down(page, wait)
    else:  # a real token: a fresh pointer if it has expired, nothing if it is still live
        request_fresh_link(page.deps.uow(), token, page.deps.clock)
    return page.render("link_fresh_requested.html")


def _checked(page: Page, token: str) -> LinkTarget | Refused:
    """The token looked up by its hash; a malformed one is unknown without a look-up."""
    if not TOKEN_SHAPE.match(token):
        return Refused(Refusal.UNKNOWN)
    return check_token(page.deps.uow(), token, page.deps.clock)


def open_for(page: Page, link_id: str, practitioner_id: str) -> Response:
    """The signed-in practitioner opens a checked link: the concern, or a refusal."""
    page.browser.remember("link", None)
    outcome = open_link(
        page.deps.uow(),
        link_id=link_id,
        practitioner_id=practitioner_id,
        clock=page.deps.clock,
    )
    if isinstance(outcome, Opened):
        return page.redirect(f"/concerns/{outcome.concern_id}")
    if outcome.reason is Refusal.NOT_YOU:
        return page.render("link_not_you.html", status=403)
    # Rendered, not raised: a sign-in that lands here must still set its session cookie.
    return page.render(
        "error.html",
        status=DEAD_LINK_STATUS,
        title="This link has expired or is not valid",
        message="Open the latest message from Flare in your chat, or ask for a fresh link.",
    )


def _dead_link(page: Page, token: str) -> Response:
    return page.render(
        "link_dead.html",
        status=DEAD_LINK_STATUS,
        fresh_action=f"/l/{quote(token, safe='')}/fresh",
    )


def continue_after_sign_in(page: Page, practitioner_id: str) -> Response | None:
    """Finish the link the browser was part-way through opening, if there was one.

    Any sign-in (demo or OIDC) calls this right after `Browser.sign_in`.
    """
    link_id = page.browser.recall("link")
    if link_id is None:
        return None
    return open_for(page, link_id, practitioner_id)
