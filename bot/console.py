"""The demo console: one readable line for each event a newcomer cares about.

`make run` used to print two lines of scheduler chatter a second; a newcomer now sees
"pointer sent to Chloe Hart on playground (new concern)", "link opened by Chloe Hart" and
"concern acknowledged by Chloe Hart" as they happen. Production logs stay JSON and do not
get these lines.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import click

from handlers.my_work.activity import happenings_since, latest_seq
from store.unit_of_work import UnitOfWork


class DemoConsole:
    """Tells what happened since it last looked; the scheduler wakes it every second."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        *,
        echo: Callable[[str], None] = click.echo,
        now: Callable[[], datetime] = datetime.now,
    ) -> None:
        self._uow = uow
        self._echo = echo
        self._now = now
        self._after = latest_seq(uow())

    def tell(self) -> int:
        """Print one line per new happening; returns how many."""
        happenings = happenings_since(self._uow(), self._after)
        for happening in happenings:
            self._echo(f"{self._now():%H:%M:%S}  {happening.sentence()}")
            self._after = happening.seq
        return len(happenings)
