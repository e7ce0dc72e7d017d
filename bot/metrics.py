"""Prometheus metrics, computed from the store at scrape time (right with many replicas).

Outbox depth and attempts, dead letters, escalations and acknowledgement latency all come
from rows every replica shares, so any replica's /metrics gives the same answer.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.runtime import Runtime
from store.models import AuditEvent, Concern, OutboxMessage

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Acknowledgement latency buckets, in seconds: 5 min to 5 days.
ACK_BUCKETS = (300.0, 900.0, 3600.0, 4 * 3600.0, 8 * 3600.0, 86400.0, 2 * 86400.0, 5 * 86400.0)
ACK_WINDOW = timedelta(days=30)


def authorised(settings: Settings, authorization: str | None) -> bool:
    """Who may read the metrics: anyone who reaches the listener when no token is set,
    else only a request with `Authorization: Bearer <FLARE_METRICS_TOKEN>`."""
    if not settings.metrics_token:
        return True
    scheme, _, token = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), settings.metrics_token.encode()
    )


def render(runtime: Runtime) -> bytes:
    """The exposition text: outbox, concerns, escalations and acknowledgement latency."""
    registry = CollectorRegistry()
    since = runtime.clock.now() - ACK_WINDOW
    with runtime.uow() as uow:
        _outbox(registry, uow.session)
        _concerns(registry, uow.session)
        _escalations(registry, uow.session)
        latencies = _acknowledgement_seconds(uow.session, since)
    registry.register(_Latency(latencies))
    return generate_latest(registry)


def _outbox(registry: CollectorRegistry, s: Session) -> None:
    """Messages and attempts by state, the depth not yet sent, and the dead letters."""
    outbox = Gauge(
        "flare_outbox_messages", "Outbox messages by state", ["state"], registry=registry
    )
    depth = Gauge(
        "flare_outbox_depth", "Outbox messages not yet sent (pending or sending)", registry=registry
    )
    attempts = Gauge(
        "flare_outbox_attempts",
        "Send attempts made, by message state",
        ["state"],
        registry=registry,
    )
    dead = Gauge("flare_outbox_dead_letters", "Messages dead-lettered", registry=registry)
    pending = 0
    for state, count, tries in s.execute(
        select(
            OutboxMessage.state,
            func.count(),
            func.coalesce(func.sum(OutboxMessage.attempts), 0),
        ).group_by(OutboxMessage.state)
    ):
        outbox.labels(state=state).set(count)
        attempts.labels(state=state).set(int(tries))
        if state in ("pending", "sending"):
            pending += count
        if state == "dead":
            dead.set(count)
    depth.set(pending)


def _concerns(registry: CollectorRegistry, s: Session) -> None:
    concerns = Gauge("flare_concerns", "Concerns by status", ["status"], registry=registry)
    for status, count in s.execute(select(Concern.status, func.count()).group_by(Concern.status)):
        concerns.labels(status=status).set(count)


def _escalations(registry: CollectorRegistry, s: Session) -> None:
    """Concerns at each escalation level now, and every escalation step ever taken ("all")."""
    escalations = Gauge(
        "flare_escalations", "Escalation steps taken, by level", ["level"], registry=registry
    )
    for level, count in s.execute(
        select(Concern.escalation_level, func.count())
        .where(Concern.escalation_level > 0)
        .group_by(Concern.escalation_level)
    ):
        escalations.labels(level=str(level)).set(count)
    escalations.labels(level="all").set(
        s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "concern.escalated")
        )
        or 0
    )


def _acknowledgement_seconds(s: Session, since: datetime) -> list[float]:
    """Raise-to-acknowledgement times of the concerns raised since `since`."""
    return [
        (acked - raised).total_seconds()  # type: ignore[operator]
        for raised, acked in s.execute(  # acked is never None here (the WHERE)
            select(Concern.created_at, Concern.acknowledged_at).where(
                Concern.acknowledged_at.is_not(None), Concern.created_at >= since
            )
        )
    ]


class _Latency(Collector):
    def __init__(self, seconds: list[float]) -> None:
        self._seconds = seconds

    def collect(self) -> Iterable[Metric]:
        buckets = [
            (str(bound), sum(1 for v in self._seconds if v <= bound)) for bound in ACK_BUCKETS
        ]
        buckets.append(("+Inf", len(self._seconds)))
        yield HistogramMetricFamily(
            "flare_acknowledgement_latency_seconds",
            "Time from raise to acknowledgement, concerns raised in the last 30 days",
            buckets=buckets,
            sum_value=sum(self._seconds),
        )
