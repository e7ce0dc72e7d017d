"""Browser sessions and CSRF.

The `flare_session` cookie holds a random id (HttpOnly, SameSite=Lax so it survives a click
from Slack or Teams, Secure behind https); the server keeps only its SHA-256 with the signed-in
identity (issuer + subject). A separate `flare_pre` cookie carries a random browser id for
anonymous CSRF tokens and the one link a visitor is part-way through opening.

Over https both names carry the `__Host-` prefix (Secure, Path=/, no Domain: no sibling
subdomain can set or shadow them). Both are browser-session cookies, with no Max-Age or
Expires: the idle and absolute limits are kept on the server, not in the browser.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import HTTPException, Request, Response
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import update

from bot.dependencies import Dependencies
from handlers.concern.oversight import oversight_pages
from handlers.network.administration import admin_pages
from store.models import Practitioner, WebSession

SESSION_COOKIE = "flare_session"
BROWSER_COOKIE = "flare_pre"
HOST_PREFIX = "__Host-"
# How stale `last_seen_at` may get before a request moves it (at most a thirtieth of the
# idle timeout): a session may end that much before its idle limit, never after it.
LAST_SEEN_STEP = timedelta(seconds=60)
# What sign-out asks the browser to forget (https only; browsers ignore it over plain http).
CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


def cookie_name(base: str, *, secure: bool) -> str:
    """`__Host-flare_session` over https, `flare_session` over plain http (demo, tests)."""
    return f"{HOST_PREFIX}{base}" if secure else base


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    practitioner_id: str
    name: str
    provider: str
    session_hash: str
    authenticated_at: datetime  # when the provider last authenticated the person
    admin_pages: tuple[tuple[str, str], ...] = ()  # (path, label) the header links to
    oversight_pages: tuple[tuple[str, str], ...] = ()  # the decisions not to share they see


class Browser:
    """Reads and writes the two cookies for one request."""

    def __init__(self, deps: Dependencies, request: Request) -> None:
        self._deps = deps
        self._request = request
        self._secure = deps.settings.public_url.startswith("https://")
        self._session_cookie = cookie_name(SESSION_COOKIE, secure=self._secure)
        self._browser_cookie = cookie_name(BROWSER_COOKIE, secure=self._secure)
        self._idle = timedelta(minutes=deps.settings.session_idle_minutes)
        self._absolute = timedelta(hours=deps.settings.session_absolute_hours)
        self._key = deps.system_key("web-session")
        self._signer = URLSafeSerializer(self._key.hex(), salt="flare-pre")
        self._pre = self._read_pre()
        self.changed = False

    # --- the anonymous browser cookie --------------------------------------------------------
    def _read_pre(self) -> dict[str, str]:
        raw = self._request.cookies.get(self._browser_cookie)
        if raw:
            try:
                data = self._signer.loads(raw)
                if isinstance(data, dict) and isinstance(data.get("b"), str):
                    return {str(k): str(v) for k, v in data.items()}
            except BadSignature:
                pass
        return {"b": secrets.token_urlsafe(16)}

    @property
    def browser_id(self) -> str:
        return self._pre["b"]

    def remember(self, key: str, value: str | None) -> None:
        if value is None:
            self._pre.pop(key, None)
        else:
            self._pre[key] = value
        self.changed = True

    def recall(self, key: str) -> str | None:
        return self._pre.get(key)

    def csrf_token(self) -> str:
        if self._browser_cookie not in self._request.cookies:
            self.changed = True
        return hmac.new(self._key, f"csrf:{self.browser_id}".encode(), "sha256").hexdigest()

    def csrf_ok(self, token: str | None) -> bool:
        """The token this browser's own pages carry (and the browser still has its cookie)."""
        return (
            self._browser_cookie in self._request.cookies
            and bool(token)
            and hmac.compare_digest(
                str(token),
                hmac.new(self._key, f"csrf:{self.browser_id}".encode(), "sha256").hexdigest(),
            )
        )

    def check_csrf(self, token: str | None) -> None:
        if not self.csrf_ok(token):
            raise HTTPException(
                status_code=403, detail="This form has expired. Go back and try again."
            )

    def write(self, response: Response) -> None:
        if self.changed:
            self._set(response, self._browser_cookie, self._signer.dumps(self._pre))

    def _set(self, response: Response, name: str, value: str) -> None:
        """A browser-session cookie: no Max-Age or Expires, no Domain, Path=/."""
        response.set_cookie(
            name, value, httponly=True, samesite="lax", secure=self._secure, path="/"
        )

    def forget(self, response: Response) -> None:
        """Delete every Flare cookie (prefixed and plain names); this response sets none."""
        for base in (SESSION_COOKIE, BROWSER_COOKIE):
            for secure in (True, False) if self._secure else (False,):
                response.delete_cookie(
                    cookie_name(base, secure=secure),
                    path="/",
                    secure=self._secure,
                    httponly=True,
                    samesite="lax",
                )
        self.changed = False

    # --- the signed-in session ---------------------------------------------------------------
    def signed_in(self) -> SignedIn | None:
        raw = self._request.cookies.get(self._session_cookie)
        if not raw:
            return None
        now = self._deps.clock.now()
        with self._deps.uow() as uow:
            session = uow.session.get(WebSession, _hash(raw))
            if session is None or session.revoked_at is not None:
                return None
            if not session_age_ok(
                session.created_at,
                session.last_seen_at,
                now,
                idle=self._idle,
                absolute=self._absolute,
            ):
                return None
            person = uow.session.get(Practitioner, session.practitioner_id)
            if person is None or not person.active:
                return None
            if now - session.last_seen_at >= min(LAST_SEEN_STEP, self._idle / 30):
                session.last_seen_at = now  # not on every request: a write per page view
                uow.commit()  # would serialise a reader's requests on their session row
            authenticated = session.authenticated_at or session.created_at
            return SignedIn(
                person.id,
                person.name,
                session.provider,
                session.id_hash,
                authenticated,
                admin_pages(person),
                oversight_pages(uow, person.id),
            )

    def sign_in(
        self,
        response: Response,
        *,
        practitioner_id: str,
        provider: str,
        issuer: str,
        subject: str,
        authenticated_at: datetime | None = None,
    ) -> None:
        """A new session; `authenticated_at` is the provider's `auth_time` (else now)."""
        raw = secrets.token_urlsafe(32)
        now = self._deps.clock.now()
        with self._deps.uow() as uow:
            uow.session.add(
                WebSession(
                    id_hash=_hash(raw),
                    practitioner_id=practitioner_id,
                    provider=provider,
                    issuer=issuer,
                    subject=subject,
                    created_at=now,
                    last_seen_at=now,
                    authenticated_at=min(authenticated_at or now, now),
                )
            )
            uow.audit(
                "session.signed_in", at=now, actor_id=practitioner_id, detail={"provider": provider}
            )
            uow.commit()
        self._set(response, self._session_cookie, raw)
        # A new browser id on sign-in: no CSRF token or pending link crosses the boundary.
        self._pre = {
            "b": secrets.token_urlsafe(16),
            **{k: v for k, v in self._pre.items() if k == "link"},
        }
        self.changed = True

    def sign_out(self, response: Response | None = None, *, everywhere: bool = False) -> None:
        """End the session on the server (and, given a response, drop its cookie)."""
        raw = self._request.cookies.get(self._session_cookie)
        now = self._deps.clock.now()
        if raw:
            with self._deps.uow() as uow:
                session = uow.session.get(WebSession, _hash(raw))
                if session is not None:
                    stmt = update(WebSession).where(WebSession.revoked_at.is_(None))
                    stmt = (
                        stmt.where(WebSession.practitioner_id == session.practitioner_id)
                        if everywhere
                        else stmt.where(WebSession.id_hash == session.id_hash)
                    )
                    uow.session.execute(stmt.values(revoked_at=now))
                    uow.audit(
                        "session.signed_out",
                        at=now,
                        actor_id=session.practitioner_id,
                        detail={"everywhere": everywhere},
                    )
                    uow.commit()
        if response is not None:
            response.delete_cookie(
                self._session_cookie, path="/", secure=self._secure, httponly=True, samesite="lax"
            )


def session_age_ok(
    created: datetime, last_seen: datetime, now: datetime, *, idle: timedelta, absolute: timedelta
) -> bool:
    """Alive: used within the idle timeout and started within the absolute one."""
    return now - last_seen <= idle and now - created <= absolute
