"""The log redaction processor: sensitive keys and link or platform tokens never print."""

from __future__ import annotations

import copy
import io
import json
import logging
import logging.config
from collections.abc import Sequence

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

from bot.logging import (
    LIBRARY_LOGGERS,
    SENSITIVE_KEYS,
    configure,
    redact,
    reset_root_handler,
    scrub,
)
from tests.conftest import TracebackCatcher

TOKEN = "Q2hhbmdlLXRoaXMtdG9rZW4tYmVmb3JlLXVzaW5nLWl0"


@pytest.fixture
def json_log(debug_logs: io.StringIO) -> io.StringIO:
    return debug_logs


def _lines(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


@pytest.mark.parametrize("key", sorted(SENSITIVE_KEYS))
def test_every_sensitive_key_is_redacted(key: str) -> None:
    event = redact(None, "info", {"event": "x", key: "secret words", key.upper(): "loud"})
    assert event[key] == "[redacted]" and event[key.upper()] == "[redacted]"


def test_nested_values_and_tokens_are_redacted() -> None:
    event = redact(
        None,
        "info",
        {
            "event": "outbox.sent",
            "detail": {"rationale": "why", "count": 3, "inner": [{"noticed": "what"}]},
            "path": f"/l/{TOKEN}",
            "error": f"POST https://flare.example/l/{TOKEN} failed with xoxb-123-456-abc",
            "concern_id": "a" * 32,
        },
    )
    assert event["detail"] == {
        "rationale": "[redacted]",
        "count": 3,
        "inner": [{"noticed": "[redacted]"}],
    }
    assert TOKEN not in event["path"] and TOKEN not in event["error"]
    assert "xoxb-123" not in event["error"]
    assert event["concern_id"] == "a" * 32  # ids are not content


def test_scrub_keeps_ordinary_paths() -> None:
    assert scrub("/healthz") == "/healthz" and scrub("/l/short") == "/l/short"


def test_json_output_carries_no_sensitive_value(json_log: io.StringIO) -> None:
    log = structlog.get_logger("flare.test")
    log.info("concern.raised", rationale="CANARY-1", link=f"https://flare.example/l/{TOKEN}")
    log.warning("odd", detail={"family_reason": "CANARY-2"}, url=f"/l/{TOKEN}")
    output = json_log.getvalue()
    assert [line["event"] for line in _lines(json_log)] == ["concern.raised", "odd"]
    for secret in ("CANARY-1", "CANARY-2", TOKEN):
        assert secret not in output


def test_uvicorn_access_log_paths_are_scrubbed(
    json_log: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    access = logging.getLogger("uvicorn.access")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        access.info('%s - "%s %s HTTP/1.1" %d', "127.0.0.1", "GET", f"/l/{TOKEN}", 200)
    assert caplog.records and TOKEN not in caplog.records[0].getMessage()


@given(
    key=st.sampled_from(sorted(SENSITIVE_KEYS)),
    value=st.text(min_size=1, max_size=50),
    nested=st.booleans(),
)
def test_no_sensitive_value_survives_rendering(key: str, value: str, nested: bool) -> None:
    canary = f"qz{value}zq"
    buffer = io.StringIO()
    configure(json=True, level="DEBUG", stream=buffer)
    try:
        fields = {"detail": {key: canary}} if nested else {key: canary}
        structlog.get_logger("flare.test").info("event", **fields)
    finally:
        reset_root_handler()
        structlog.reset_defaults()
    assert buffer.getvalue()
    assert canary not in buffer.getvalue()
    assert json.dumps(canary)[1:-1] not in buffer.getvalue()


# --- libraries: held at WARNING, filtered, one line -------------------------------------------


@pytest.mark.parametrize("name", LIBRARY_LOGGERS)
def test_no_library_record_below_warning_is_printed_even_at_debug(
    name: str, json_log: io.StringIO
) -> None:
    library = logging.getLogger(f"{name}.Something")
    library.setLevel(logging.DEBUG)  # as slack_bolt does with its loggers, from the root's
    try:
        library.debug("Sending a request - body: %s", "CANARY-debug")
        library.info("Invalid request signature detected (body: CANARY-info)")
    finally:
        library.setLevel(logging.NOTSET)
    assert "CANARY" not in json_log.getvalue()
    assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING


def test_bolts_request_verification_never_prints_a_refused_body(json_log: io.StringIO) -> None:
    """slack_bolt's own check prints a refused request's whole body at INFO (a modal's
    answers): Flare checks before bolt, and bolt's message is dropped even if it ran."""
    from slack_bolt import BoltRequest, BoltResponse
    from slack_bolt.middleware.request_verification import RequestVerification

    body = "payload=%7B%22noticed%22%3A%22CANARY-modal%22%7D"
    stale: dict[str, str | Sequence[str]] = {
        "x-slack-request-timestamp": "1000000000",
        "x-slack-signature": "v0=00",
    }
    base = logging.getLogger("flare-bolt-app")
    base.setLevel(logging.DEBUG)
    check = RequestVerification("secret", base_logger=base)
    answer = check.process(
        req=BoltRequest(body=body, headers=stale),
        resp=BoltResponse(status=200),
        next=lambda: BoltResponse(status=200),
    )
    assert answer.status == 401
    assert "CANARY" not in json_log.getvalue()


def test_library_warnings_are_cut_at_the_first_sign_of_data(json_log: io.StringIO) -> None:
    logging.getLogger("slack_bolt.App").warning(
        "Unhandled request ({'type': 'view_submission', 'value': 'CANARY-1'})"
    )
    logging.getLogger("httpx").warning("HTTP Request: POST %s body=CANARY-2", "https://x/l/abc")
    logging.getLogger("uvicorn.error").warning("Invalid HTTP request received.")
    output = json_log.getvalue()
    assert "CANARY" not in output
    assert "Unhandled request [withheld]" in output
    assert "Invalid HTTP request received." in output


def test_a_library_exception_prints_its_type_and_frames_but_not_its_message(
    json_log: io.StringIO, no_traceback_logged: TracebackCatcher
) -> None:
    message = "could not parse " + "CANARY-3\nsecond line"
    try:
        raise ValueError(message)
    except ValueError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    no_traceback_logged.caught.clear()  # logged on purpose, to see how it prints
    output = json_log.getvalue()
    assert "CANARY" not in output
    assert "ValueError" in output and "test_redaction.py" in output
    assert output.count("\n") == 1  # one line: the traceback's newlines are escaped


def test_a_librarys_own_log_set_up_is_routed_back_through_flare(
    capsys: pytest.CaptureFixture[str], no_traceback_logged: TracebackCatcher
) -> None:
    """uvicorn's default log config (what uvicorn.Config applies unless log_config=None)
    gives "uvicorn" its own stderr handler and turns propagation off: its records would
    print around Flare's filter, message and traceback whole. configure undoes that."""
    from uvicorn.config import LOGGING_CONFIG

    logging.config.dictConfig(copy.deepcopy(LOGGING_CONFIG))
    buffer = io.StringIO()
    configure(json=True, level="DEBUG", stream=buffer)
    try:
        logging.getLogger("uvicorn.error").warning("Invalid HTTP request received.")
        message = "could not parse " + "CANARY-4"  # frames print code, not this variable
        try:
            raise ValueError(message)
        except ValueError:
            logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
        logging.getLogger("uvicorn.access").warning('"GET /l/%s HTTP/1.1" 404', TOKEN)
    finally:
        reset_root_handler()
        structlog.reset_defaults()
    assert len(no_traceback_logged.caught) == 1  # the root sees uvicorn's records again
    no_traceback_logged.caught.clear()  # logged on purpose
    output, printed = buffer.getvalue(), capsys.readouterr()
    assert "Invalid HTTP request received." in output and "ValueError" in output
    assert "uvicorn.access" in output
    assert "CANARY" not in output and TOKEN not in output
    assert printed.err == "" and printed.out == ""


@given(
    line=st.text(min_size=1, max_size=30),
    control=st.sampled_from(["\n", "\r", "\x00", "\x1b[31m", "\u2028", "\u202e", "\x85"]),
    json_out=st.booleans(),
)
def test_newlines_and_control_characters_are_escaped(
    line: str, control: str, json_out: bool
) -> None:
    buffer = io.StringIO()
    configure(json=json_out, level="DEBUG", stream=buffer)
    try:
        forged = f"{line}{control}2026-11-28 level=info event=forged"
        structlog.get_logger("flare.test").warning("odd", detail=forged, nested={"k": [forged]})
        logging.getLogger("slack_sdk").warning("a library says %s", forged)
    finally:
        reset_root_handler()
        structlog.reset_defaults()
    output = buffer.getvalue()
    assert output.count("\n") == 2  # two records, two lines
    raw_controls = [c for c in output[:-1] if c != "\n" and (c < " " or "\x7f" <= c <= "\x9f")]
    assert raw_controls == []
    assert "\u2028" not in output and "\u202e" not in output


def test_a_long_value_is_bounded(json_log: io.StringIO) -> None:
    structlog.get_logger("flare.test").warning("odd", detail="x" * 100_000)
    line = json_log.getvalue()
    assert len(line) < 2_000 and "more]" in line
