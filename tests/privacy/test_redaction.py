"""The log redaction processor: sensitive keys and link or platform tokens never print."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

from bot.logging import SENSITIVE_KEYS, configure, redact, scrub

TOKEN = "Q2hhbmdlLXRoaXMtdG9rZW4tYmVmb3JlLXVzaW5nLWl0"


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    configure(json=True, level="DEBUG", stream=buffer)
    yield buffer
    structlog.reset_defaults()


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
        structlog.reset_defaults()
    assert buffer.getvalue()
    assert canary not in buffer.getvalue()
    assert json.dumps(canary)[1:-1] not in buffer.getvalue()
