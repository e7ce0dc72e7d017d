"""Fake OpenID providers over loopback: Sign in with Slack (http) and Microsoft Entra (https).

Each is a real HTTP server in a thread with its own RSA key. `authorize` answers like the
real one after the person agrees: a redirect to `redirect_uri` with a code and the state.
With `consent=True` it first shows a consent page, as the real ones do for a browser: its
"Allow" button posts to the provider's own `/consent`, which then redirects back.
The token endpoint checks the client secret, the redirect URI and the PKCE verifier, and
issues an ID token whose claims `misbehave` can spoil (nonce, expiry, audience, signature).
Entra must be https (msal refuses anything else), so it gets a self-signed certificate for
127.0.0.1 whose PEM file callers trust through REQUESTS_CA_BUNDLE. Entra answers for one
tenant (`/{tenant}`) or, like the real one, for any (`/organizations`, `/common`), whose
configuration names the issuer "…/{tenantid}/v2.0"; a token's issuer is its own tenant's.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.demo import ENTRA_TENANT
from tests.loopback import LoopbackServer

CLIENT_ID = "flare-client-id"
CLIENT_SECRET = "flare-client-secret"
TENANT = ENTRA_TENANT  # the tenant the demo directory declares
MULTI_TENANT = ("organizations", "common")


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    nonce: str
    challenge: str
    auth_time: int = 0  # when the provider (last) authenticated the person


@dataclass
class Person:
    """Who 'signs in' at the provider next."""

    user: str
    workspace: str
    email: str | None
    email_verified: bool = True
    upn: str | None = None  # Entra: preferred_username (else `email` is used for it)
    email_claim: str | None = None  # Entra: the unverified `email` claim, if sent


@dataclass
class FakeProvider:
    kind: str  # "slack" | "entra"
    base: str = ""
    person: Person | None = None
    # "nonce" | "expired" | "audience" | "signature" | "issuer" (Entra: another tenant's)
    misbehave: str | None = None
    grants: dict[str, Grant] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    kid: str = field(default_factory=lambda: secrets.token_hex(8))
    consent: bool = False  # show a consent page before redirecting back (browser tests)
    pending: dict[str, dict[str, str]] = field(default_factory=dict)  # consent id -> query
    posted: list[str] = field(default_factory=list)  # every POST path, in order
    authorize_queries: list[dict[str, str]] = field(default_factory=list)
    # The provider's own single sign-on session: when the person last typed a password.
    # Slack signs the grant time as `auth_time`; Entra its SSO session's, unless prompt=login.
    # `ignores_step_up` answers prompt=login and max_age from the old session regardless.
    sso_since: int | None = None
    ignores_step_up: bool = False

    @property
    def issuer(self) -> str:
        """The issuer of the next token: Slack's, or the signing-in person's tenant's."""
        if self.kind == "slack":
            return self.base
        tenant = self.person.workspace if self.person is not None else TENANT
        return f"{self.base}/{TENANT if self.misbehave == 'issuer' else tenant}/v2.0"

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def id_token(self, grant: Grant) -> str:
        assert self.person is not None, "say who signs in: provider.person = Person(...)"
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": "someone-else" if self.misbehave == "audience" else grant.client_id,
            "iat": now - 5,
            "exp": now - 600 if self.misbehave == "expired" else now + 3600,
            "nonce": "not-the-nonce" if self.misbehave == "nonce" else grant.nonce,
            "auth_time": grant.auth_time,
        }
        p = self.person
        if self.kind == "slack":
            claims |= {
                "sub": p.user,
                "https://slack.com/team_id": p.workspace,
                "https://slack.com/user_id": p.user,
                "email": p.email,
                "email_verified": p.email_verified,
            }
        else:
            claims |= {"sub": f"sub-{p.user}", "tid": p.workspace, "oid": p.user, "ver": "2.0"}
            upn = p.upn if p.upn is not None else p.email
            claims |= {"preferred_username": upn} if upn else {}
            claims |= {"email": p.email_claim} if p.email_claim else {}
        key = self.key
        if self.misbehave == "signature":
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})

    # --- endpoints --------------------------------------------------------------------------
    def get(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if path.endswith("/.well-known/openid-configuration"):
            tenant = path.strip("/").split("/")[0] if self.kind == "entra" else ""
            root = f"{self.base}/{tenant}" if tenant else self.base
            issuer = "{tenantid}" if tenant in MULTI_TENANT else tenant
            return _json(
                {
                    "issuer": f"{self.base}/{issuer}/v2.0" if tenant else self.issuer,
                    "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{root}/oauth2/v2.0/token",
                    "jwks_uri": f"{root}/discovery/v2.0/keys",
                }
            )
        if path.endswith("/keys"):
            return _json(self.jwks())
        if path.endswith("/authorize"):
            return self._authorize(query)
        return 404, {}, b"not found"

    def _authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if query.get("response_type") != "code" or query.get("code_challenge_method") != "S256":
            return 400, {}, b"bad authorize request"
        if self.consent:
            ask = secrets.token_urlsafe(8)
            self.pending[ask] = query
            page = (
                "<!DOCTYPE html><html lang='en'><title>Allow Flare?</title><h1>Allow Flare to"
                " see who you are?</h1><form method='post' action='/consent'>"
                f"<input type='hidden' name='ask' value='{ask}'>"
                "<button type='submit'>Allow</button></form></html>"
            )
            return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()
        return self._grant(query)

    def _grant(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        code = secrets.token_urlsafe(16)
        self.authorize_queries.append(query)
        now = int(time.time())
        if self.sso_since is None or (query.get("prompt") == "login" and not self.ignores_step_up):
            self.sso_since = now
        fresh = self.kind == "slack" and not self.ignores_step_up
        self.grants[code] = Grant(
            query["client_id"],
            query["redirect_uri"],
            query["nonce"],
            query["code_challenge"],
            auth_time=now if fresh else self.sso_since,
        )
        back = urlencode({"code": code, "state": query["state"]})
        return 302, {"Location": f"{query['redirect_uri']}?{back}"}, b""

    def post(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        self.posted.append(path)
        if path == "/consent":
            query = self.pending.pop(form.get("ask", ""), None)
            if query is None:
                return 400, {}, b"no such consent request"
            _, headers, body = self._grant(query)
            return 303, headers, body
        if not path.endswith("token"):
            return 404, {}, b"not found"
        self.token_requests.append(form)
        grant = self.grants.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        ok = (
            grant is not None
            and form.get("client_id") == grant.client_id == CLIENT_ID
            and form.get("client_secret") == CLIENT_SECRET
            and form.get("redirect_uri") == grant.redirect_uri
            and challenge == grant.challenge
        )
        if self.kind == "slack":
            if not ok or grant is None:
                return _json({"ok": False, "error": "invalid_code"})
            return _json(
                {"ok": True, "access_token": "xoxp-fake", "id_token": self.id_token(grant)}
            )
        if not ok or grant is None:
            return _json({"error": "invalid_grant"}, status=400)
        return _json(
            {
                "token_type": "Bearer",
                "scope": "email openid profile",
                "expires_in": 3600,
                "access_token": "fake-access-token",
                "id_token": self.id_token(grant),
            }
        )


def _json(data: Any, status: int = 200) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(data).encode()


class _Handler(BaseHTTPRequestHandler):
    provider: FakeProvider

    def _answer(self, answer: tuple[int, dict[str, str], bytes]) -> None:
        status, headers, body = answer
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self._answer(self.provider.get(parts.path, query))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        self._answer(self.provider.post(urlsplit(self.path).path, form))

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Running:
    """A provider served on 127.0.0.1 until `stop()`."""

    def __init__(self, provider: FakeProvider, tls: tuple[Path, Path] | None = None) -> None:
        handler = type("Handler", (_Handler,), {"provider": provider})
        self.server = LoopbackServer(("127.0.0.1", 0), handler)
        scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        provider.base = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self.provider = provider
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
