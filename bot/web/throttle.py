"""Token buckets against guessing: one per client address, one for the whole process.

Only failures spend a token: unknown or expired link tokens, and refused sign-in callbacks
(each of which is audited). While either bucket is empty every link POST and sign-in
callback from that address gets the same 429, before any look-up, so a guesser learns
nothing, while the recipient of a real link is never slowed by their own successful opens.
In-process state: with N replicas an address gets up to N times the allowance (and the
global budget is per replica); put a shared limiter at the load balancer if that matters.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request

MAX_ADDRESSES = 10_000


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


class GuessLimiter:
    """Link-token guesses allowed per minute, per address and in total (bursts up to that)."""

    def __init__(
        self, *, per_address_per_minute: float, global_per_minute: float, now: Callable[[], float]
    ) -> None:
        self._per_address = per_address_per_minute
        self._now = now
        self._lock = threading.Lock()
        self._global = self._bucket(global_per_minute)
        self._addresses: OrderedDict[str, TokenBucket] = OrderedDict()

    def _bucket(self, per_minute: float) -> TokenBucket:
        return TokenBucket(per_minute, per_minute / 60, per_minute, self._now())

    def _for(self, address: str) -> TokenBucket:
        bucket = self._addresses.get(address)
        if bucket is None:
            bucket = self._addresses[address] = self._bucket(self._per_address)
            while len(self._addresses) > MAX_ADDRESSES:
                self._addresses.popitem(last=False)  # the least recently seen address
        self._addresses.move_to_end(address)
        return bucket

    def retry_after(self, address: str) -> int | None:
        """None if this address may try a token now; else seconds to wait."""
        with self._lock:
            now = self._now()
            waits = [
                b.seconds_until_token()
                for b in (self._for(address), self._global)
                if not b.has_token(now)
            ]
            return int(max(waits)) + 1 if waits else None

    def failed(self, address: str) -> None:
        """A token from this address was unknown or expired."""
        with self._lock:
            now = self._now()
            self._for(address).spend(now)
            self._global.spend(now)


def limiter_for(request: Request) -> GuessLimiter:
    """The application's limiter (made in `create_app`)."""
    limiter: GuessLimiter = request.app.state.link_guesses
    return limiter


def client_address(request: Request) -> str:
    # Behind a proxy, uvicorn's --proxy-headers/--forwarded-allow-ips make this the client's.
    return request.client.host if request.client else "unknown"
