"""A thin Bot Connector REST client (create 1:1 conversation, send, update, get member).

Every call returns a typed outcome instead of raising, in the outbox's terms: `Done` with
the JSON body, `Retry` (429 with its Retry-After, 412, or a fault after which the request
may or may not have been carried out: 5xx, read timeout) or `Refused` (4xx: retrying will
not help). Nothing here logs a request or response body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import structlog

from bot.config import Settings
from bot.teams.tokens import BotTokens, TokenError

log = structlog.get_logger("flare")

DEFAULT_SERVICE_URL = "https://smba.trafficmanager.net/teams/"
MAX_RETRY_AFTER = 3600.0


@dataclass(frozen=True)
class ConversationRef:
    """What Flare keeps to reach one person in Teams (Practitioner.teams_conversation).

    Stored as JSON: {"id", "serviceUrl", "tenantId", "userId"?, "botId"?} — the
    inbound side writes the same shape from conversationUpdate/installationUpdate.
    """

    id: str
    service_url: str
    tenant_id: str
    user_id: str = ""
    bot_id: str = ""

    def to_json(self) -> dict[str, str]:
        data = {"id": self.id, "serviceUrl": self.service_url, "tenantId": self.tenant_id}
        if self.user_id:
            data["userId"] = self.user_id
        if self.bot_id:
            data["botId"] = self.bot_id
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ConversationRef | None:
        if not data or not data.get("id") or not data.get("serviceUrl"):
            return None
        return cls(
            id=str(data["id"]),
            service_url=str(data["serviceUrl"]),
            tenant_id=str(data.get("tenantId", "")),
            user_id=str(data.get("userId", "")),
            bot_id=str(data.get("botId", "")),
        )


@dataclass(frozen=True)
class Done:
    body: dict[str, Any]


@dataclass(frozen=True)
class Retry:
    reason: str
    after: float | None = None
    ambiguous: bool = False


@dataclass(frozen=True)
class Refused:
    reason: str
    status: int


Outcome = Done | Retry | Refused


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds form); None when absent or odd."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


class BotConnector:
    """Bot Connector v3 REST calls with the bot's bearer token."""

    def __init__(
        self,
        tokens: BotTokens,
        *,
        app_id: str,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._tokens = tokens
        self._app_id = app_id
        self._http = httpx.Client(timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def create_conversation(self, *, service_url: str, tenant_id: str, member_id: str) -> Outcome:
        """Open (or get back) the bot's 1:1 chat with one member of the tenant."""
        body = {
            "isGroup": False,
            "bot": {"id": f"28:{self._app_id}"},
            "members": [{"id": member_id}],
            "tenantId": tenant_id,
            "channelData": {"tenant": {"id": tenant_id}},
        }
        # Teams hands back the same 1:1 conversation for the same member: safe to repeat.
        return self._call("POST", _url(service_url, "v3/conversations"), body, create=False)

    def send(self, conversation: ConversationRef, activity: dict[str, Any]) -> Outcome:
        path = f"v3/conversations/{_seg(conversation.id)}/activities"
        return self._call("POST", _url(conversation.service_url, path), activity, create=True)

    def update(
        self, conversation: ConversationRef, activity_id: str, activity: dict[str, Any]
    ) -> Outcome:
        """Replace a message in place (an update is idempotent: retrying it is safe)."""
        path = f"v3/conversations/{_seg(conversation.id)}/activities/{_seg(activity_id)}"
        body = {**activity, "id": activity_id}
        return self._call("PUT", _url(conversation.service_url, path), body, create=False)

    def member(self, conversation: ConversationRef, user_id: str) -> Outcome:
        """One member's account (aadObjectId, userPrincipalName, email)."""
        path = f"v3/conversations/{_seg(conversation.id)}/members/{_seg(user_id)}"
        return self._call("GET", _url(conversation.service_url, path), None, create=False)

    def _authorization(self) -> dict[str, str] | Outcome:
        """The bearer token header (the Agents Playground's connector takes none: playground.py)."""
        try:
            return {"Authorization": f"Bearer {self._tokens.token()}"}
        except TokenError as exc:
            if exc.transient:
                return Retry(exc.reason)
            return Refused(exc.reason, 401)

    def _call(self, method: str, url: str, body: dict[str, Any] | None, *, create: bool) -> Outcome:
        headers = self._authorization()
        if not isinstance(headers, dict):
            return headers
        try:
            response = self._http.request(method, url, json=body, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            return Retry(f"connect: {type(exc).__name__}")  # nothing reached the service
        except httpx.HTTPError as exc:
            # the request may have been carried out; only a POST can then double a message
            return Retry(f"transport: {type(exc).__name__}", ambiguous=create)
        status = response.status_code
        if 200 <= status < 300:
            try:
                data = response.json() if response.content else {}
            except ValueError:
                data = {}
            return Done(data if isinstance(data, dict) else {})
        log.info("teams.connector_status", method=method, status=status)
        if status == 401 and headers:
            self._tokens.forget()
            return Retry("unauthorised: token refreshed")
        if status in (429, 412):
            return Retry(f"http {status}", after=retry_after(response.headers.get("Retry-After")))
        if status >= 500 or status == 408:
            return Retry(
                f"http {status}",
                after=retry_after(response.headers.get("Retry-After")),
                ambiguous=create,
            )
        return Refused(f"http {status}", status)


def _url(service_url: str, path: str) -> str:
    return f"{service_url.rstrip('/')}/{path}"


def _seg(value: str) -> str:
    return quote(value, safe=":@-._~")


def connector_for(settings: Settings) -> BotConnector:
    """The Bot Connector client for TEAMS_APP_ID / TEAMS_APP_PASSWORD, with its token cache."""
    tokens = BotTokens(
        app_id=settings.teams_app_id,
        password=settings.teams_app_password,
        tenant_id=settings.teams_tenant_id,
        authority_url=settings.teams_authority_url,
    )
    return BotConnector(tokens, app_id=settings.teams_app_id)
