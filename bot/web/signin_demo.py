"""Demo sign-in (FLARE_ENV demo or test only), the session start every sign-in shares, sign-out."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Response

from bot.web.links import continue_after_sign_in
from bot.web.rendering import Page, PageError, PageRoute, page_for
from bot.web.sessions import CLEAR_SITE_DATA
from handlers.network.people import active_practitioner, active_practitioners

router = APIRouter(route_class=PageRoute)
# Where a sign-in may return to: only Flare's own token-free pages, never an open redirect.
SAFE_NEXT = re.compile(
    r"^/(concerns/[0-9a-f]{32}|raise|playground/[0-9a-f]{32}|inbox|decisions"
    r"|clients/[0-9a-f]{32}/(chronology|network))$"
)


def _demo_only(page: Page) -> None:
    if not page.demo:
        raise PageError(
            404,
            "Demo sign-in is not available",
            "Sign in with Slack or Microsoft, from the link in your chat.",
        )


@router.post("/signin/demo")
def signin_demo(
    page: Annotated[Page, Depends(page_for)],
    csrf: Annotated[str, Form()] = "",
    practitioner_id: Annotated[str, Form()] = "",
) -> Response:
    _demo_only(page)
    page.check_csrf(csrf)
    person = active_practitioner(page.deps.uow(), practitioner_id)
    if person is None:
        people = active_practitioners(page.deps.uow())
        errors = {"practitioner_id": "Choose who you want to sign in as"}
        return page.render("signin.html", status=400, people=people, errors=errors, providers=[])
    return sign_in_as(page, person.practitioner_id, person.ref)


def sign_in_as(page: Page, practitioner_id: str, ref: str, then: str | None = None) -> Response:
    """Start a demo session and continue where the browser was going."""
    return start_session(
        page,
        practitioner_id=practitioner_id,
        provider="demo",
        issuer="flare-demo",
        subject=ref,
        then=then,
    )


def start_session(
    page: Page,
    *,
    practitioner_id: str,
    provider: str,
    issuer: str,
    subject: str,
    then: str | None = None,
    authenticated_at: datetime | None = None,
) -> Response:
    """Start a session (any sign-in) and continue where the browser was going."""
    response = Response(status_code=303)
    after = then or page.browser.recall("next") or "/"  # read first: sign-in renews the cookie
    if page.me() is not None:
        # Switching person (the playground does): end the old session on the server too.
        page.browser.sign_out()
    page.browser.sign_in(
        response,
        practitioner_id=practitioner_id,
        provider=provider,
        issuer=issuer,
        subject=subject,
        authenticated_at=authenticated_at,
    )
    pending = continue_after_sign_in(page, practitioner_id)
    if pending is not None:
        return _with_cookies(pending, response)
    response.headers["location"] = safe_return(after)
    page.browser.write(response)
    return response


def safe_return(after: str) -> str:
    """Only one of Flare's own token-free pages (a same-origin path), else home."""
    return after if SAFE_NEXT.fullmatch(after) else "/"


def _with_cookies(target: Response, signed: Response) -> Response:
    """Carry the session cookie set on `signed` over to the response actually returned."""
    for name, value in signed.raw_headers:
        if name.lower() == b"set-cookie":
            target.raw_headers.append((name, value))
    return target


@router.post("/signout")
def signout(
    page: Annotated[Page, Depends(page_for)],
    csrf: Annotated[str, Form()] = "",
    everywhere: Annotated[str, Form()] = "",
) -> Response:
    """Sign out here, or (with `everywhere`) end every session of this practitioner.

    The browser is told to forget every Flare cookie, its cache and its storage."""
    page.check_csrf(csrf)
    response = Response(
        status_code=303, headers={"location": "/", "Clear-Site-Data": CLEAR_SITE_DATA}
    )
    page.browser.sign_out(everywhere=everywhere == "yes")
    page.browser.forget(response)
    return response
