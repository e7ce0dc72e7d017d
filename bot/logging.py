"""structlog set-up: JSON in production, readable in demo; sensitive keys never printed.

The redaction processor drops the values of keys that could carry content (a belt) — the
braces are that handlers never log such values in the first place.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

SENSITIVE_KEYS = frozenset(
    {
        "body",
        "text",
        "noticed",
        "rationale",
        "label",
        "client_label",
        "identifier",
        "identifiers",
        "nhs_number",
        "name_dob",
        "family_reason",
        "narrowing_reason",
        "protected",
        "information",
        "token",
        "link",
        "url",
        "password",
        "secret",
        "cookie",
        "authorization",
        "value",
        "email",
        "view",
        "blocks",
        "card",
        "payload",
        "submission",
    }
)
LINK_TOKEN = re.compile(r"/l/[A-Za-z0-9_\-]{16,}")
SLACK_TOKEN = re.compile(r"xox[abposr]-[A-Za-z0-9-]+")
# The sign-in callback's query (an authorization code and its state), and the sign-in
# start's CSRF token.
OIDC_QUERY = re.compile(r"([?&](?:code|state|session_state|csrf)=)[^&\s\"']+")


def scrub(text: str) -> str:
    """Mask link tokens, platform tokens and sign-in codes in a free-form string."""
    text = OIDC_QUERY.sub(r"\1[redacted]", LINK_TOKEN.sub("/l/[redacted]", text))
    return SLACK_TOKEN.sub("xox?-[redacted]", text)


def _clean(value: Any) -> Any:
    """Scrub strings; redact sensitive keys inside nested dicts and lists too."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {
            k: "[redacted]" if str(k).lower() in SENSITIVE_KEYS else _clean(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if key.lower() in SENSITIVE_KEYS:
            event[key] = "[redacted]"
        else:
            event[key] = _clean(event[key])
    return event


class _ScrubStdlib(logging.Filter):
    """Uvicorn's access log prints paths: keep link tokens out of it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(scrub(a) if isinstance(a, str) else a for a in record.args)
        record.msg = scrub(str(record.msg))
        return True


def configure(*, json: bool, level: str = "INFO", stream: TextIO | None = None) -> None:
    """Set up structlog (and the stdlib loggers of our libraries); `stream` defaults to stderr."""
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format="%(name)s %(message)s")
    # Alembic narrates every migration step at INFO; operators need only its warnings.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLevelName(level.upper())))
    scrubber = _ScrubStdlib()
    for name in ("uvicorn.access", "uvicorn.error", "slack_bolt", "slack_sdk", "httpx"):
        logging.getLogger(name).addFilter(scrubber)
