"""The Slack routes on Flare's FastAPI app: events, install and the OAuth redirect.

Thin, like slack_bolt's own Starlette adapter, except that the bolt App (synchronous: the
store is synchronous) is run in the thread pool, never on the event loop.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.concurrency import run_in_threadpool

EVENTS_PATH = "/slack/events"


def slack_router(slack_app: App) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.post(EVENTS_PATH)
    async def events(request: Request) -> Response:
        bolt_request = to_bolt_request(request, await request.body())
        return to_starlette_response(await run_in_threadpool(slack_app.dispatch, bolt_request))

    flow = slack_app.oauth_flow
    if flow is not None:

        @router.get(flow.install_path)
        async def install(request: Request) -> Response:
            bolt_request = to_bolt_request(request, b"")
            answer = await run_in_threadpool(flow.handle_installation, bolt_request)
            return to_starlette_response(answer)

        @router.get(flow.redirect_uri_path)
        async def oauth_redirect(request: Request) -> Response:
            bolt_request = to_bolt_request(request, b"")
            answer = await run_in_threadpool(flow.handle_callback, bolt_request)
            return to_starlette_response(answer)

    return router
