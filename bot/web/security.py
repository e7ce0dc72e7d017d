"""Headers on every response: no caching of client data, strict CSP, no referrer, and (in
production) HSTS. Also the last line of defence: an internal fault becomes a plain 500 page.
"""

from __future__ import annotations

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("flare")

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
# Two years, this host and any below it (OWASP HSTS cheat sheet). Production only: there
# FLARE_PUBLIC_URL is always https, and a browser must never fall back to plain http.
HSTS = "max-age=63072000; includeSubDomains"


class SecurityHeaders:
    """Plain ASGI middleware: it adds headers to the response start and nothing else.

    Not Starlette's BaseHTTPMiddleware, which runs every request through an extra task and
    memory stream: measurable on /slack/events, where Slack allows 3 seconds in all.
    """

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.headers = HEADERS | ({"Strict-Transport-Security": HSTS} if hsts else {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


ERROR_TITLE = "Sorry, something went wrong"
ERROR_MESSAGE = "Nothing was shown or sent. Try again in a few minutes."


class InternalErrors:
    """An exception no route handled becomes a neutral 500 page: no exception text, no
    traceback, nothing from the request. The log gets the exception's type and where it was
    raised (file and line), never its message, which may quote data (SQL parameters, input).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:  # the boundary: every fault ends here
            log.error("web.internal_error", error=type(exc).__name__, at=_where(exc))
            if started:  # too late for a page: the connection just ends
                return
            await _error_page(send)


def _where(exc: BaseException) -> str:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb is not None else "?"


async def _error_page(send: Send) -> None:
    from bot.web.rendering import error_page  # the pages' own look; it imports the sessions

    try:
        response = error_page(500, ERROR_TITLE, ERROR_MESSAGE)
        body, headers = bytes(response.body), list(response.raw_headers)
    except Exception:  # even the template failing must not leak
        body = f"<!DOCTYPE html><title>{ERROR_TITLE}</title><h1>{ERROR_TITLE}</h1>".encode()
        headers = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
        ]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})
