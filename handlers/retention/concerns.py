"""Retention: past an organisation's retention period, crypto-shred a concern, then delete it.

Two committed phases per batch, so a crash between them loses nothing and leaks nothing:
1. shred: the concern's data key is destroyed (its ciphertexts become unreadable for good),
   `shredded_at` is set and a tombstone audit event records ids, kinds and counts only;
2. delete: the concern's rows (entries, deliveries, links, outbox, follow-ups, data key row)
   are removed. A rerun finishes any concern left shredded but not yet deleted.
The audit chain is untouched: earlier events hold ids only, and it still verifies.
Which concerns: closed or not shared, raised by the organisation's practitioners, closed
(`closed_at`, set by `follow_through.closing`; for a decision not to share, the decision)
more than the retention period ago: the partnership's period for concerns or for decisions
not to share, else `Organisation.retention_days` (handlers.partnership.retention_days).
A reopened concern is not closed, so not due; a client under a legal hold
(`retention.legal_hold`) keeps all its concerns. The same pass (`run_retention`, which ends
with the requests for advice never sent) runs from `flare retention run` and as a scheduled
sweep (`sweep_retention`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from handlers.partnership import retention_days
from handlers.ports import Clock
from handlers.retention.advice import forget_unsent_advice
from handlers.sweeps import sweep_in_batches
from store.models import Concern
from store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class RetentionCount:
    organisation: str
    retention_days: int
    due: int


# The `rows` entry counting requests for advice forgotten unsent (no concern was ever made).
UNSENT_ADVICE = "advice_unsent"


@dataclass
class RetentionReport:
    shredded: int = 0
    deleted: int = 0
    rows: dict[str, int] = field(default_factory=dict)


def retention_due(
    uow_factory: Callable[[], UnitOfWork], clock: Clock, *, limit: int = 1_000_000
) -> list[RetentionCount]:
    """The dry run: how many concerns each organisation would shred now. Changes nothing."""
    counts: list[RetentionCount] = []
    with uow_factory() as uow:
        now = clock.now()
        for organisation in uow.directory.organisations():
            due = 0
            for not_shared, statuses in ((False, ("closed",)), (True, ("not_shared",))):
                days = retention_days(uow, organisation, not_shared=not_shared)
                due += len(
                    uow.concerns.due_for_retention(
                        organisation.id,
                        now - timedelta(days=days),
                        limit,
                        lock=False,
                        statuses=statuses,
                    )
                )
            days = retention_days(uow, organisation, not_shared=False)
            counts.append(RetentionCount(organisation.ref, days, due))
    return counts


def _periods(uow: UnitOfWork) -> list[tuple[str, str, tuple[str, ...], int]]:
    """Each organisation's retention periods: (id, ref, statuses, days), one per status."""
    return [
        (o.id, o.ref, (status,), retention_days(uow, o, not_shared=status == "not_shared"))
        for o in uow.directory.organisations()
        for status in ("closed", "not_shared")
    ]


def run_retention(
    uow_factory: Callable[[], UnitOfWork], clock: Clock, *, batch: int = 100
) -> Iterator[RetentionReport]:
    """The whole retention pass, for `flare retention run` and the scheduled sweep alike:
    concerns shredded then deleted, then requests for advice never sent forgotten
    (`retention.advice`), a committed batch at a time; yields progress after each batch."""
    with uow_factory() as uow:
        periods = _periods(uow)
    for organisation_id, ref, statuses, days in periods:
        while True:
            report = RetentionReport()
            with uow_factory() as uow:
                now = clock.now()
                due = uow.concerns.due_for_retention(
                    organisation_id, now - timedelta(days=days), batch, statuses=statuses
                )
                for concern in due:
                    if concern.data_key_id is not None:
                        uow.vault.shred(concern.data_key_id)
                    concern.shredded_at = now
                    uow.sealed.forget_concern(concern)
                    uow.audit(
                        "concern.shredded",
                        at=now,
                        concern_id=concern.id,
                        detail={
                            "organisation": ref,
                            "retention_days": days,
                            "category": concern.category,
                            "status": concern.status,
                        },
                    )
                uow.commit()
            report.shredded = len(due)
            _delete_shredded(uow_factory, clock, report, batch)
            if report.shredded or report.deleted:
                yield report
            if len(due) < batch:
                break
    leftover = RetentionReport()
    _delete_shredded(uow_factory, clock, leftover, batch)
    if leftover.deleted:
        yield leftover
    unsent = forget_unsent_advice(uow_factory, clock, batch=batch)
    if unsent:
        yield RetentionReport(rows={UNSENT_ADVICE: unsent})


def sweep_retention(
    uow_factory: Callable[[], UnitOfWork], clock: Clock, *, batch: int = 100
) -> RetentionReport:
    """The scheduled sweep: run retention to the end, one report for the whole run."""
    total = RetentionReport()
    for report in run_retention(uow_factory, clock, batch=batch):
        total.shredded += report.shredded
        total.deleted += report.deleted
        for table, count in report.rows.items():
            total.rows[table] = total.rows.get(table, 0) + count
    return total


def _delete_shredded(
    uow_factory: Callable[[], UnitOfWork], clock: Clock, report: RetentionReport, batch: int
) -> None:
    report.deleted += sweep_in_batches(
        uow_factory,
        clock,
        claim=lambda uow, _now, limit: uow.concerns.shredded(limit),
        act=lambda uow, concern, now: _delete(uow, concern, now, report),
        batch=batch,
    )


def _delete(uow: UnitOfWork, concern: Concern, now: datetime, report: RetentionReport) -> None:
    for table, count in uow.concerns.delete_concern_rows(concern).items():
        report.rows[table] = report.rows.get(table, 0) + count
    uow.audit("concern.deleted", at=now, concern_id=concern.id, detail={})
