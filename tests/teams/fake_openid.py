"""A fake Bot Framework OpenID issuer: metadata + JWKS over real HTTP on loopback.

It holds its own RSA keys and signs test tokens the way the Bot Connector does (RS256, a
`kid`, issuer https://api.botframework.com, audience = the bot's app id, a `serviceUrl`
claim). Tests rotate its key, count its fetches and forge tokens it did not sign.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.loopback import LoopbackServer

ISSUER = "https://api.botframework.com"


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class FakeOpenId:
    app_id: str
    base_url: str = ""
    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    endorsements: list[str] = field(default_factory=lambda: ["msteams"])
    metadata_hits: int = 0
    jwks_hits: int = 0

    def __post_init__(self) -> None:
        if not self.keys:
            self.rotate()

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/v1/.well-known/openidconfiguration"

    @property
    def current_kid(self) -> str:
        return next(reversed(self.keys))

    def rotate(self, *, keep_old: bool = False) -> str:
        """Publish a new signing key (optionally dropping the old ones); returns its kid."""
        kid = secrets.token_hex(8)
        if not keep_old:
            self.keys.clear()
        self.keys[kid] = new_rsa_key()
        return kid

    def jwks(self) -> dict[str, Any]:
        entries = []
        for kid, key in self.keys.items():
            jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            jwk.update(kid=kid, use="sig", endorsements=self.endorsements)
            entries.append(jwk)
        return {"keys": entries}

    def token(
        self,
        service_url: str,
        *,
        kid: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
        algorithm: str = "RS256",
        **claims: Any,
    ) -> str:
        """A token as the Bot Connector would sign it; keyword claims override defaults."""
        kid = kid or self.current_kid
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": ISSUER,
            "aud": self.app_id,
            "serviceUrl": service_url,
            "nbf": now - 5,
            "iat": now - 5,
            "exp": now + 3600,
        }
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        if algorithm == "none":
            return jwt.encode(body, None, algorithm="none", headers={"kid": kid})  # type: ignore[arg-type]  # alg none takes no key
        if algorithm == "HS256":
            return jwt.encode(
                body, "a-shared-secret-x" * 2, algorithm="HS256", headers={"kid": kid}
            )
        signer = key or self.keys[kid]
        return jwt.encode(body, signer, algorithm=algorithm, headers={"kid": kid})


def _handler(fake: FakeOpenId) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/v1/.well-known/openidconfiguration":
                fake.metadata_hits += 1
                body = {
                    "issuer": ISSUER,
                    "jwks_uri": f"{fake.base_url}/v1/.well-known/keys",
                    "id_token_signing_alg_values_supported": ["RS256"],
                }
            elif self.path == "/v1/.well-known/keys":
                fake.jwks_hits += 1
                body = fake.jwks()
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def running_openid(app_id: str) -> Iterator[FakeOpenId]:
    fake = FakeOpenId(app_id)
    server = LoopbackServer(("127.0.0.1", 0), _handler(fake))
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
