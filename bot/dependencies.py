"""What every surface (Slack, Teams, the web pages) gets from Flare: one typed object.

`Runtime.dependencies()` builds it. A surface reaches the store only through the unit of
work, and never sees the engine, the key ring, another platform's notifier or the sweeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.config import Settings
from handlers.deadlines import WorkingCalendar
from handlers.outbox.delivery import DeliveryReport
from handlers.ports import Clock, LinkMinter
from store.unit_of_work import UnitOfWorkFactory


class DeliverNow(Protocol):
    """Kick the outbox now (one concern's pointers, or all that are due)."""

    def __call__(self, *, concern_id: str | None = None) -> DeliveryReport: ...


@dataclass(frozen=True)
class Dependencies:
    """The unit of work, clock, working calendar, link minter, settings and outbox kick."""

    settings: Settings
    uow: UnitOfWorkFactory
    clock: Clock
    calendar: WorkingCalendar
    minter: LinkMinter
    deliver: DeliverNow
