"""What is waiting for me: acknowledgements, follow-ups, and the concerns I raised.

Counts, severities, statuses and ages only, each with a fresh link of the viewer's own —
safe for a chat surface that only the viewer sees (Slack App Home, an ephemeral inbox).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.concern.opening import VIEWER_LINK_TTL, links_for_viewer
from handlers.concern.viewing import inbox
from handlers.ports import Clock, LinkMinter
from handlers.values import Severity
from store.unit_of_work import UnitOfWork

SHOWN = 10


@dataclass(frozen=True)
class WorkItem:
    concern_id: str
    severity: Severity
    status: str
    raised_at: datetime
    entries: int
    acknowledge_by: datetime | None = None
    due_at: datetime | None = None
    link: str | None = None


@dataclass(frozen=True)
class WorkList:
    items: tuple[WorkItem, ...]
    total: int


@dataclass(frozen=True)
class MyWork:
    to_acknowledge: WorkList
    follow_ups: WorkList
    raised: WorkList


def _follow_ups(uow: UnitOfWork, practitioner_id: str) -> list[WorkItem]:
    with uow:
        items = []
        for follow_up in uow.concerns.follow_ups_owned(practitioner_id):
            concern = uow.concerns.get(follow_up.concern_id)
            if concern is None:
                continue
            items.append(
                WorkItem(
                    concern.id,
                    Severity(concern.severity),
                    concern.status,
                    concern.created_at,
                    len(uow.concerns.entries(concern.id)),
                    due_at=follow_up.due_at,
                )
            )
        return items


def my_work(
    uow: UnitOfWork,
    *,
    practitioner_id: str,
    minter: LinkMinter,
    clock: Clock,
    via: str,
    pending_only: bool = False,
    ttl: timedelta = VIEWER_LINK_TTL,
) -> MyWork:
    """The viewer's lists (the first few of each), with links minted for what is shown."""
    box = inbox(uow, practitioner_id=practitioner_id)
    to_ack = [
        WorkItem(
            i.concern_id,
            i.severity,
            i.status,
            i.raised_at,
            i.entries,
            acknowledge_by=i.acknowledge_by,
        )
        for i in box.to_acknowledge
    ]
    follow_ups = _follow_ups(uow, practitioner_id)
    raised = (
        []
        if pending_only
        else [
            WorkItem(i.concern_id, i.severity, i.status, i.raised_at, i.entries) for i in box.raised
        ]
    )
    shown = [lst[:SHOWN] for lst in (to_ack, follow_ups, raised)]
    links = links_for_viewer(
        uow,
        practitioner_id=practitioner_id,
        concern_ids=[item.concern_id for lst in shown for item in lst],
        minter=minter,
        clock=clock,
        ttl=ttl,
        via=via,
    )

    def work_list(full: list[WorkItem], first: list[WorkItem]) -> WorkList:
        items = tuple(
            WorkItem(
                i.concern_id,
                i.severity,
                i.status,
                i.raised_at,
                i.entries,
                i.acknowledge_by,
                i.due_at,
                links.get(i.concern_id),
            )
            for i in first
        )
        return WorkList(items, len(full))

    return MyWork(
        to_acknowledge=work_list(to_ack, shown[0]),
        follow_ups=work_list(follow_ups, shown[1]),
        raised=work_list(raised, shown[2]),
    )
