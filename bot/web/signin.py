"""Real sign-in: Sign in with Slack and Microsoft Entra ID, then the practitioner's session.

`GET /signin` offers the configured providers, the platform the pending pointer came from
first (and, in demo/test, the demo picker). Each is a link, `GET /signin/{provider}?csrf=…`,
that sends the browser to the provider with fresh state, nonce and PKCE kept in its signed
cookie; the callback checks them, verifies the ID token, refuses a workspace or tenant no
organisation declares, and maps the identity to a practitioner only through
`handlers.network.identity.identify`. Every refusal is audited (with the identity's ids once known,
never its e-mail) and leaves no session.

Why a link and not a form: Chromium applies the CSP's `form-action 'self'` to the redirects
that follow a form submission, so a form posting to Flare that answers with a redirect to
Slack or Microsoft is blocked. A navigation by link is not a form submission, and the CSP
keeps forbidding forms that post anywhere but Flare. The start changes nothing on the server:
it only puts a new flow in this browser's own cookie. It is still CSRF-checked, so another
site cannot start (and so replace) a sign-in in someone's browser.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Request, Response

from bot.web.links import slow_down
from bot.web.oidc import Provider, SignInFailed, Verified, providers
from bot.web.rendering import STEP_UP, Page, PageError, PageRoute, page_for
from bot.web.signin_demo import start_session
from bot.web.throttle import refuse_guess
from handlers.network.identity import ChatIdentity, Known, explain, identify, workspace_declared
from handlers.network.people import active_practitioners

router = APIRouter(route_class=PageRoute)
log = structlog.get_logger("flare")
FLOW = "oidc"  # the browser-cookie key that carries one sign-in's state, nonce and verifier
LINK_PLATFORM = "link_platform"  # where the pending link's pointer was sent


def offered(page: Page) -> list[Provider]:
    """The configured providers, the one matching the pending pointer's platform first."""
    found = list(providers(page.deps.settings).values())
    came_from = page.browser.recall(LINK_PLATFORM)
    return sorted(found, key=lambda p: p.platform.value != came_from)


@router.get("/signin")
def signin_page(page: Annotated[Page, Depends(page_for)]) -> Response:
    people = active_practitioners(page.deps.uow()) if page.demo else []
    return page.render(
        "signin.html",
        providers=offered(page),
        people=people,
        pending=page.browser.recall("link") is not None,
        step_up=page.browser.recall(STEP_UP) is not None,
        step_up_minutes=round(page.deps.settings.step_up_minutes),
    )


def _provider(page: Page, name: str) -> Provider:
    provider = providers(page.deps.settings).get(name)
    if provider is None:
        raise PageError(404, "This sign-in is not available", "Go back and choose another way.")
    return provider


def _redirect_uri(page: Page, name: str) -> str:
    return f"{page.deps.settings.public_url}/signin/{name}/callback"


@router.get("/signin/{name}")
def start(name: str, page: Annotated[Page, Depends(page_for)], csrf: str = "") -> Response:
    provider = _provider(page, name)
    if not page.browser.csrf_ok(csrf):
        # Not from this browser's own sign-in page (another site, an old bookmark): show it.
        return page.redirect("/signin")
    step_up = page.browser.recall(STEP_UP) is not None
    max_age = int(page.deps.settings.step_up_minutes * 60) if step_up else None
    try:
        started = provider.start(_redirect_uri(page, name), max_age=max_age)
    except SignInFailed as failed:
        return _refused(page, name, failed.reason)
    page.browser.remember(FLOW, json.dumps({"provider": name, **started.flow}))
    return page.redirect(started.url)


@router.get("/signin/{name}/callback")
def callback(name: str, request: Request, page: Annotated[Page, Depends(page_for)]) -> Response:
    provider = _provider(page, name)
    flow = _take_flow(page)
    try:
        if flow.get("provider") != name:
            raise SignInFailed("state")
        verified = provider.finish(flow, dict(request.query_params), _declared(page))
    except SignInFailed as failed:
        # Only a failed callback counts: a good one is never refused for others' failures.
        # Within the allowance each refusal is audited; beyond it, 429 and one aggregate event.
        wait = refuse_guess(request, "signin")
        if wait is not None:
            return slow_down(page, wait)
        return _refused(page, name, failed.reason, failed.ids)
    return _signed_in(page, name, verified)


def _declared(page: Page) -> Callable[[ChatIdentity], bool]:
    """The allow-list check a provider runs once the token's signature holds."""
    return lambda identity: workspace_declared(page.deps.uow(), identity)


def _take_flow(page: Page) -> dict[str, Any]:
    """The flow this browser started; used once (a replayed callback finds nothing)."""
    raw = page.browser.recall(FLOW)
    page.browser.remember(FLOW, None)
    try:
        flow = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return flow if isinstance(flow, dict) else {}


def _signed_in(page: Page, name: str, verified: Verified) -> Response:
    deps = page.deps
    outcome = identify(deps.uow(), verified.identity, clock=deps.clock)
    if not isinstance(outcome, Known):
        _audit_refusal(page, name, f"identity_{outcome.reason}", verified.identity.ids())
        return page.render(
            "error.html",
            status=403,
            title="You cannot sign in to Flare yet",
            message=explain(outcome),
        )
    age = verified.authenticated_seconds_ago
    return start_session(
        page,
        practitioner_id=outcome.practitioner_id,
        provider=name,
        issuer=verified.issuer,
        subject=verified.subject,
        authenticated_at=None if age is None else deps.clock.now() - timedelta(seconds=age),
    )


def _audit_refusal(page: Page, name: str, reason: str, ids: dict[str, str] | None = None) -> None:
    log.info("signin.refused", provider=name, reason=reason)
    with page.deps.uow() as uow:
        uow.audit(
            "session.signin_refused",
            at=page.deps.clock.now(),
            detail={"provider": name, "reason": reason} | (ids or {}),
        )
        uow.commit()


def _refused(page: Page, name: str, reason: str, ids: dict[str, str] | None = None) -> Response:
    _audit_refusal(page, name, reason, ids)
    return page.render(
        "error.html",
        status=400,
        title="You are not signed in",
        message="Sign-in did not complete. Go back to the link in your chat and try again.",
    )
