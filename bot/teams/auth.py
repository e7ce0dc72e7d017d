"""Is this request really from the Bot Framework, for this bot? Validate its JWT.

Every POST /api/messages carries `Authorization: Bearer <JWT>` signed by the Bot Connector.
We accept it only when: the header names RS256 and a key id; the key comes from the JWKS the
OpenID metadata (TEAMS_OPENID_METADATA_URL) points to; the signature verifies; the issuer is
https://api.botframework.com; the audience is TEAMS_APP_ID; `exp`/`nbf` hold within five
minutes of skew (all of that from the header alone, before the body is parsed: `verify_token`);
and then, for the parsed activity, the key is endorsed for its channel and the `serviceUrl`
claim is its `serviceUrl` (`VerifiedToken.vouches_for`). Keys are cached and fetched again
when a token names an unknown key id — at most once per cool-down, so forged key ids cannot
make us hammer the metadata host.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import structlog

log = structlog.get_logger("flare")

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
ALGORITHMS = ("RS256",)
CLOCK_SKEW_SECONDS = 300
KEYS_MAX_AGE_SECONDS = 24 * 3600
UNKNOWN_KID_COOLDOWN_SECONDS = 60.0


class Unauthorized(Exception):
    """The request is not from the Bot Framework for this bot; `reason` is for logs only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SigningKey:
    key: jwt.PyJWK
    endorsements: frozenset[str] | None


class SigningKeys:
    """The Bot Connector's signing keys, from its OpenID metadata, cached by key id."""

    def __init__(
        self,
        metadata_url: str,
        *,
        http: httpx.Client | None = None,
        cooldown: float = UNKNOWN_KID_COOLDOWN_SECONDS,
        max_age: float = KEYS_MAX_AGE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._metadata_url = metadata_url
        self._http = http or httpx.Client(timeout=10.0)
        self._cooldown = cooldown
        self._max_age = max_age
        self._monotonic = monotonic
        self._keys: dict[str, SigningKey] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()
        self.fetches = 0

    def get(self, kid: str) -> SigningKey:
        with self._lock:
            now = self._monotonic()
            stale = self._fetched_at is None or now - self._fetched_at > self._max_age
            may_refresh = self._fetched_at is None or now - self._fetched_at >= self._cooldown
            if stale or (kid not in self._keys and may_refresh):
                self._refresh(now)
            found = self._keys.get(kid)
        if found is None:
            raise Unauthorized("unknown_key")
        return found

    def _refresh(self, now: float) -> None:
        self._fetched_at = now  # also on failure: the cool-down holds either way
        self.fetches += 1
        try:
            metadata = self._http.get(self._metadata_url).raise_for_status().json()
            jwks = self._http.get(str(metadata["jwks_uri"])).raise_for_status().json()
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            log.warning("teams.keys_unavailable", error=type(exc).__name__)
            return
        keys: dict[str, SigningKey] = {}
        for entry in jwks.get("keys", []) if isinstance(jwks, Mapping) else []:
            parsed = _parse_key(entry)
            if parsed is not None:
                keys[str(entry["kid"])] = parsed
        if keys:
            self._keys = keys
        log.info("teams.keys_refreshed", keys=len(keys))


def _parse_key(entry: Any) -> SigningKey | None:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("kid"), str):
        return None
    if entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
        return None
    try:
        key = jwt.PyJWK(dict(entry), algorithm="RS256")
    except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
        return None
    endorsements = entry.get("endorsements")
    allowed = frozenset(str(e) for e in endorsements) if isinstance(endorsements, list) else None
    return SigningKey(key, allowed)


@dataclass(frozen=True)
class BotIdentity:
    """What a verified token tells us: which service URL may be called back."""

    service_url: str
    claims: Mapping[str, Any]


@dataclass(frozen=True)
class VerifiedToken:
    """A token the Bot Connector signed for this bot; not yet bound to an activity."""

    claims: Mapping[str, Any]
    endorsements: frozenset[str] | None

    def vouches_for(self, *, service_url: str, channel_id: str) -> BotIdentity:
        """The identity for this activity, or Unauthorized if the token is for another
        service URL or its key is not endorsed for the activity's channel."""
        if self.endorsements is not None and channel_id not in self.endorsements:
            raise Unauthorized("not_endorsed")
        claimed = self.claims.get("serviceUrl") or self.claims.get("serviceurl")
        if not isinstance(claimed, str) or not _same_url(claimed, service_url):
            raise Unauthorized("service_url")
        return BotIdentity(service_url=service_url, claims=self.claims)


class BotFrameworkAuth:
    """Validates the Bot Framework JWT on each inbound request."""

    def __init__(
        self,
        *,
        app_id: str,
        keys: SigningKeys,
        issuer: str = BOT_FRAMEWORK_ISSUER,
        skew: int = CLOCK_SKEW_SECONDS,
    ) -> None:
        if not app_id:
            raise ValueError("the Teams app id is required")
        self._app_id = app_id
        self._keys = keys
        self._issuer = issuer
        self._skew = skew

    def verify(
        self, authorization: str | None, *, service_url: str, channel_id: str
    ) -> BotIdentity:
        """Return the verified identity, or raise Unauthorized."""
        return self.verify_token(authorization).vouches_for(
            service_url=service_url, channel_id=channel_id
        )

    def verify_token(self, authorization: str | None) -> VerifiedToken:
        """The token's signature, algorithm, key, issuer, audience and lifetime — all from
        the header alone, so a request is refused before its body is read as anything."""
        token = _bearer(authorization)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthorized("malformed") from None
        if header.get("alg") not in ALGORITHMS:
            raise Unauthorized("algorithm")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized("no_key_id")
        signing = self._keys.get(kid)
        try:
            claims = jwt.decode(
                token,
                signing.key.key,
                algorithms=list(ALGORITHMS),
                audience=self._app_id,
                issuer=self._issuer,
                leeway=self._skew,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("expired") from None
        except jwt.ImmatureSignatureError:
            raise Unauthorized("not_yet_valid") from None
        except jwt.InvalidAudienceError:
            raise Unauthorized("audience") from None
        except jwt.InvalidIssuerError:
            raise Unauthorized("issuer") from None
        except jwt.MissingRequiredClaimError:
            raise Unauthorized("missing_claim") from None
        except jwt.PyJWTError:
            raise Unauthorized("signature") from None
        return VerifiedToken(claims=claims, endorsements=signing.endorsements)


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("no_bearer")
    return token.strip()


def _same_url(a: str, b: str) -> bool:
    return bool(a) and a.rstrip("/") == b.rstrip("/")
