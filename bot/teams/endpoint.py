"""POST /api/messages: verify the Bot Framework's JWT, then hand the activity to Flare.

A request whose token does not verify gets 401 and changes nothing: the body is parsed
only to learn which serviceUrl and channel the token must vouch for.
"""

from __future__ import annotations

import json

import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bot.runtime import Runtime
from bot.teams.activity import Activity, BadActivity
from bot.teams.auth import BotFrameworkAuth, SigningKeys, Unauthorized
from bot.teams.connector import BotConnector, connector_for
from bot.teams.inbound import TeamsInbound
from bot.teams.notifier import TeamsNotifier
from handlers.values import Platform

log = structlog.get_logger("flare")
MAX_BODY = 256 * 1024


def _unauthorized() -> JSONResponse:
    return JSONResponse({"error": "unauthorized"}, status_code=401)


def teams_router(auth: BotFrameworkAuth, inbound: TeamsInbound) -> APIRouter:
    router = APIRouter()

    @router.post("/api/messages", include_in_schema=False)
    async def messages(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": "too large"}, status_code=413)
        try:
            activity = Activity.parse(json.loads(body))
        except (ValueError, BadActivity):
            return JSONResponse({"error": "not a Bot Framework activity"}, status_code=400)
        try:
            await run_in_threadpool(
                auth.verify,
                request.headers.get("authorization"),
                service_url=activity.service_url,
                channel_id=activity.channel_id,
            )
        except Unauthorized as refused:
            log.warning("teams.unauthorized", reason=refused.reason)
            return _unauthorized()
        answer = await run_in_threadpool(inbound.handle, activity)
        if answer.body is None:
            return Response(status_code=answer.status)
        return JSONResponse(answer.body, status_code=answer.status)

    return router


def default_connector(runtime: Runtime) -> BotConnector:
    """The outbound notifier's connector when Teams is attached (one token cache per process)."""
    notifier = runtime.notifiers.get(Platform.TEAMS)
    if isinstance(notifier, TeamsNotifier):
        return notifier.connector
    return connector_for(runtime.settings)


def mount_teams(
    app: FastAPI,
    runtime: Runtime,
    *,
    connector: BotConnector | None = None,
    keys: SigningKeys | None = None,
) -> None:
    """Serve POST /api/messages for the bot TEAMS_APP_ID."""
    settings = runtime.settings
    auth = BotFrameworkAuth(
        app_id=settings.teams_app_id,
        keys=keys or SigningKeys(settings.teams_openid_metadata_url),
    )
    inbound = TeamsInbound(
        uow_factory=runtime.uow,
        clock=runtime.clock,
        calendar=runtime.calendar,
        connector=connector or default_connector(runtime),
        public_url=settings.public_url,
        tenant_id=settings.teams_tenant_id,
    )
    app.include_router(teams_router(auth, inbound))
