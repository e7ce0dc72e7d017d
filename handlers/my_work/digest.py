"""The optional daily digest: counts only, one per practitioner per day, only when non-zero.

It counts what waits for acknowledgement, follow-ups due within a day, requests for the
reader's advice and advice on their own drafts waiting for them to send or decide.

The figures are the read model's (`my_work.awaiting`), as every other surface shows them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from handlers.deadlines import LONDON
from handlers.my_work.awaiting import read_awaiting
from handlers.outbox.delivery import enqueue_notice
from handlers.ports import Clock
from handlers.values import PointerKind
from store.unit_of_work import UnitOfWork

DUE_SOON = timedelta(days=1)  # the digest counts follow-ups due within a day


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
            waiting = read_awaiting(uow, practitioner_id=person.id, now=now)
            awaiting = len(waiting.to_acknowledge)
            due = waiting.follow_ups_due_by(now + DUE_SOON)
            advice = {
                "advice_to_give": len(waiting.advice_to_give),
                "advice_given": len(waiting.advice_given),
            }
            if not awaiting and not due and not any(advice.values()):
                continue
            enqueue_notice(
                uow,
                recipient_id=person.id,
                platform=person.preferred_platform,
                kind=PointerKind.DIGEST,
                key=key,
                at=now,
                detail={"awaiting": awaiting, "follow_ups_due": due, **advice},
            )
            report.sent += 1
        uow.commit()
    return report
