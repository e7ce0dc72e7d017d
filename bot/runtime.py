"""The platform-agnostic runtime: settings -> engine, key ring, unit of work, clock, link
minter, and the notifiers something else attaches (bot/composition.py attaches the chat
platforms; this module knows none of them)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings, SettingsError
from bot.dependencies import Dependencies
from handlers.concern.advice_escalation import escalate_advice_due
from handlers.deadlines import WorkingCalendar
from handlers.disclosure.exports import forget_expired_exports
from handlers.follow_through.escalation import EscalationReport, escalate_due
from handlers.follow_through.patterns import PatternPolicy, PatternReport, detect_patterns
from handlers.follow_through.reminders import ReminderPolicy, ReminderReport, remind_due
from handlers.my_work.digest import DigestReport, send_digests
from handlers.outbox.delivery import DeliveryReport, OutboxPolicy, deliver_due
from handlers.outbox.throttle import Throttle
from handlers.ports import Notifier
from handlers.retention.concerns import RetentionReport, sweep_retention
from handlers.retention.inbound_keys import ForgottenDeliveries, forget_old_deliveries
from handlers.values import Platform
from store.crypto import CryptoError, KeyRing, load_or_create_key_file, new_link_token
from store.db import is_postgres, make_engine, session_factory
from store.readiness import not_ready_reason
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
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar.uk)
    throttle: Throttle = field(default_factory=Throttle)
    # Set when a unit of work commits pointers: this process's outbox worker wakes at once
    # (bot/scheduler.py); workers in other processes find them at their next tick.
    outbox_bell: threading.Event = field(default_factory=threading.Event)

    @property
    def minter(self) -> PublicLinkMinter:
        return PublicLinkMinter(self.settings.public_url)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.ring, on_outbox=self.outbox_bell.set)

    def dependencies(self) -> Dependencies:
        """What Slack, Teams and the web pages get: the same typed object for each."""
        return Dependencies(
            settings=self.settings,
            uow=self.uow,
            clock=self.clock,
            calendar=self.calendar,
            minter=self.minter,
            deliver=self.deliver,
        )

    @property
    def outbox_policy(self) -> OutboxPolicy:
        return OutboxPolicy(
            link_ttl=timedelta(hours=self.settings.link_ttl_hours),
            max_attempts=self.settings.outbox_max_attempts,
            lease=timedelta(seconds=self.settings.outbox_lease_seconds),
            # SQLite is single-process and single-writer: one recipient at a time there
            senders=8 if is_postgres(self.engine) else 1,
        )

    def deliver(self, *, concern_id: str | None = None) -> DeliveryReport:
        return deliver_due(
            self.uow,
            self.notifiers,
            self.minter,
            self.clock,
            self.outbox_policy,
            self.throttle,
            concern_id=concern_id,
        )

    def escalate(self) -> EscalationReport:
        return escalate_due(self.uow, self.clock, self.calendar)

    def escalate_advice(self) -> EscalationReport:
        return escalate_advice_due(self.uow, self.clock, self.calendar)

    def remind(self) -> ReminderReport:
        return remind_due(
            self.uow,
            self.clock,
            ReminderPolicy(
                before=timedelta(hours=self.settings.reminder_before_hours),
                overdue_after=timedelta(hours=self.settings.follow_up_overdue_hours),
            ),
        )

    def detect_patterns(self) -> PatternReport:
        return detect_patterns(
            self.uow,
            self.clock,
            PatternPolicy(
                concerns=self.settings.pattern_concerns,
                organisations=self.settings.pattern_organisations,
                window=timedelta(days=self.settings.pattern_window_days),
            ),
        )

    def send_digests(self) -> DigestReport:
        return send_digests(self.uow, self.clock)

    def forget_old_deliveries(self) -> ForgottenDeliveries:
        return forget_old_deliveries(self.uow, self.clock)

    def retain(self) -> RetentionReport:
        """The retention sweep: shred and delete what is past its period (not held)."""
        return sweep_retention(self.uow, self.clock)

    def forget_exports(self) -> int:
        """Subject access exports past their expiry: key shredded, row deleted."""
        return forget_expired_exports(self.uow(), self.clock)

    def ready(self) -> bool:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True

    def not_ready_reason(self) -> str | None:
        """Why this replica should leave the load balancer's rotation, or None."""
        return not_ready_reason(self.engine, self.ring)


def open_runtime(settings: Settings) -> Runtime:
    """A Runtime with no chat platform attached (bot.composition.build_runtime attaches them)."""
    ring = load_key_ring(settings)  # first: a bad FLARE_VAR_DIR is named as such
    try:
        engine = make_engine(settings.database_url)
    except OSError as exc:  # the SQLite file's folder cannot be created
        raise SettingsError(
            f"flare: bad setting FLARE_DATABASE_URL: cannot use it ({exc.strerror})"
        ) from None
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        ring=ring,
        calendar=WorkingCalendar.uk(settings.bank_holiday_region),
    )
