"""Failed guesses at link tokens and sign-in callbacks: limited per client, audited in aggregate.

A valid link or sign-in callback is never refused because of anyone's guesses. The token is
looked up first (by its SHA-256, one indexed read) and a callback is checked against the
state this browser started; only a *failure* counts. Failures spend from two token buckets,
one per client and one for the process; a failure over either allowance gets 429 with
Retry-After instead of the usual refusal. Tokens carry 256 bits, so the limits are not what
stops guessing: they bound the work and the audit rows that guessing costs, without letting
anyone's guesses lock a real recipient out.

A client is an IPv4 address, or an IPv6 address's /64 (one subscriber gets a whole /64). The
address is the socket peer, or the X-Forwarded-For of a proxy in FLARE_TRUSTED_PROXIES
(bot/app.py). Refused failures are audited in aggregate: one `link.guesses_refused` event per
client per window, with the count and the client's address or /64, never a token.

In-process state: with N replicas a client gets up to N times the allowance (and the global
budget is per replica); put a shared limiter at the load balancer if that matters.
"""

from __future__ import annotations

import asyncio
import ipaddress
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import structlog
from starlette.requests import Request

if TYPE_CHECKING:
    from bot.dependencies import Dependencies

log = structlog.get_logger("flare")
MAX_ADDRESSES = 10_000
WINDOW_SECONDS = 60.0  # one aggregate audit event per client per window
REFUSED_ACTION = "link.guesses_refused"


@dataclass
class TokenBucket:
    capacity: float
    per_second: float
    tokens: float
    updated: float

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.per_second)
        self.updated = now

    def has_token(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= 1

    def spend(self, now: float) -> None:
        self._refill(now)
        self.tokens = max(0.0, self.tokens - 1)

    def seconds_until_token(self) -> float:
        return max(0.0, (1 - self.tokens) / self.per_second)


@dataclass
class RefusedGuesses:
    """One client's refused guesses in one window: what the aggregate audit event says."""

    client: str
    since: float
    count: int = 0
    by_surface: dict[str, int] = field(default_factory=dict)


def client_of(address: str) -> str:
    """The client an address counts as: an IPv4 address, or an IPv6 address's /64."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]  # not an address (a test client, a unix socket): itself, bounded
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class GuessLimiter:
    """Failed guesses allowed per minute, per client and in total (bursts up to that)."""

    def __init__(
        self, *, per_address_per_minute: float, global_per_minute: float, now: Callable[[], float]
    ) -> None:
        self._per_address = per_address_per_minute
        self._now = now
        self._lock = threading.Lock()
        self._global = self._bucket(global_per_minute)
        self._addresses: OrderedDict[str, TokenBucket] = OrderedDict()
        self._refused: OrderedDict[str, RefusedGuesses] = (
            OrderedDict()
        )  # open windows, oldest first
        self._closed: list[RefusedGuesses] = []

    def _bucket(self, per_minute: float) -> TokenBucket:
        return TokenBucket(per_minute, per_minute / 60, per_minute, self._now())

    def _for(self, client: str) -> TokenBucket:
        bucket = self._addresses.get(client)
        if bucket is None:
            bucket = self._addresses[client] = self._bucket(self._per_address)
            while len(self._addresses) > MAX_ADDRESSES:
                self._addresses.popitem(last=False)  # the least recently seen client
        self._addresses.move_to_end(client)
        return bucket

    def failed(self, address: str, surface: str) -> int | None:
        """A guess from this address failed. None: within the allowance, answer as usual;
        otherwise refuse it (429) and wait this many seconds."""
        client = client_of(address)
        with self._lock:
            now = self._now()
            buckets = (self._for(client), self._global)
            waits = [b.seconds_until_token() for b in buckets if not b.has_token(now)]
            if not waits:
                for bucket in buckets:
                    bucket.spend(now)
                return None
            self._tally(client, surface, now)
            return int(max(waits)) + 1

    def _tally(self, client: str, surface: str, now: float) -> None:
        window = self._refused.get(client)
        if window is not None and now - window.since >= WINDOW_SECONDS:
            self._closed.append(self._refused.pop(client))
            window = None
        if window is None:
            window = self._refused[client] = RefusedGuesses(client, now)
            while len(self._refused) > MAX_ADDRESSES:
                self._closed.append(self._refused.popitem(last=False)[1])  # reported early
        window.count += 1
        window.by_surface[surface] = window.by_surface.get(surface, 0) + 1

    def closed_windows(self, *, all_open: bool = False) -> list[RefusedGuesses]:
        """Windows that have ended (with `all_open`, every window), each handed out once."""
        with self._lock:
            now = self._now()
            while self._refused:
                client, window = next(iter(self._refused.items()))
                if not all_open and now - window.since < WINDOW_SECONDS:
                    break  # opened in time order: the rest are younger
                self._closed.append(self._refused.pop(client))
            closed, self._closed = self._closed, []
            return closed


def audit_refused_guesses(deps: Dependencies, windows: list[RefusedGuesses]) -> None:
    """One `link.guesses_refused` audit event per client and window: how many, never what."""
    if not windows:
        return
    with deps.uow() as uow:
        for window in windows:
            uow.audit(
                REFUSED_ACTION,
                at=deps.clock.now(),
                detail={
                    "client": window.client,
                    "refused": window.count,
                    "by_surface": dict(window.by_surface),
                    "since": datetime.fromtimestamp(window.since, UTC).isoformat(),
                    "window_seconds": WINDOW_SECONDS,
                },
            )
        uow.commit()
    log.warning("link.guesses_refused", clients=len(windows), refused=sum(w.count for w in windows))


async def audit_every_window(deps: Dependencies, limiter: GuessLimiter) -> None:
    """While serving: write the windows that have ended, even once the guessing stops."""
    while True:
        await asyncio.sleep(WINDOW_SECONDS)
        try:
            await asyncio.to_thread(audit_refused_guesses, deps, limiter.closed_windows())
        except Exception as exc:  # the database is away: the next round tries the next windows
            log.warning("link.guesses_refused.not_audited", error=type(exc).__name__)


def limiter_for(request: Request) -> GuessLimiter:
    """The application's limiter (made in `create_app`)."""
    limiter: GuessLimiter = request.app.state.link_guesses
    return limiter


def client_address(request: Request) -> str:
    # The socket peer, or X-Forwarded-For from a trusted proxy (ProxyHeadersMiddleware, app.py).
    return request.client.host if request.client else "unknown"


def refuse_guess(request: Request, surface: str) -> int | None:
    """Count a failed guess by this request's client: None, or the seconds to wait (429)."""
    limiter = limiter_for(request)
    wait = limiter.failed(client_address(request), surface)
    audit_refused_guesses(request.app.state.dependencies, limiter.closed_windows())
    return wait
