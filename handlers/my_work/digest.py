"""The optional daily digest: counts only, one per practitioner per day, only when non-zero."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from handlers.acknowledge_rule import to_acknowledge
from handlers.deadlines import LONDON
from handlers.outbox.delivery import enqueue_notice
from handlers.ports import Clock
from handlers.values import PointerKind
from store.unit_of_work import UnitOfWork


@dataclass
class DigestReport:
    sent: int = 0


def send_digests(uow_factory: Callable[[], UnitOfWork], clock: Clock) -> DigestReport:
    """Queue today's digest for everyone with something waiting (once per day, any replicas).

    Each practitioner's row is locked (SKIP LOCKED) before their day's key is checked, so
    replicas running this at the same hour write one digest per person.
    """
    report = DigestReport()
    with uow_factory() as uow:
        now = clock.now()
        day = now.astimezone(LONDON).date().isoformat()
        for person in uow.directory.practitioners():
            key = f"digest:{person.id}:{day}"
            if not person.active or uow.directory.lock_practitioner(person.id) is None:
                continue  # left, or another replica is writing their digest
            if uow.outbox.by_key(key) is not None:
                continue
            awaiting = len(to_acknowledge(uow, person.id))
            due = sum(
                1
                for f in uow.concerns.follow_ups_owned(person.id)
                if f.due_at <= now + timedelta(days=1)
            )
            if not awaiting and not due:
                continue
            enqueue_notice(
                uow,
                recipient_id=person.id,
                platform=person.preferred_platform,
                kind=PointerKind.DIGEST,
                key=key,
                at=now,
                detail={"awaiting": awaiting, "follow_ups_due": due},
            )
            report.sent += 1
        uow.commit()
    return report
