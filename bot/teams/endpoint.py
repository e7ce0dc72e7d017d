"""POST /api/messages: verify the Bot Framework's JWT, then hand the activity to Flare.

Each bad request is refused before anything happens, and logs its reason only: 413 for a
body over 1 MiB (unread), 401 unless the token verifies (from the header alone, before the
body is decoded), 400 for a body that is not a UTF-8 JSON activity, and 401 again unless the
token vouches for the activity's serviceUrl and channel. An exception while handling a
verified activity is a 400 logged by its type, never a traceback.
"""

from __future__ import annotations

import json

import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bot.dependencies import Dependencies
from bot.request_body import Refusal, read_body
from bot.teams.activity import Activity, BadActivity
from bot.teams.auth import BotFrameworkAuth, SigningKeys, Unauthorized
from bot.teams.connector import BotConnector, connector_for
from bot.teams.inbound import TeamsInbound

log = structlog.get_logger("flare")


def _unauthorized() -> JSONResponse:
    return JSONResponse({"error": "unauthorized"}, status_code=401)


def parse_activity(body: bytes) -> Activity:
    """The verified request's body as an activity, or Refusal(400)."""
    try:
        return Activity.parse(json.loads(body.decode("utf-8")))
    except (ValueError, RecursionError, BadActivity):  # UnicodeDecodeError is a ValueError
        raise Refusal(400, "not_an_activity") from None


def teams_router(auth: BotFrameworkAuth, inbound: TeamsInbound) -> APIRouter:
    router = APIRouter()

    @router.post("/api/messages", include_in_schema=False)
    async def messages(request: Request) -> Response:
        try:
            body = await read_body(request)
            token = await run_in_threadpool(auth.verify_token, request.headers.get("authorization"))
            activity = parse_activity(body)
            token.vouches_for(service_url=activity.service_url, channel_id=activity.channel_id)
        except Unauthorized as refused:
            log.warning("teams.unauthorized", reason=refused.reason)
            return _unauthorized()
        except Refusal as refused:
            log.warning("teams.refused", status=refused.status, reason=refused.reason)
            return refused.response()
        return await answer(inbound, activity)

    return router


async def answer(inbound: TeamsInbound, activity: Activity) -> Response:
    """Hand an admitted activity to Flare; an exception is a 400 logged by its type only."""
    try:
        answered = await run_in_threadpool(inbound.handle, activity)
    except Exception as exc:
        log.warning("teams.request_failed", error=type(exc).__name__)
        return JSONResponse({"error": "bad request"}, status_code=400)
    if answered.body is None:
        return Response(status_code=answered.status)
    return JSONResponse(answered.body, status_code=answered.status)


def mount_teams(
    app: FastAPI,
    deps: Dependencies,
    *,
    connector: BotConnector | None = None,
    keys: SigningKeys | None = None,
) -> None:
    """Serve POST /api/messages for the bot TEAMS_APP_ID (`connector`: the outbound
    notifier's, so one process keeps one bot token)."""
    settings = deps.settings
    auth = BotFrameworkAuth(
        app_id=settings.teams_app_id,
        keys=keys or SigningKeys(settings.teams_openid_metadata_url),
    )
    inbound = TeamsInbound(deps, connector=connector or connector_for(settings))
    app.include_router(teams_router(auth, inbound))
