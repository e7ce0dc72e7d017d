"""Wiring: settings -> engine, key ring, unit of work, clock, link minter and notifiers."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings, SettingsError
from handlers.deadlines import WorkingCalendar
from handlers.delivery import DeliveryReport, OutboxPolicy, deliver_due
from handlers.ports import Notifier
from handlers.values import Platform
from store.crypto import CryptoError, KeyRing, load_or_create_key_file, new_link_token
from store.db import make_engine, session_factory
from store.unit_of_work import UnitOfWork

log = structlog.get_logger("flare")


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class PublicLinkMinter:
    """Links are built from FLARE_PUBLIC_URL only, never from a request's Host header."""

    public_url: str

    def mint(self) -> str:
        return new_link_token()

    def url(self, token: str) -> str:
        return f"{self.public_url}/l/{token}"


def load_key_ring(settings: Settings) -> KeyRing:
    spec = settings.master_keys
    if not spec:
        path = settings.var_dir / "master.key"
        try:
            spec, created = load_or_create_key_file(path)
        except OSError as exc:
            raise SettingsError(
                f"flare: bad setting FLARE_VAR_DIR: cannot use {path} ({exc.strerror})"
            ) from None
        if created:
            log.warning(
                "keys.generated",
                path=str(path),
                mode="0600",
                note="demo master key created; set FLARE_MASTER_KEYS in production",
            )
    try:
        return KeyRing.parse(spec)
    except CryptoError as exc:
        raise SettingsError(f"flare: bad setting FLARE_MASTER_KEYS: {exc}") from None


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    ring: KeyRing
    clock: SystemClock = field(default_factory=SystemClock)
    notifiers: dict[Platform, Notifier] = field(default_factory=dict)
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)

    @property
    def minter(self) -> PublicLinkMinter:
        return PublicLinkMinter(self.settings.public_url)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.ring)

    @property
    def outbox_policy(self) -> OutboxPolicy:
        return OutboxPolicy(link_ttl=timedelta(hours=self.settings.link_ttl_hours))

    def deliver(self) -> DeliveryReport:
        return deliver_due(self.uow, self.notifiers, self.minter, self.clock, self.outbox_policy)

    def ready(self) -> bool:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True


def build_runtime(settings: Settings) -> Runtime:
    ring = load_key_ring(settings)  # first: a bad FLARE_VAR_DIR is named as such
    try:
        engine = make_engine(settings.database_url)
    except OSError as exc:  # the SQLite file's folder cannot be created
        raise SettingsError(
            f"flare: bad setting FLARE_DATABASE_URL: cannot use it ({exc.strerror})"
        ) from None
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        ring=ring,
    )
    _attach_platforms(runtime)
    return runtime


def _attach_platforms(runtime: Runtime) -> None:
    """Each configured chat platform adds its notifier (one line per platform)."""
    from bot.slack.wiring import attach_slack

    attach_slack(runtime)


class OutboxLoop:
    """Drives the outbox inside `flare serve` until stopped (the scheduler issue hardens it)."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="flare-outbox", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        interval = self._runtime.settings.outbox_interval_seconds
        while not self._stop.is_set():
            try:
                report = self._runtime.deliver()
                if report.claimed:
                    log.info(
                        "outbox.sweep", sent=report.sent, retried=report.retried, dead=report.dead
                    )
            except Exception as exc:  # keep the loop alive through a database blip
                log.error("outbox.sweep_failed", error=type(exc).__name__)
            self._stop.wait(interval)
