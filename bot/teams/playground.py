"""Microsoft 365 Agents Playground: a local Teams client for trying Flare (demo and test only).

The Playground (`@microsoft/m365agentsplayground`, docs/teams.md "Try it locally") posts
activities to /api/messages WITHOUT a Bot Framework token, marked `x-ms-agents-playground:
true`, and plays the Bot Connector itself at `<its address>/_connector`. Flare accepts such
an unauthenticated activity only when ALL of these hold, and otherwise answers 401 and
changes nothing (the first three are checked before the body is read):

- FLARE_ENV is demo or test;
- no Teams credentials are set (TEAMS_APP_ID, TEAMS_APP_PASSWORD): a real bot always checks
  the Bot Framework's token (endpoint.py);
- the request comes from loopback and carries the Playground's header;
- the activity's serviceUrl is on loopback, so replies can only go to this machine.

Replies and pointers then go to that serviceUrl without a bot token (no msal), and the
connector refuses any address that is not on loopback.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse

from bot.config import Settings
from bot.request_body import Refusal, read_body
from bot.teams.connector import BotConnector, Outcome, Refused
from bot.teams.endpoint import answer, parse_activity
from bot.teams.inbound import TeamsInbound
from bot.teams.notifier import TeamsNotifier
from handlers.ports import Clock
from store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from bot.dependencies import Dependencies

log = structlog.get_logger("flare")

PLAYGROUND_HEADER = "x-ms-agents-playground"


def playground_mode(settings: Settings) -> bool:
    """Whether this Flare talks to the Agents Playground instead of the Bot Framework."""
    return settings.env in ("demo", "test") and not (
        settings.teams_app_id or settings.teams_app_password
    )


def on_loopback(host: str | None) -> bool:
    """`localhost` or a loopback address (127.0.0.0/8, ::1); names are not looked up."""
    host = (host or "").strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def loopback_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and on_loopback(parts.hostname)
    except ValueError:
        return False


def refusal(settings: Settings, *, client_host: str | None, marked: str | None) -> str | None:
    """Why a token-less request may not come in (None: it may); checked before the body."""
    if not playground_mode(settings):
        return "not_playground_mode"
    if not on_loopback(client_host):
        return "not_loopback"
    if (marked or "").strip().lower() != "true":
        return "not_playground"
    return None


class PlaygroundConnector(BotConnector):
    """The Playground's Bot Connector: no bearer token, and only addresses on loopback."""

    def __init__(self, *, timeout: float = 10.0) -> None:
        super().__init__(None, app_id="", timeout=timeout)  # type: ignore[arg-type]

    def _authorization(self) -> dict[str, str] | Outcome:
        return {}

    def _call(self, method: str, url: str, body: dict[str, Any] | None, *, create: bool) -> Outcome:
        if not loopback_url(url):
            # status 0: nothing was sent, and a stored conversation must not be forgotten
            return Refused("playground: the service URL is not on loopback", 0)
        return super()._call(method, url, body, create=create)


def playground_notifier(
    settings: Settings, uow_factory: Callable[[], UnitOfWork], clock: Clock
) -> TeamsNotifier:
    """Pointers as Adaptive Cards into the Playground's chats (TEAMS_SERVICE_URL for new ones)."""
    return TeamsNotifier(
        uow_factory,
        clock,
        PlaygroundConnector(),
        tenant_id=settings.teams_tenant_id,
        service_url=settings.teams_service_url,
    )


def _unauthorized() -> JSONResponse:
    return JSONResponse({"error": "unauthorized"}, status_code=401)


def playground_router(settings: Settings, inbound: TeamsInbound) -> APIRouter:
    router = APIRouter()

    @router.post("/api/messages", include_in_schema=False)
    async def messages(request: Request) -> Response:
        client = request.client.host if request.client else None
        reason = refusal(
            settings, client_host=client, marked=request.headers.get(PLAYGROUND_HEADER)
        )
        if reason:
            log.warning("teams.playground_refused", reason=reason)
            return _unauthorized()
        try:
            activity = parse_activity(await read_body(request))
        except Refusal as refused:
            log.warning("teams.refused", status=refused.status, reason=refused.reason)
            return refused.response()
        if not loopback_url(activity.service_url):
            log.warning("teams.playground_refused", reason="service_url_not_loopback")
            return _unauthorized()
        return await answer(inbound, activity)

    return router


def mount_playground(
    app: FastAPI, deps: Dependencies, *, connector: BotConnector | None = None
) -> None:
    """Serve POST /api/messages for the Agents Playground (playground_mode only)."""
    settings = deps.settings
    if not playground_mode(settings):
        raise RuntimeError("the Agents Playground is for FLARE_ENV=demo or test without Teams")
    inbound = TeamsInbound(deps, connector=connector or PlaygroundConnector())
    app.include_router(playground_router(settings, inbound))
    log.info("teams.playground_mode", note="unauthenticated activities from loopback only")
