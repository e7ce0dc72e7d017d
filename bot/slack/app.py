"""The slack-bolt App: replay and retry de-duplication, then the listeners.

`build_slack_app(deps)` returns a bolt App whose Web API client talks to SLACK_API_URL.
Every listener module in LISTENER_MODULES exposes `register(app, deps) -> None`; a
listener acks first (bolt answers Slack as soon as `ack()` is called, well inside Slack's
3 seconds) and then does its one handler call.

The signature, size and shape of a request are checked before bolt sees it
(bot/slack/http.py), so bolt's own request verification is off: it would log a refused
request's whole body. Bolt logs through a logger under `slack_bolt`, held at WARNING, and any
error in a middleware or listener is logged by its type and answered 400 (never a traceback).

Before any listener runs, one middleware (the InboundLedger: concurrent requests share one
INSERT ... ON CONFLICT DO NOTHING, committed before the ack):
- refuses a replayed request (the same signature seen before) with 401, and
- drops a repeated delivery (Slack retries: the same `event_id`; the same `trigger_id` of a
  command, shortcut, button or view submission) with an empty 200.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from types import ModuleType
from typing import Any

import structlog
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.oauth.oauth_settings import OAuthSettings

from bot.dependencies import Dependencies
from bot.logging import hold_libraries
from bot.slack import (
    acknowledge,
    app_home,
    closing,
    installation,
    joining,
    raise_child,
    raise_modal,
)
from bot.slack.http import refuse_by_type
from bot.slack.notifier import web_client
from handlers.retention.inbound_keys import inbound_key
from store.inbound_ledger import InboundLedger

log = structlog.get_logger("flare.slack")

# Modules whose `register(app, deps)` adds listeners. Append yours; keep one per concern.
# raise_child before raise_modal: its `/concern child` matcher must be tried first.
LISTENER_MODULES: list[ModuleType] = [
    acknowledge,
    closing,
    installation,
    joining,  # `/concern join`, before raise_modal too
    raise_child,
    raise_modal,
    app_home,
]

SIGNATURE_HEADER = "x-slack-signature"
RETRY_HEADER = "x-slack-retry-num"
LISTENER_THREADS = 32
BOLT_LOGGER = "slack_bolt.flare"


def build_slack_app(
    deps: Dependencies,
    *,
    ledger: InboundLedger,
    listener_executor: Executor | None = None,
    oauth_settings: OAuthSettings | None = None,
) -> App:
    """The bolt App for these dependencies: single workspace (SLACK_BOT_TOKEN) or OAuth."""
    settings = deps.settings
    common: dict[str, Any] = {
        "name": "flare",
        "logger": logging.getLogger(BOLT_LOGGER),
        "signing_secret": settings.slack_signing_secret,
        "request_verification_enabled": False,  # done before bolt, on the raw bytes
        # The client carries SLACK_API_URL (and, single-workspace, the bot token) to listeners.
        "client": web_client(settings.slack_bot_token or None, settings.slack_api_url),
        "process_before_response": False,
        "before_authorize": inbound_guard(ledger),
    }
    # Listeners call ack() from this pool: bolt's default of 5 threads would queue the acks
    # of a burst of commands behind each other's Web API calls.
    common["listener_executor"] = listener_executor or ThreadPoolExecutor(
        max_workers=LISTENER_THREADS, thread_name_prefix="flare-slack"
    )
    if settings.slack_client_id:
        app = App(oauth_settings=oauth_settings or installation.oauth_settings(deps), **common)
    else:
        app = App(token_verification_enabled=False, **common)
    app.error(refuse_by_type)
    for module in LISTENER_MODULES:
        module.register(app, deps)
    hold_libraries()  # bolt set its loggers' levels from the root's
    return app


def delivery_id(body: dict[str, Any]) -> str | None:
    """The identity of what Slack delivered, the same on every retry of it."""
    if body.get("event_id"):
        return f"event:{body['event_id']}"
    if body.get("trigger_id"):
        return f"trigger:{body['trigger_id']}"
    return None


def inbound_guard(ledger: InboundLedger) -> Callable[..., BoltResponse | None]:
    """Middleware: 401 for a replayed request, an empty 200 for a repeated delivery."""

    def guard(req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> Any:
        keys: list[tuple[str, str]] = []
        signature = _header(req, SIGNATURE_HEADER)  # over HTTP; Socket Mode has none
        if signature:
            keys.append(("slack-signature", signature))
        content_key = delivery_id(req.body)
        if content_key:
            keys.append(("slack", content_key))
        seen = _first_time(ledger, keys)
        if seen == "slack-signature":
            log.warning("slack.replayed_request")
            return BoltResponse(status=401, body={"error": "replayed request"})
        if seen == "slack":
            log.info("slack.duplicate_delivery", retry=_header(req, RETRY_HEADER) or "0")
            return BoltResponse(status=200, body="")
        return next()

    return guard


def _first_time(ledger: InboundLedger, keys: list[tuple[str, str]]) -> str | None:
    """Record every key (one statement per burst); the platform of the first already-seen."""
    seen = ledger.seen_before([(platform, inbound_key(key)) for platform, key in keys])
    return seen[0][0] if seen else None


def _header(req: BoltRequest, name: str) -> str | None:
    values = req.headers.get(name) or []
    return str(values[0]) if values else None
