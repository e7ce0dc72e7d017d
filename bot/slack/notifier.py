"""SlackNotifier: the Notifier port over the Slack Web API (DMs carrying pointers only).

A pointer goes to the recipient's DM with the bot (`conversations.open` once, the channel id
kept on the practitioner), as Block Kit with unfurling off and message metadata holding the
outbox key, so after an ambiguous attempt `find()` can look through the DM's history. A
pointer that `updates` an earlier one edits that message in place with `chat.update`.

Failures are sorted for the outbox: 429 -> RetryLater(after=Retry-After); 5xx, timeouts and
connection faults -> RetryLater(ambiguous=True); a permanent `ok: false` -> Undeliverable.
The outbox sends to several recipients at once; the per-workspace methods (Tier 3
`conversations.open`, `conversations.history`) take turns through a RateGate, and none is
called before the Retry-After of a 429 on it (bot/rate_gate.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.logging import hold_libraries
from bot.rate_gate import RateGate
from bot.slack.blocks import POINTER_EVENT, fallback_text, pointer_blocks, pointer_metadata
from handlers.outbox.conversations import (
    SlackRecipient,
    forget_dm_channel,
    remember_dm_channel,
    slack_recipient,
)
from handlers.ports import (
    Clock,
    MessageRef,
    Pointer,
    RetryLater,
    SendResult,
    Sent,
    Undeliverable,
)
from handlers.values import Platform
from store.unit_of_work import UnitOfWorkFactory

log = structlog.get_logger("flare.slack")

DEFAULT_API_URL = "https://slack.com/api/"
TIMEOUT_SECONDS = 10
HISTORY_LIMIT = 200
# Errors that mean "try again later"; Slack may or may not have acted on the request.
TRANSIENT = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class BotTokens(Protocol):
    """Where a workspace's bot token comes from: one env token, or the installation store."""

    def bot_token(self, team_id: str) -> str | None: ...


@dataclass(frozen=True)
class SingleWorkspace:
    """SLACK_BOT_TOKEN: one workspace, one token."""

    token: str

    def bot_token(self, team_id: str) -> str | None:
        return self.token


def web_client(token: str | None, api_url: str, timeout: float = TIMEOUT_SECONDS) -> WebClient:
    """A WebClient against SLACK_API_URL that never retries on its own (the outbox does)."""
    return WebClient(
        token=token,
        base_url=api_url,
        timeout=timeout,  # type: ignore[arg-type]  # urllib takes float seconds
        retry_handlers=[],
    )


class _Failed(Exception):
    def __init__(self, result: RetryLater | Undeliverable) -> None:
        super().__init__(result.reason)
        self.result = result


class SlackNotifier:
    platform = Platform.SLACK

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        tokens: BotTokens,
        api_url: str = DEFAULT_API_URL,
        *,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        hold_libraries()  # slack_sdk prints requests and responses below WARNING
        self._uow = uow_factory
        self._clock = clock
        self._tokens = tokens
        self._api_url = api_url
        self._timeout = timeout
        self._clients: dict[str, WebClient] = {}
        self._lock = threading.Lock()
        self._gate = RateGate(clock.now)

    # -- the port ------------------------------------------------------------------------
    def send(self, pointer: Pointer) -> SendResult:
        try:
            recipient = self._recipient(pointer)
            client = self._client(recipient.team)
            now = self._clock.now()
            content: dict[str, Any] = {
                "text": fallback_text(pointer, now),
                "blocks": pointer_blocks(pointer, now),
                "metadata": pointer_metadata(pointer),
            }
            updates = pointer.updates.values if pointer.updates else {}
            if updates.get("channel") and updates.get("ts"):
                self._call(
                    lambda: client.chat_update(
                        channel=updates["channel"], ts=updates["ts"], **content
                    ),
                    ambiguous=False,  # an edit is idempotent: sending it again is harmless
                )
                return Sent(MessageRef(dict(updates)))
            channel = recipient.channel or self._open_dm(client, recipient)
            try:
                answer = self._call(
                    lambda: client.chat_postMessage(
                        channel=channel, unfurl_links=False, unfurl_media=False, **content
                    ),
                    ambiguous=True,
                )
            except _Failed as failed:
                if failed.result.reason == "channel_not_found" and recipient.channel:
                    self._forget_dm(recipient)  # a stale DM id: open it afresh next time
                    raise _Failed(RetryLater("dm_channel_reset", after=0.0)) from None
                raise
            return Sent(
                MessageRef({"team": recipient.team, "channel": channel, "ts": str(answer["ts"])})
            )
        except _Failed as failed:
            log.info(
                "slack.send_failed",
                kind=pointer.kind.value,
                outcome=type(failed.result).__name__,
                reason=failed.result.reason,
            )
            return failed.result

    def find(self, pointer: Pointer) -> MessageRef | None:
        """Look through the recipient's DM for a message carrying this pointer's outbox key.

        An edit (`updates`) is idempotent, so it is simply sent again: None. A failure to look
        raises, so the outbox keeps the row ambiguous instead of sending a duplicate.
        """
        if pointer.updates is not None:
            return None
        try:
            recipient = self._recipient(pointer)
        except _Failed:
            return None
        if recipient.channel is None:
            return None  # never opened a DM, so nothing can have landed there
        client = self._client(recipient.team)
        answer = self._call(
            lambda: client.conversations_history(
                channel=recipient.channel or "", include_all_metadata=True, limit=HISTORY_LIMIT
            ),
            ambiguous=False,
            bucket=f"{recipient.team}:conversations.history",
        )
        for message in answer.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if (
                metadata.get("event_type") == POINTER_EVENT
                and payload.get("key") == pointer.idempotency_key
            ):
                ref = {"team": recipient.team, "channel": recipient.channel, "ts": message["ts"]}
                return MessageRef(ref)
        return None

    # -- pieces --------------------------------------------------------------------------
    def _recipient(self, pointer: Pointer) -> SlackRecipient:
        found = slack_recipient(self._uow(), practitioner_id=pointer.recipient_id)
        if found is None:
            raise _Failed(Undeliverable("no_linked_slack_identity"))
        return found

    def _client(self, team: str) -> WebClient:
        token = self._tokens.bot_token(team)
        if not token:
            raise _Failed(Undeliverable("workspace_not_installed"))
        with self._lock:
            client = self._clients.get(token)
            if client is None:
                client = self._clients[token] = web_client(token, self._api_url, self._timeout)
            return client

    def _open_dm(self, client: WebClient, recipient: SlackRecipient) -> str:
        answer = self._call(
            lambda: client.conversations_open(users=recipient.user),
            ambiguous=False,
            bucket=f"{recipient.team}:conversations.open",
        )
        channel = str(answer["channel"]["id"])
        remember_dm_channel(
            self._uow(),
            practitioner_id=recipient.practitioner_id,
            channel=channel,
            clock=self._clock,
        )
        return channel

    def _forget_dm(self, recipient: SlackRecipient) -> None:
        if recipient.channel:
            forget_dm_channel(
                self._uow(),
                practitioner_id=recipient.practitioner_id,
                channel=recipient.channel,
                clock=self._clock,
            )

    def _call(
        self, request: Callable[[], Any], *, ambiguous: bool, bucket: str | None = None
    ) -> Any:
        """Run one Web API call (in its turn, when it draws on a workspace-wide `bucket`);
        turn every failure into the outbox's terms."""
        if bucket is None:
            return _attempt(request, ambiguous=ambiguous)
        with self._gate.turn(bucket) as turn:
            wait = turn.wait()
            if wait is not None:  # a 429 on this method: wait it out, do not call again yet
                raise _Failed(RetryLater("ratelimited", after=wait))
            try:
                return _attempt(request, ambiguous=ambiguous)
            except _Failed as failed:
                if isinstance(failed.result, RetryLater) and failed.result.after:
                    turn.refused(failed.result.after)
                raise


def _attempt(request: Callable[[], Any], *, ambiguous: bool) -> Any:
    try:
        return request()
    except SlackApiError as exc:
        raise _Failed(classify(exc, ambiguous=ambiguous)) from None
    except Exception as exc:  # timeouts, refused connections, unreadable answers
        raise _Failed(RetryLater(type(exc).__name__, ambiguous=ambiguous)) from None


def classify(exc: SlackApiError, *, ambiguous: bool) -> RetryLater | Undeliverable:
    """429 -> retry after Retry-After; 5xx and transient errors -> retry; the rest is final."""
    response = exc.response
    status = int(getattr(response, "status_code", 0) or 0)
    data = response.data if isinstance(getattr(response, "data", None), dict) else {}
    error = str(data.get("error") or f"http_{status}")
    if status == 429 or error == "ratelimited":
        headers = {k.lower(): v for k, v in (response.headers or {}).items()}
        raw = headers.get("retry-after")
        value = raw[0] if isinstance(raw, list) else raw
        try:
            after = float(value) if value is not None else None
        except ValueError:
            after = None
        return RetryLater("ratelimited", after=after)
    if status >= 500 or error in TRANSIENT:
        return RetryLater(error, ambiguous=ambiguous)
    return Undeliverable(error)
