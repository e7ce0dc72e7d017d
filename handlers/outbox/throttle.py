"""A worker's memory of the platforms' rate limits: a pause after a 429, then a short quota.

Retry-After applies to the workspace or tenant, not one row, so a 429 pauses that platform.
For a while after the pause ends its limit is still near: a sweep that claimed a full batch
of its rows would mint their links, send one or two and hand the rest back unsent (measured
by `make bench`: five claims per pointer sent, most of the worker's time). So a platform
limited lately gets only `probe` rows a sweep, and the sweep runs again at once while its
quota keeps coming back full. One per worker process; each replica learns from its own 429s.
A sweep's lanes share it from several threads (handlers/outbox/sending.py).
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from handlers.values import Platform


class Throttle:
    """Per-platform pause after a 429 (Retry-After), then a claim quota for `memory`."""

    def __init__(self, *, probe: int = 2, memory: timedelta = timedelta(seconds=30)) -> None:
        self._until: dict[Platform, datetime] = {}
        self._probe = probe
        self._memory = memory
        self._lock = threading.Lock()

    def paused_until(self, platform: Platform, now: datetime) -> datetime | None:
        until = self._until.get(platform)
        return until if until is not None and until > now else None

    def pause(self, platform: Platform, until: datetime) -> None:
        with self._lock:
            self._until[platform] = max(until, self._until.get(platform, until))

    def next_resume(self, now: datetime) -> datetime | None:
        """When the earliest pause still running ends (None if no platform is paused)."""
        with self._lock:
            return min((u for u in self._until.values() if u > now), default=None)

    def claim_quotas(self, now: datetime) -> dict[Platform, int]:
        """Platforms whose rows a sweep may claim only so many of: 0 while paused, then
        `probe` until `memory` has passed since the pause ended. Others have no quota."""
        with self._lock:
            return {
                platform: 0 if until > now else self._probe
                for platform, until in self._until.items()
                if now < until + self._memory
            }
