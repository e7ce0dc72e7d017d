"""FastAPI application factory: mounts the web pages, the playground and the platforms."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from bot import metrics
from bot.composition import attach_playground, attached_teams_connector, build_runtime
from bot.config import Settings
from bot.runtime import Runtime
from bot.scheduler import Scheduler
from bot.slack.wiring import attach_slack
from bot.web.security import InternalErrors, SecurityHeaders
from bot.web.throttle import GuessLimiter, audit_every_window, audit_refused_guesses
from store.inbound_ledger import InboundLedger

log = structlog.get_logger("flare")
STATIC = Path(__file__).parent / "web" / "static"


def freeze_startup_objects() -> None:
    """Put what start-up built (modules, settings, the app, its pools) beyond the cycle
    collector: it lives as long as the process, and every full collection walked it again.
    Under a burst of Slack commands that pause (about 90 ms, measured) was the p99. Call it
    once, just before serving."""
    gc.collect()
    gc.freeze()


def create_app(settings: Settings, runtime: Runtime | None = None) -> FastAPI:
    runtime = runtime or build_runtime(settings)
    attach_playground(runtime)
    attach_slack(runtime)  # a Runtime built by hand (tests) gets Slack too
    app = FastAPI(
        title="Flare",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=_lifespan(runtime),
    )
    app.state.runtime = runtime
    app.state.dependencies = runtime.dependencies()  # what the web pages get
    app.state.link_guesses = _guess_limiter(runtime)
    _add_middleware(app, settings)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _mount_health(app, runtime)
    if settings.metrics_token:
        _mount_metrics(app, runtime)
    _mount_pages(app, settings)
    _mount_slack(app, runtime)
    _mount_teams(app, runtime)
    return app


def _lifespan(runtime: Runtime) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start the worker loop (FLARE_SERVE_WORKER), Socket Mode and the guess audit; stop them."""
    settings = runtime.settings
    loop = Scheduler(runtime) if settings.run_worker_in_serve else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if loop:
            loop.start()
        socket_mode = getattr(app.state, "slack_socket_mode", None)
        if socket_mode:
            socket_mode.start()
        deps = app.state.dependencies
        guesses = asyncio.create_task(audit_every_window(deps, app.state.link_guesses))
        log.info("flare.started", env=settings.env, public_url=settings.public_url)
        yield
        guesses.cancel()
        audit_refused_guesses(deps, app.state.link_guesses.closed_windows(all_open=True))
        if socket_mode:
            socket_mode.stop()
        if loop:
            loop.stop()
        log.info("flare.stopped")

    return lifespan


def _guess_limiter(runtime: Runtime) -> GuessLimiter:
    settings = runtime.settings
    return GuessLimiter(
        per_address_per_minute=settings.link_guesses_per_minute,
        global_per_minute=settings.link_guesses_global_per_minute,
        now=lambda: runtime.clock.now().timestamp(),
    )


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    # Order matters: the last added is the outermost. The 500 page gets the headers, and
    # outermost of all, the client address every other part sees (the guess limits above
    # all) is the socket peer, or what a trusted proxy says in X-Forwarded-For.
    app.add_middleware(InternalErrors)
    app.add_middleware(SecurityHeaders, hsts=settings.env == "production")
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)


def _mount_health(app: FastAPI, runtime: Runtime) -> None:
    """/healthz (the process answers) and /readyz (it should get traffic)."""

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        reason = runtime.not_ready_reason()
        if reason is not None:
            return JSONResponse({"ready": False, "reason": reason}, status_code=503)
        return JSONResponse({"ready": True})


def _mount_teams(app: FastAPI, runtime: Runtime) -> None:
    """POST /api/messages: the Bot Framework with Teams credentials, else the Playground."""
    if runtime.settings.teams_enabled:
        from bot.teams.endpoint import mount_teams

        mount_teams(app, runtime.dependencies(), connector=attached_teams_connector(runtime))
        return
    from bot.teams.playground import mount_playground, playground_mode

    if playground_mode(runtime.settings):
        mount_playground(app, runtime.dependencies(), connector=attached_teams_connector(runtime))


def _mount_metrics(app: FastAPI, runtime: Runtime) -> None:
    """/metrics on the public port only behind FLARE_METRICS_TOKEN; without it the path
    does not exist here (404) and is served, if at all, on FLARE_METRICS_PORT."""

    @app.get("/metrics", include_in_schema=False)
    def metrics_endpoint(request: Request) -> Response:
        if not metrics.authorised(runtime.settings, request.headers.get("authorization")):
            return PlainTextResponse(
                "unauthorised\n",
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="flare-metrics"'},
            )
        return PlainTextResponse(metrics.render(runtime), media_type=metrics.CONTENT_TYPE)


def _mount_slack(app: FastAPI, runtime: Runtime) -> None:
    """POST /slack/events (+ /slack/install, /slack/oauth_redirect with OAuth) when configured."""
    if not runtime.settings.slack_enabled:
        return
    from bot.slack.app import build_slack_app
    from bot.slack.http import slack_router
    from bot.slack.request import SlackSignature

    ledger = InboundLedger(runtime.engine)
    app.state.slack_app = build_slack_app(runtime.dependencies(), ledger=ledger)
    signature = SlackSignature(runtime.settings.slack_signing_secret)
    app.include_router(slack_router(app.state.slack_app, signature))
    if runtime.settings.slack_app_token:  # Socket Mode: no public URL needed
        from bot.slack.socket_mode import SocketMode

        app.state.slack_socket_mode = SocketMode(
            app.state.slack_app, runtime.settings.slack_app_token
        )


def _mount_pages(app: FastAPI, settings: Settings) -> None:
    from bot.web import pages

    app.include_router(pages.router)
    if settings.is_demo_like:
        from bot.playground import pages as playground

        app.include_router(playground.router)
