"""Prometheus metrics, computed from the store at scrape time (right with many replicas)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import func, select

from bot.runtime import Runtime
from store.models import Concern, OutboxMessage

CONTENT_TYPE = CONTENT_TYPE_LATEST


def render(runtime: Runtime) -> bytes:
    registry = CollectorRegistry()
    outbox = Gauge(
        "flare_outbox_messages", "Outbox messages by state", ["state"], registry=registry
    )
    concerns = Gauge("flare_concerns", "Concerns by status", ["status"], registry=registry)
    with runtime.uow() as uow:
        for state, count in uow.session.execute(
            select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        ):
            outbox.labels(state=state).set(count)
        for status, count in uow.session.execute(
            select(Concern.status, func.count()).group_by(Concern.status)
        ):
            concerns.labels(status=status).set(count)
    return generate_latest(registry)
