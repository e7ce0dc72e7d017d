"""`/metrics` on its own listener (FLARE_METRICS_PORT), apart from the public port.

`flare serve` and `flare worker` start it when the setting is given. It answers GET /metrics
and nothing else (404), with the bearer token when FLARE_METRICS_TOKEN is set too. A plain
threaded HTTP server: it needs no event loop, so the worker can run it as well as serve.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import structlog

from bot import metrics
from bot.runtime import Runtime

log = structlog.get_logger("flare")


class MetricsListener:
    """Serves the store's metrics on host:port from a daemon thread until `stop()`."""

    def __init__(self, runtime: Runtime, host: str, port: int) -> None:
        handler = type("Handler", (_Handler,), {"runtime": runtime})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="flare-metrics", daemon=True
        )

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> MetricsListener:
        self._thread.start()
        host, port = self.address
        log.info("metrics.listening", host=host, port=port)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    runtime: Runtime

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] != "/metrics":
            self._answer(404, b"not found\n", "text/plain; charset=utf-8")
            return
        settings = self.runtime.settings
        if not metrics.authorised(settings, self.headers.get("Authorization")):
            self._answer(401, b"unauthorised\n", "text/plain; charset=utf-8", bearer=True)
            return
        try:
            body = metrics.render(self.runtime)
        except Exception as exc:  # a scrape never sees a traceback
            log.error("metrics.failed", error=type(exc).__name__)
            self._answer(503, b"unavailable\n", "text/plain; charset=utf-8")
            return
        self._answer(200, body, metrics.CONTENT_TYPE)

    def _answer(self, status: int, body: bytes, kind: str, *, bearer: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        if bearer:
            self.send_header("WWW-Authenticate", 'Bearer realm="flare-metrics"')
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # scrapes are not worth a log line each


def listen_for_metrics(
    runtime: Runtime, host: str, *, public_port: int | None = None
) -> MetricsListener | None:
    """Start the listener when FLARE_METRICS_PORT is set; a port that cannot be used is
    one clear line (SettingsError), not a traceback."""
    from bot.config import SettingsError

    port = runtime.settings.metrics_port
    if port is None:
        return None
    if port == public_port:
        raise SettingsError(
            "flare: bad setting FLARE_METRICS_PORT: must differ from the port served"
        )
    try:
        return MetricsListener(runtime, host, port).start()
    except OSError as exc:
        raise SettingsError(
            f"flare: bad setting FLARE_METRICS_PORT: cannot listen on {host}:{port} "
            f"({exc.strerror or type(exc).__name__})"
        ) from None
