"""The Slack routes on Flare's FastAPI app: events, install and the OAuth redirect.

Thin, like slack_bolt's own Starlette adapter, except that
- POST /slack/events refuses a bad request before bolt sees it: 413 for a body over 1 MiB
  (unread), 401 unless Slack signed the raw bytes (bot/slack/request.py), 400 for a body
  that does not parse or has the wrong shape. Each refusal logs its reason and nothing of
  the body. The body is parsed once, here, and handed to bolt as a dict.
- the bolt App (synchronous: the store is synchronous) runs in the thread pool, never on
  the event loop; an exception out of bolt's dispatch is a 400 logged by its type.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import APIRouter, Request, Response
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.concurrency import run_in_threadpool

from bot.request_body import Refusal, read_body
from bot.slack.request import SlackSignature, parse_payload

EVENTS_PATH = "/slack/events"

log = structlog.get_logger("flare.slack")


def slack_router(slack_app: App, signature: SlackSignature) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.post(EVENTS_PATH)
    async def events(request: Request) -> Response:
        try:
            body = await read_body(request)
            signature.check(request.headers, body)
            payload = parse_payload(body, request.headers.get("content-type"))
            bolt_request = _bolt_request(request, payload)
        except Refusal as refused:
            log.warning("slack.refused", status=refused.status, reason=refused.reason)
            return refused.response()
        answer = await run_in_threadpool(_dispatch, slack_app, bolt_request)
        return to_starlette_response(answer)

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


def _bolt_request(request: Request, payload: dict[str, Any]) -> BoltRequest:
    """The verified, parsed payload as bolt's request. Bolt's "socket_mode" is how a
    BoltRequest carries a body that was already verified and parsed (it skips its own
    verification and parsing); the signature header stays for the replay guard."""
    try:
        return BoltRequest(
            body=payload,
            query=str(request.query_params),  # bolt parses a query string
            headers=dict(request.headers),
            mode="socket_mode",
        )
    except Exception:  # bolt's context building met a shape it cannot read
        raise Refusal(400, "bad_shape") from None


def _dispatch(slack_app: App, bolt_request: BoltRequest) -> BoltResponse:
    try:
        answer = slack_app.dispatch(bolt_request)
    except Exception as exc:  # bolt catches its own; this is the last net
        log.warning("slack.request_failed", error=type(exc).__name__)
        return _bad_request()
    if answer.status >= 500:
        log.warning("slack.request_failed", status=answer.status)
        return _bad_request()
    return answer


def refuse_by_type(error: Exception, response: BoltResponse | None) -> BoltResponse | None:
    """Bolt's error handler (middleware and listeners): logs the error's type, never its
    text or a traceback; the request, if not answered yet, gets a 400."""
    log.warning("slack.request_failed", error=type(error).__name__)
    return _bad_request() if response is not None else None


def _bad_request() -> BoltResponse:
    return BoltResponse(status=400, body={"error": "bad request"})
