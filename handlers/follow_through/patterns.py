"""Weak signals: several concerns about one client from several agencies inside a window.

The lead gets one pattern alert pointer per window. The sweep locks the client row (SKIP
LOCKED on PostgreSQL) and checks for an alert inside the window before queueing one, so
replicas sweeping at the same moment send it once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from handlers.outbox.delivery import enqueue_pointer
from handlers.partnership import partnership_settings
from handlers.ports import Clock
from handlers.values import PointerKind, Role
from store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class PatternPolicy:
    concerns: int = 3
    organisations: int = 2
    window: timedelta = timedelta(days=30)


@dataclass
class PatternReport:
    clients_matched: int = 0
    alerts: int = 0


def detect_patterns(
    uow_factory: Callable[[], UnitOfWork], clock: Clock, policy: PatternPolicy | None = None
) -> PatternReport:
    """One sweep: alert each lead whose client crossed the threshold and was not yet alerted."""
    policy = policy or PatternPolicy()
    report = PatternReport()
    with uow_factory() as uow:
        window_days = partnership_settings(uow).pattern_window_days
        if window_days is not None:  # a partnership admin's window wins over the deployment's
            policy = replace(policy, window=timedelta(days=window_days))
        since = clock.now() - policy.window
        by_client: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for client_id, concern_id, organisation_id in uow.concerns.raised_since(since):
            by_client[client_id].append((concern_id, organisation_id))
    for client_id, concerns in by_client.items():
        organisations = {org for _c, org in concerns}
        if len(concerns) < policy.concerns or len(organisations) < policy.organisations:
            continue
        report.clients_matched += 1
        with uow_factory() as uow:
            now = clock.now()
            if uow.concerns.lock_client(client_id) is None:
                continue  # another replica is on it
            if uow.concerns.pattern_alerted_since(client_id, now - policy.window):
                continue
            newest = concerns[-1][0]
            lead = next((m for m in uow.directory.network(client_id) if m.role == Role.LEAD), None)
            delivery = uow.concerns.delivery_for(newest, lead.practitioner_id) if lead else None
            if delivery is None:
                continue  # the lead always receives a concern; a concern without one is odd
            enqueue_pointer(
                uow,
                delivery,
                PointerKind.PATTERN_ALERT,
                key=f"pattern:{client_id}:{newest}",
                at=now,
                detail={"concerns": len(concerns), "organisations": len(organisations)},
            )
            uow.audit(
                "pattern.alerted",
                at=now,
                concern_id=newest,
                subject=client_id,
                detail={
                    "concerns": len(concerns),
                    "organisations": len(organisations),
                    "window_days": policy.window.days,
                    "recipient": delivery.recipient_id,
                },
            )
            uow.commit()
            report.alerts += 1
    return report
