"""Sign in with Slack (OpenID Connect) and Microsoft Entra ID (msal, code flow with PKCE).

Protocol only: build the authorization request, exchange the code, verify the ID token
against the provider's published keys (signature, audience, expiry, nonce), then check that
some organisation declares the token's workspace or tenant, and only then its issuer (for a
multi-tenant Entra authority, `/organizations` or `/common`, the issuer is built from the
verified `tid`), and turn its claims into a `ChatIdentity`. Which practitioner that is,
`handlers.network.identity` decides. Entra's `email` claim is never used: Microsoft does not verify
it; the UPN (`upn`, else `preferred_username`) within a declared tenant is.
What must survive the round trip (state, nonce, PKCE verifier) travels in the browser's
signed cookie and is checked here; nothing is kept on the server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx
import jwt
import msal
import structlog

from bot.config import Settings
from handlers.network.identity import ChatIdentity
from handlers.values import Platform

log = structlog.get_logger("flare")
LEEWAY_SECONDS = 60
ALGORITHMS = ["RS256"]


class SignInFailed(Exception):
    """The provider's answer was not acceptable; `reason` is a short code for the audit.

    `ids` are the identity's ids when the token was verified far enough to know them.
    """

    def __init__(self, reason: str, ids: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.ids = ids or {}


Declared = Callable[[ChatIdentity], bool]
"""Does some organisation declare this identity's workspace or tenant?"""


@dataclass(frozen=True)
class Started:
    """Where to send the browser, and what it must bring back (kept in its signed cookie)."""

    url: str
    flow: dict[str, Any]


@dataclass(frozen=True)
class Verified:
    """A verified ID token: the chat identity it names and the token's issuer and subject."""

    identity: ChatIdentity
    issuer: str
    subject: str
    # How long ago the provider authenticated the person (the token's `auth_time`), if said.
    authenticated_seconds_ago: float | None = None


class Provider(Protocol):
    name: str
    label: str
    platform: Platform

    def start(self, redirect_uri: str, *, max_age: int | None = None) -> Started:
        """`max_age` (seconds) asks the provider to authenticate the person again (step-up)."""
        ...

    def finish(
        self, flow: Mapping[str, Any], query: Mapping[str, str], declared: Declared
    ) -> Verified: ...


def verify_id_token(
    token: str, *, keys: jwt.PyJWKSet, issuer: str | None, audience: str, nonce: str
) -> dict[str, Any]:
    """Signature by one of the provider's keys, then aud, exp, nonce and iss (if given)."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = next((k for k in keys.keys if k.key_id == kid), None)
        if key is None:
            raise SignInFailed("unknown_key")
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=ALGORITHMS,
            audience=audience,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={
                "require": ["exp", "iat", "iss", "aud", "sub"],
                "verify_iss": issuer is not None,
            },
        )
    except jwt.ExpiredSignatureError:
        raise SignInFailed("expired") from None
    except jwt.InvalidAudienceError:
        raise SignInFailed("audience") from None
    except jwt.InvalidIssuerError:
        raise SignInFailed("issuer") from None
    except jwt.PyJWTError:
        raise SignInFailed("invalid_token") from None
    if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise SignInFailed("nonce")
    return claims


def authenticated_seconds_ago(claims: Mapping[str, Any], flow: Mapping[str, Any]) -> float | None:
    """The age of the person's authentication at the provider (`auth_time`).

    A step-up flow (one started with `max_age`) must get an `auth_time` within it: a provider
    that answered from an older sign-in (ignoring the request) is refused, not trusted.
    """
    auth_time = claims.get("auth_time")
    age = time.time() - auth_time if isinstance(auth_time, int | float) else None
    max_age = flow.get("max_age")
    if isinstance(max_age, int) and (age is None or age > max_age + LEEWAY_SECONDS):
        raise SignInFailed("stale_authentication")
    return None if age is None else max(age, 0.0)


def _check_declared(identity: ChatIdentity, declared: Declared) -> None:
    """After the signature: a workspace or tenant no organisation declares goes no further."""
    if not declared(identity):
        reason = (
            "tenant_not_allowed" if identity.platform is Platform.TEAMS else "workspace_unknown"
        )
        raise SignInFailed(reason, identity.ids())


def _vouched_upn(claims: Mapping[str, Any]) -> str | None:
    """The UPN the tenant's directory holds (never the unverified `email` claim)."""
    upn = claims.get("upn") or claims.get("preferred_username")
    return upn.strip().lower() if isinstance(upn, str) and "@" in upn else None


def _check_state(flow: Mapping[str, Any], query: Mapping[str, str]) -> None:
    if query.get("error"):
        raise SignInFailed("provider_error")
    expected, got = str(flow.get("state", "")), query.get("state", "")
    if not expected or not hmac.compare_digest(expected, got):
        raise SignInFailed("state")


def _pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class SlackSignIn:
    """Sign in with Slack: /openid/connect/authorize, openid.connect.token, /openid/connect/keys."""

    name = "slack"
    label = "Sign in with Slack"
    platform = Platform.SLACK

    def __init__(self, settings: Settings) -> None:
        self._base = settings.slack_oidc_url
        self._client_id = settings.slack_client_id
        self._secret = settings.slack_client_secret
        self._keys: jwt.PyJWKSet | None = None

    def start(self, redirect_uri: str, *, max_age: int | None = None) -> Started:
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier, challenge = _pkce_pair()
        # Slack documents no `prompt=login`; `max_age` is standard OIDC, and the `auth_time`
        # Slack signs is checked against it on the way back (authenticated_seconds_ago).
        step_up = {"max_age": str(max_age)} if max_age is not None else {}
        query = urlencode(
            {
                **step_up,
                "response_type": "code",
                "scope": "openid email profile",
                "client_id": self._client_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "nonce": nonce,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        flow: dict[str, Any] = {
            "state": state,
            "nonce": nonce,
            "verifier": verifier,
            "redirect_uri": redirect_uri,
        }
        if max_age is not None:
            flow["max_age"] = max_age
        return Started(f"{self._base}/openid/connect/authorize?{query}", flow)

    def finish(
        self, flow: Mapping[str, Any], query: Mapping[str, str], declared: Declared
    ) -> Verified:
        _check_state(flow, query)
        code = query.get("code")
        if not code:
            raise SignInFailed("no_code")
        try:
            answer = httpx.post(
                f"{self._base}/api/openid.connect.token",
                data={
                    "client_id": self._client_id,
                    "client_secret": self._secret,
                    "code": code,
                    "redirect_uri": str(flow["redirect_uri"]),
                    "grant_type": "authorization_code",
                    "code_verifier": str(flow["verifier"]),
                },
                timeout=10,
            ).json()
        except (httpx.HTTPError, ValueError):
            raise SignInFailed("token_exchange") from None
        if not isinstance(answer, dict) or not answer.get("ok") or "id_token" not in answer:
            raise SignInFailed("token_exchange")
        claims = verify_id_token(
            str(answer["id_token"]),
            keys=self._key_set(),
            issuer=self._base,
            audience=self._client_id,
            nonce=str(flow["nonce"]),
        )
        team, user = (
            claims.get("https://slack.com/team_id"),
            claims.get("https://slack.com/user_id"),
        )
        if not isinstance(team, str) or not isinstance(user, str) or not team or not user:
            raise SignInFailed("claims")
        email = claims.get("email") if claims.get("email_verified") is True else None
        enterprise = claims.get("https://slack.com/enterprise_id")
        identity = ChatIdentity(
            Platform.SLACK,
            team,
            user,
            email if isinstance(email, str) else None,
            enterprise if isinstance(enterprise, str) else "",
        )
        _check_declared(identity, declared)
        age = authenticated_seconds_ago(claims, flow)
        return Verified(identity, str(claims["iss"]), str(claims["sub"]), age)

    def _key_set(self) -> jwt.PyJWKSet:
        if self._keys is None:
            try:
                data = httpx.get(f"{self._base}/openid/connect/keys", timeout=10).json()
                self._keys = jwt.PyJWKSet.from_dict(data)
            except (httpx.HTTPError, ValueError, jwt.PyJWTError):
                raise SignInFailed("keys") from None
        return self._keys


class EntraSignIn:
    """Microsoft Entra ID through msal's authorization-code flow (PKCE, state and nonce).

    msal checks state and exchanges the code; the ID token is then verified here against the
    tenant's published keys, because msal itself does not check the signature or expiry.
    A fresh msal application per step keeps its token cache from growing with every user.
    """

    name = "microsoft"
    label = "Sign in with Microsoft"
    platform = Platform.TEAMS

    def __init__(self, settings: Settings) -> None:
        self._client_id = settings.entra_client_id
        self._secret = settings.entra_client_secret
        self._authority = settings.entra_authority.rstrip("/")

    def _app(self) -> msal.ConfidentialClientApplication:
        try:
            return msal.ConfidentialClientApplication(
                self._client_id,
                client_credential=self._secret,
                authority=self._authority,
                # Only the configured authority is trusted; no lookup at login.microsoftonline.com.
                instance_discovery=False,
            )
        except (ValueError, OSError) as exc:
            log.warning("signin.entra_unavailable", error=type(exc).__name__)
            raise SignInFailed("provider_unavailable") from None

    def start(self, redirect_uri: str, *, max_age: int | None = None) -> Started:
        # The code comes back in the query, not by form_post (msal warns): a cross-site POST
        # would not carry the SameSite=Lax cookie that holds this flow. The code alone is
        # useless without the PKCE verifier and the client secret, and logs scrub it.
        # Step-up: prompt=login makes Entra ask for credentials again whatever its own SSO
        # session; max_age makes it sign `auth_time`, which msal and we both check.
        step_up: dict[str, Any] = {"prompt": "login", "max_age": max_age} if max_age else {}
        flow = self._app().initiate_auth_code_flow(
            scopes=["email"], redirect_uri=redirect_uri, **step_up
        )
        url = str(flow.pop("auth_uri"))
        return Started(url, {k: v for k, v in flow.items() if v is not None})

    def finish(
        self, flow: Mapping[str, Any], query: Mapping[str, str], declared: Declared
    ) -> Verified:
        _check_state(flow, query)
        app = self._app()
        try:
            result = app.acquire_token_by_auth_code_flow(dict(flow), dict(query))
        except (ValueError, RuntimeError) as exc:
            # msal's own checks (state, nonce, audience) raise; ours below give the reason.
            log.info("signin.entra_refused_by_msal", error=type(exc).__name__)
            raise SignInFailed("msal") from None
        if "id_token" not in result:
            raise SignInFailed("token_exchange")
        config = self._configuration(app)
        claims = verify_id_token(
            str(result["id_token"]),
            keys=self._key_set(app, config),
            issuer=None,  # checked below, once the signed `tid` is known to be declared
            audience=self._client_id,
            # msal sends the SHA-256 of the nonce it keeps in the flow, and so it comes back.
            nonce=hashlib.sha256(str(flow.get("nonce", "")).encode()).hexdigest(),
        )
        tenant, oid = claims.get("tid"), claims.get("oid")
        if not isinstance(tenant, str) or not isinstance(oid, str) or not tenant or not oid:
            raise SignInFailed("claims")
        identity = ChatIdentity(Platform.TEAMS, tenant.lower(), oid, _vouched_upn(claims))
        _check_declared(identity, declared)
        # A multi-tenant authority publishes "…/{tenantid}/v2.0": the signed, declared tid.
        issuer = str(config.get("issuer", "")).replace("{tenantid}", identity.workspace)
        if not issuer or claims["iss"] != issuer:
            raise SignInFailed("issuer", identity.ids())
        age = authenticated_seconds_ago(claims, flow)
        return Verified(identity, issuer, str(claims["sub"]), age)

    def _configuration(self, app: msal.ConfidentialClientApplication) -> dict[str, Any]:
        return self._get_json(app, f"{self._authority}/v2.0/.well-known/openid-configuration")

    def _key_set(
        self, app: msal.ConfidentialClientApplication, config: dict[str, Any]
    ) -> jwt.PyJWKSet:
        try:
            return jwt.PyJWKSet.from_dict(self._get_json(app, str(config["jwks_uri"])))
        except (KeyError, jwt.PyJWTError):
            raise SignInFailed("keys") from None

    @staticmethod
    def _get_json(app: msal.ConfidentialClientApplication, url: str) -> dict[str, Any]:
        try:
            response = app.http_client.get(url)
            data = json.loads(response.text)
        except (OSError, ValueError):
            raise SignInFailed("keys") from None
        if response.status_code != 200 or not isinstance(data, dict):
            raise SignInFailed("keys")
        return data


def providers(settings: Settings) -> dict[str, Provider]:
    """The configured real sign-ins, by the name used in their URLs."""
    found: dict[str, Provider] = {}
    if settings.slack_signin_enabled:
        found[SlackSignIn.name] = SlackSignIn(settings)
    if settings.entra_signin_enabled:
        found[EntraSignIn.name] = EntraSignIn(settings)
    return found
