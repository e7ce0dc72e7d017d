"""The HTTP server every fake platform (Slack, Bot Connector, OIDC providers) listens with."""

from __future__ import annotations

from http.server import ThreadingHTTPServer


class LoopbackServer(ThreadingHTTPServer):
    """A threaded server on 127.0.0.1 that a burst of connections does not overflow.

    The standard library's listen backlog of 5 resets connections when Flare's 32 listener
    threads call the fake at once (seen in `make bench`); Slack's real API would not.
    """

    daemon_threads = True
    request_queue_size = 128
