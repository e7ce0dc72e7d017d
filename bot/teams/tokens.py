"""Bot tokens: msal client credentials for the Bot Framework API, cached until expiry."""

from __future__ import annotations

import functools
import threading
from typing import Any

import msal
import requests
import structlog

log = structlog.get_logger("flare")

BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"
DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"
MULTI_TENANT = "botframework.com"


class TokenError(Exception):
    """No token could be had; `transient` says whether trying again later may help."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


def authority_for(tenant_id: str, authority_url: str = "") -> str:
    """Single-tenant bots use their tenant; multi-tenant bots use botframework.com."""
    host = (authority_url or DEFAULT_AUTHORITY_HOST).rstrip("/")
    return f"{host}/{tenant_id or MULTI_TENANT}"


def _session(verify: bool | str, timeout: float) -> requests.Session:
    """A session that trusts `verify` (a CA file) even when REQUESTS_CA_BUNDLE is set.

    requests lets REQUESTS_CA_BUNDLE override a session's `verify`, so the environment is
    not consulted for this one.
    """
    session = requests.Session()
    session.verify = verify
    session.trust_env = False
    session.request = functools.partial(session.request, timeout=timeout)  # type: ignore[method-assign]
    return session


class BotTokens:
    """One msal application per process; msal keeps the app token until it expires.

    The application is built on first use, so start-up needs no network. `authority_url`
    (TEAMS_AUTHORITY_URL) points msal at another login host; such a host is not on msal's
    list of known clouds, so instance discovery is turned off for it (msal's documented
    `instance_discovery=False`), while the tenant's OpenID configuration is still fetched.
    """

    def __init__(
        self,
        *,
        app_id: str,
        password: str,
        tenant_id: str = "",
        authority_url: str = "",
        verify: bool | str = True,
        timeout: float = 10.0,
    ) -> None:
        self._app_id = app_id
        self._password = password
        self._authority = authority_for(tenant_id, authority_url)
        self._custom_host = bool(authority_url)
        self._verify = verify
        self._timeout = timeout
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = threading.Lock()

    def _application(self) -> msal.ConfidentialClientApplication:
        if self._app is None:
            extra: dict[str, Any] = {}
            if self._custom_host:
                extra = {"validate_authority": False, "instance_discovery": False}
            if self._verify is not True:
                extra["http_client"] = _session(self._verify, self._timeout)
            self._app = msal.ConfidentialClientApplication(
                self._app_id,
                client_credential=self._password,
                authority=self._authority,
                timeout=self._timeout,
                **extra,
            )
        return self._app

    def token(self) -> str:
        """A bearer token for the Bot Connector (from msal's cache while it is valid)."""
        with self._lock:
            try:
                result = self._application().acquire_token_for_client(scopes=[BOT_FRAMEWORK_SCOPE])
            except ValueError as exc:  # discovery refused: wrong authority or tenant
                self._app = None
                raise TokenError(
                    f"authority refused: {type(exc).__name__}", transient=False
                ) from None
            except Exception as exc:  # network fault or 5xx during discovery
                self._app = None
                raise TokenError(f"token endpoint: {type(exc).__name__}", transient=True) from None
        if "access_token" in result:
            return str(result["access_token"])
        error = str(result.get("error", "unknown"))
        log.warning("teams.token_refused", error=error)
        # invalid_client / unauthorized_client are configuration faults; anything else may pass.
        permanent = error in ("invalid_client", "unauthorized_client", "invalid_request")
        raise TokenError(f"token refused: {error}", transient=not permanent)

    def forget(self) -> None:
        """Drop the cached token (after the Bot Connector answered 401)."""
        with self._lock:
            self._app = None
