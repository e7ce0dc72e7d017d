"""What /slack/events accepts: a body Slack signed, parsed once, in the shape bolt reads.

The signature is checked on the raw bytes before anything decodes them (Slack's v0 scheme:
HMAC-SHA256 of `v0:{X-Slack-Request-Timestamp}:{body}` under the signing secret, a
timestamp within five minutes, compared in constant time). Only then is the body decoded
(UTF-8), parsed (JSON, or a form whose `payload` field is a JSON object) and checked for
the minimal shape that slack-bolt's context building and Flare's listeners rely on: the ids
are strings, the nested objects are objects. Each failure is a Refusal with a fixed reason
that is safe to log; no byte of the body is ever put into one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from bot.request_body import Refusal

TIMESTAMP_HEADER = "x-slack-request-timestamp"
SIGNATURE_HEADER = "x-slack-signature"
MAX_AGE_SECONDS = 300
MAX_FORM_FIELDS = 200

# Keys whose value bolt or a listener reads as an id (a string) when present.
ID_KEYS = frozenset(
    {
        "type",
        "command",
        "trigger_id",
        "event_id",
        "callback_id",
        "api_app_id",
        "response_url",
        "team_id",
        "user_id",
        "channel_id",
        "enterprise_id",
        "app_installed_team_id",
        "action_id",
        "block_id",
        "view_id",
        "message_ts",
    }
)
# Keys that are an id or an object with an `id` (team, user, channel, enterprise).
ID_OR_OBJECT_KEYS = frozenset({"team", "user", "channel", "enterprise"})
# Keys whose value is an object bolt looks into (recursively, for the same ids).
OBJECT_KEYS = frozenset(
    {"event", "message", "previous_message", "item", "assistant_thread", "view", "container"}
)
# Keys whose value is a list of such objects.
LIST_KEYS = frozenset({"authorizations", "actions"})
MAX_DEPTH = 4


class SlackSignature:
    """Slack's v0 request signature under one signing secret."""

    def __init__(self, secret: str, *, now: Callable[[], float] = time.time) -> None:
        if not secret:
            raise ValueError("the Slack signing secret is required")
        self._secret = secret.encode()
        self._now = now

    def check(self, headers: Mapping[str, str], body: bytes) -> None:
        """Return if Slack signed `body` in the last five minutes; else raise Refusal(401)."""
        timestamp = headers.get(TIMESTAMP_HEADER, "")
        given = headers.get(SIGNATURE_HEADER, "")
        if not timestamp or not given:
            raise Refusal(401, "unsigned")
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            raise Refusal(401, "bad_timestamp")
        if abs(self._now() - int(timestamp)) > MAX_AGE_SECONDS:
            raise Refusal(401, "stale")
        base = b"v0:" + timestamp.encode() + b":" + body
        expected = "v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), given.encode("latin-1", "replace")):
            raise Refusal(401, "bad_signature")


def parse_payload(body: bytes, content_type: str | None) -> dict[str, Any]:
    """The signed body as the dict bolt dispatches on, or Refusal(400)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(400, "not_utf8") from None
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media == "application/json" or text.startswith("{"):
        payload = _json_object(text)
    else:
        payload = _form(text)
    check_shape(payload)
    kind = payload.get("type") or payload.get("command") or payload.get("ssl_check")
    if not isinstance(kind, str):
        raise Refusal(400, "not_a_slack_request")
    return payload


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise Refusal(400, "not_json") from None
    if not isinstance(value, dict):
        raise Refusal(400, "not_an_object")
    return value


def _form(text: str) -> dict[str, Any]:
    """A command's fields, or the JSON object in an interaction's `payload` field."""
    try:
        fields = dict(
            parse_qsl(
                text, keep_blank_values=True, strict_parsing=True, max_num_fields=MAX_FORM_FIELDS
            )
        )
    except ValueError:
        raise Refusal(400, "not_a_form") from None
    if "payload" in fields:
        return _json_object(fields["payload"])
    return dict(fields)


def check_shape(value: Mapping[str, Any], depth: int = 0) -> None:
    """Refusal(400) unless the ids bolt reads are strings and its objects are objects."""
    if depth > MAX_DEPTH:
        return
    for key, item in value.items():
        if item is None:
            continue
        if key in ID_KEYS and not isinstance(item, str):
            raise Refusal(400, "bad_shape")
        if key in ID_OR_OBJECT_KEYS:
            _id_or_object(item, depth)
        elif key in OBJECT_KEYS:
            if not isinstance(item, dict):
                raise Refusal(400, "bad_shape")
            check_shape(item, depth + 1)
        elif key in LIST_KEYS:
            if not isinstance(item, list) or not all(isinstance(i, dict) for i in item):
                raise Refusal(400, "bad_shape")
            for entry in item:
                check_shape(entry, depth + 1)


def _id_or_object(item: Any, depth: int) -> None:
    if isinstance(item, str):
        return
    if not isinstance(item, dict) or not isinstance(item.get("id", ""), str):
        raise Refusal(400, "bad_shape")
    check_shape(item, depth + 1)
