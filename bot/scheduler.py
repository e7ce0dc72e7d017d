"""The clock: APScheduler 3 wakes the sweeps in handlers/, and nothing more.

APScheduler keeps no job store here (its jobs cannot be shared between processes); every
process that runs a Scheduler — any number of `flare worker` and `flare serve` replicas —
wakes its own sweeps, and the sweeps claim their rows in the database (SELECT ... FOR
UPDATE SKIP LOCKED on PostgreSQL), so a row is handled by one replica. A sweep that fails
(database restarting, network blip) is logged by error type and retried at its next tick.

The outbox has a thread of its own: it drains when a unit of work in this process commits
pointers (the runtime's outbox bell: a raise is sent at once, not at the next tick) and
every FLARE_OUTBOX_INTERVAL_SECONDS in any case, which is how it finds pointers queued by
other processes and rows due for a retry.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.console import DemoConsole
from bot.runtime import Runtime
from handlers.deadlines import LONDON

log = structlog.get_logger("flare.scheduler")

# "skipped: maximum number of running instances reached" is the point of max_instances=1.
logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
DRAIN_SECONDS = 10.0  # a sweep that finds a full batch keeps going for up to this long


class Scheduler:
    """Wakes the outbox and the follow-through sweeps of one runtime."""

    def __init__(self, runtime: Runtime, *, sweeps: bool = True) -> None:
        self._runtime = runtime
        settings = runtime.settings
        self._scheduler = BackgroundScheduler(
            timezone=LONDON,
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 30},
        )
        self._stopping = threading.Event()
        self._outbox = threading.Thread(target=self._outbox_loop, name="flare-outbox", daemon=True)
        if sweeps:
            interval = settings.sweep_interval_seconds
            self._every(interval, "escalations", runtime.escalate)
            self._every(interval, "advice_escalations", runtime.escalate_advice)
            self._every(interval, "reminders", runtime.remind)
            self._every(interval, "patterns", runtime.detect_patterns)
            self._every(interval, "inbound_keys", runtime.forget_old_deliveries)
            self._every(interval, "retention", runtime.retain)
            self._every(interval, "exports", runtime.forget_exports)
            if settings.env == "demo":
                self._every(1.0, "console", DemoConsole(runtime.uow).tell)
            if settings.digest_hour is not None:
                self._scheduler.add_job(
                    _guarded("digest", runtime.send_digests),
                    CronTrigger(hour=settings.digest_hour, timezone=LONDON),
                    id="digest",
                )

    def _every(self, seconds: float, name: str, sweep: Callable[[], Any]) -> None:
        self._scheduler.add_job(  # first run at start, then every interval
            _guarded(name, sweep),
            IntervalTrigger(seconds=seconds),
            id=name,
            next_run_time=datetime.now(LONDON),
        )

    def _drain_outbox(self) -> None:
        """Sweep while batches (or a rate-limited platform's quota) come back full; and when a
        platform's Retry-After pause ends before the next tick, wait for its end and sweep
        again (waiting for the tick lost up to a second per 429, measured by `make bench`)."""
        started = time.monotonic()
        batch = self._runtime.outbox_policy.batch
        while True:
            report = self._runtime.deliver()
            if report.claimed or report.dead:
                log.info(
                    "outbox.sweep",
                    sent=report.sent,
                    reconciled=report.reconciled,
                    retried=report.retried,
                    dead=report.dead,
                )
            if report.claimed + report.deferred < batch and not report.quota_full:
                wait = self._pause_left()
                if wait is None or time.monotonic() - started + wait > DRAIN_SECONDS:
                    return
                time.sleep(wait)
            elif time.monotonic() - started > DRAIN_SECONDS:
                return

    def _outbox_loop(self) -> None:
        """Drain, then sleep until the bell rings or the interval passes; until stopped."""
        bell, drain = self._runtime.outbox_bell, _guarded("outbox", self._drain_outbox)
        interval = self._runtime.settings.outbox_interval_seconds
        while not self._stopping.is_set():
            bell.clear()  # pointers committed from here on ring again and get their own drain
            drain()
            bell.wait(interval)

    def _pause_left(self) -> float | None:
        """Seconds until a platform's pause ends, if it ends before the next outbox tick."""
        now = self._runtime.clock.now()
        until = self._runtime.throttle.next_resume(now)
        if until is None:
            return None
        left = (until - now).total_seconds()
        return left if left < self._runtime.settings.outbox_interval_seconds else None

    def start(self) -> None:
        self._scheduler.start()
        self._outbox.start()

    def stop(self) -> None:
        self._stopping.set()
        self._runtime.outbox_bell.set()
        if self._outbox.is_alive():
            self._outbox.join()
        self._scheduler.shutdown(wait=True)

    def run_until(self, stop: threading.Event) -> None:
        """Block (the `flare worker` process) until `stop` is set."""
        self.start()
        try:
            while not stop.wait(0.5):
                pass
        finally:
            self.stop()


def _guarded(name: str, sweep: Callable[[], Any]) -> Callable[[], None]:
    def run() -> None:
        try:
            report = sweep()
        except Exception as exc:  # the next tick retries; rows stay claimable
            log.error("sweep.failed", sweep=name, error=type(exc).__name__)
            return
        numbers = _numbers(report)
        if name != "outbox" and numbers:
            log.info("sweep.done", sweep=name, **numbers)

    run.__name__ = f"sweep_{name}"
    return run


def _numbers(report: Any) -> dict[str, int]:
    values = getattr(report, "__dict__", {})
    return {k: v for k, v in values.items() if isinstance(v, int) and v}
