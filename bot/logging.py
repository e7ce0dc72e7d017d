"""structlog set-up: JSON in production, readable in demo; sensitive keys never printed.

The redaction processor drops the values of keys that could carry content (a belt) — the
braces are that handlers never log such values in the first place. Every value is escaped
onto one line and bounded, so a logged value cannot forge a line or inflate the log.
Libraries (the standard library's logging) are held at WARNING and filtered: no request
or response body reaches the log at any FLARE_LOG_LEVEL.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
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
        "date_of_birth",
        "family_reason",
        "narrowing_reason",
        "not_sharing_reason",
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


# The standard library's logging is for libraries only (Flare logs through structlog), and
# libraries print bodies: slack_bolt's request verification prints a refused request's whole
# body at INFO, slack_sdk and httpx/httpcore print requests and responses at DEBUG, and bolt
# sets its own loggers' levels from the root's. So these are held at WARNING whatever
# FLARE_LOG_LEVEL says, and LibraryRecords (on Flare's root handler) drops every standard
# library record below WARNING and cuts the rest at the first sign of data.
LIBRARY_LOGGERS = (
    "slack_bolt",
    "slack_sdk",
    "msal",
    "uvicorn",
    "uvicorn.access",
    "uvicorn.error",
    "httpx",
    "httpcore",
    "hpack",
    "apscheduler",
    "urllib3",
    "websocket",
    "websockets",
    "sqlalchemy",
    "alembic",
    "multipart",
    "python_multipart",
    "flare.slack",  # bolt's installation and OAuth-state stores log through these
)
LIBRARY_LEVEL = logging.WARNING
MAX_VALUE_CHARS = 1000
MAX_LIBRARY_CHARS = 200
# Where a library message stops being words and starts being data: brackets, quotes, an
# assignment, a query, or a word that announces a body.
DATA_STARTS = re.compile(
    r"[({\[\"'`=?<]|\b(?:body|payload|json|data|headers?|params|query_params|form)\b",
    re.IGNORECASE,
)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
WITHHELD = "[withheld]"


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return named.get(char) or (
        f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
    )


def escape(text: str) -> str:
    """One line: newlines and other control characters shown as escapes, never raw."""
    return CONTROL.sub(_escape_char, text)


def _bounded(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    return text if len(text) <= limit else f"{text[:limit]}...[{len(text) - limit} more]"


def _one_line(value: Any) -> Any:
    if isinstance(value, str):
        return _bounded(escape(value))
    if isinstance(value, dict):
        return {_one_line(str(k)): _one_line(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_one_line(v) for v in value]
    if value is None or isinstance(value, int | float | bool):
        return value
    return _bounded(escape(str(value)))


def escape_controls(
    _logger: Any, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: every string, nested ones too, on one line and bounded."""
    for key in list(event):
        event[key] = _one_line(event[key])
    return event


def library_text(message: str) -> str:
    """A library's message up to the first sign of data; the rest is withheld."""
    found = DATA_STARTS.search(message)
    kept = message if found is None else message[: found.start()].rstrip() + " " + WITHHELD
    return _bounded(escape(scrub(kept)), MAX_LIBRARY_CHARS)


class LibraryRecords(logging.Filter):
    """On Flare's root handler: no standard library record below WARNING; a message cut at
    the first sign of data (a body, a dict, a quoted value), escaped, tokens masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < LIBRARY_LEVEL:
            return False
        try:
            message = record.getMessage()
        except Exception:  # a library's bad format string: say so, print nothing of it
            message = "unformattable message"
        record.msg, record.args = library_text(message), None
        return True


class _ScrubStdlib(logging.Filter):
    """On the libraries' own loggers: keep link tokens and sign-in codes out of paths."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(scrub(a) if isinstance(a, str) else a for a in record.args)
        record.msg = scrub(str(record.msg))
        return True


class OneLineFormatter(logging.Formatter):
    """An exception as its type and frames (code, never the message, which may carry data),
    and the whole record escaped onto one line."""

    def formatException(self, ei: Any) -> str:
        kind, _value, tb = ei
        frames = "".join(traceback.format_tb(tb)) if tb is not None else ""
        return f"{frames}{getattr(kind, '__name__', 'Exception')}"

    def format(self, record: logging.LogRecord) -> str:
        # Not Formatter.format: another handler may have cached the full traceback text,
        # message included, on the record (record.exc_text); that is never printed here.
        record.message = record.getMessage()
        text = self.formatMessage(record)
        if record.exc_info:
            text = f"{text}\n{self.formatException(record.exc_info)}"
        return escape(text)


class FlareHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The root handler `configure` installs (one at a time)."""


def hold_libraries(level: str | None = None) -> None:
    """Hold every library logger at WARNING, or at FLARE_LOG_LEVEL when that is higher;
    without a level, only ever raise (what bolt and the SDKs do at start-up resets them)."""
    scrubber = _ScrubStdlib()
    for name in LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        if level is None:
            library.setLevel(max(LIBRARY_LEVEL, library.level))
        else:
            library.setLevel(max(LIBRARY_LEVEL, logging.getLevelName(level.upper())))
        if not any(isinstance(f, _ScrubStdlib) for f in library.filters):
            library.addFilter(scrubber)


def route_libraries_through_root() -> None:
    """Every library logger propagates to Flare's root handler and has no handler of its own:
    a library's own log set-up (uvicorn's default config gives "uvicorn" a stderr handler and
    turns propagation off) would print around LibraryRecords, bodies and tracebacks included."""
    for name in LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        library.propagate = True
        for handler in list(library.handlers):
            library.removeHandler(handler)


def configure(*, json: bool, level: str = "INFO", stream: TextIO | None = None) -> None:
    """Set up structlog and the root handler for libraries; `stream` defaults to stderr."""
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            escape_controls,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
    root = logging.getLogger()
    reset_root_handler()
    handler = FlareHandler(stream or sys.stderr)
    handler.setFormatter(OneLineFormatter("%(levelname)s %(name)s %(message)s"))
    handler.addFilter(LibraryRecords())
    root.addHandler(handler)
    root.setLevel(level.upper())
    hold_libraries(level)
    route_libraries_through_root()


def reset_root_handler() -> None:
    """Remove the handler `configure` installed (and a bare one from logging.basicConfig)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if type(handler) in (FlareHandler, logging.StreamHandler):
            root.removeHandler(handler)
