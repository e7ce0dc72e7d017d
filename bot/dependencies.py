"""What every surface (Slack, Teams, the web pages) gets from Flare: one typed object.

`Runtime.dependencies()` builds it. A surface reaches the store only through the unit of
work, and never sees the engine, the key ring, another platform's notifier or the sweeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    _system_keys: dict[str, bytes] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def system_key(self, name: str) -> bytes:
        """A named application key (the one signing browser cookies), read from the store
        once per process: rotation re-wraps data keys but never changes them."""
        key = self._system_keys.get(name)
        if key is None:
            with self.uow() as uow:
                key = uow.vault.system_key(name)
                uow.commit()
            self._system_keys[name] = key
        return key
