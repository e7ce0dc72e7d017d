"""The platforms' documented rate limits, enforced on the fakes: 429 with Retry-After.

Slack (docs.slack.dev, "Rate limits"): `conversations.open` is Tier 3, 50+ requests a
minute per workspace, with occasional bursts; `chat.postMessage` allows about one message a
second per channel, with short bursts. Teams (Microsoft Learn, "Optimize your bot with rate
limiting"): about 50 requests a second per app per tenant. Each limit is a token bucket
(`rate` tokens a second, holding at most `burst`); a request that finds no token is answered
429 with Retry-After, the whole seconds until one is due. `speed` multiplies every rate, for
the toy runs only; the full bench runs at 1.

Every request and every 429 is recorded per bucket, so the bench can check that no 429
was ignored: after a 429 with Retry-After r at time t, the next request on that bucket comes
at t + r or later.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Bucket:
    rate: float  # tokens a second
    burst: float
    tokens: float = -1.0
    at: float = 0.0

    def take(self, now: float) -> float | None:
        """None if a token was taken; else the seconds until one is due."""
        if self.tokens < 0:
            self.tokens, self.at = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return (1 - self.tokens) / self.rate


@dataclass(frozen=True)
class Limit:
    per_minute: float
    burst: float


SLACK_OPEN = Limit(per_minute=50, burst=10)  # Tier 3
SLACK_POST_PER_CHANNEL = Limit(per_minute=60, burst=3)
TEAMS_PER_TENANT = Limit(per_minute=50 * 60, burst=50)


@dataclass
class RateLimits:
    speed: float = 1.0
    burst: float | None = None  # toy runs: every bucket holds this many (so limits bind)
    buckets: dict[str, Bucket] = field(default_factory=dict)
    requests: dict[str, list[float]] = field(default_factory=dict)
    refusals: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, key: str, limit: Limit) -> int | None:
        """Record a request on `key`; None to let it through, else its Retry-After."""
        now = time.monotonic()
        with self._lock:
            bucket = self.buckets.get(key)
            if bucket is None:
                rate = limit.per_minute / 60 * self.speed
                bucket = self.buckets[key] = Bucket(rate, self.burst or limit.burst)
            self.requests.setdefault(key, []).append(now)
            wait = bucket.take(now)
            if wait is None:
                return None
            retry_after = max(1, math.ceil(wait))
            self.refusals.setdefault(key, []).append((now, retry_after))
            return retry_after

    @property
    def refused(self) -> int:
        return sum(len(v) for v in self.refusals.values())

    def ignored(self, tolerance: float = 0.05) -> int:
        """Requests that came before the Retry-After of a 429 on their bucket had passed."""
        count = 0
        for key, refusals in self.refusals.items():
            times = self.requests[key]
            for at, retry_after in refusals:
                count += sum(1 for t in times if at < t < at + retry_after - tolerance)
        return count

    def bound_seconds(self, requests: int, limit: Limit) -> float:
        """The least time `requests` requests can take through one bucket of `limit`."""
        burst = self.burst or limit.burst
        return max(0.0, requests - burst) / (limit.per_minute / 60 * self.speed)
