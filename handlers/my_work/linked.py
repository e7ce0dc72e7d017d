"""What is waiting, with a fresh link of the viewer's own for each line shown (chat surfaces).

Slack's App Home and `/concern inbox` show the read model's figures and the first few lines
of each list, each with a short-lived link that names the viewer's own delivery — safe for
a surface only the viewer sees. Reading and minting are one transaction. A request for advice
links to its signed-in page (no token: the page asks who is reading).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from handlers.my_work.awaiting import Awaiting, read_awaiting
from handlers.outbox.links import VIEWER_LINK_TTL, mint_viewer_links, page_link
from handlers.ports import Clock, LinkMinter
from store.unit_of_work import UnitOfWork

SHOWN = 10  # lines of each list a chat surface shows; the figures count them all


@dataclass(frozen=True)
class LinkedAwaiting:
    awaiting: Awaiting
    links: Mapping[str, str]  # concern id -> the viewer's own fresh link, for lines shown
    advice_links: Mapping[str, str] = field(default_factory=dict)  # request id -> its page


def awaiting_with_links(
    uow: UnitOfWork,
    *,
    practitioner_id: str,
    minter: LinkMinter,
    clock: Clock,
    via: str,
    ttl: timedelta = VIEWER_LINK_TTL,
    raised: bool = True,
) -> LinkedAwaiting:
    """The read model, and links for the first `SHOWN` lines of each list shown.

    Without `raised` (`/concern inbox` lists only what waits), the concerns they raised get
    no link: minting one would revoke a link of theirs for nothing.
    """
    with uow:
        now = clock.now()
        awaiting = read_awaiting(uow, practitioner_id=practitioner_id, now=now)
        shown = [
            *(line.concern_id for line in awaiting.to_acknowledge[:SHOWN]),
            *(owned.concern.concern_id for owned in awaiting.follow_ups[:SHOWN]),
            *(line.concern_id for line in awaiting.unread[:SHOWN]),
            *(line.concern_id for line in awaiting.raised[:SHOWN] if raised),
        ]
        links = mint_viewer_links(
            uow,
            practitioner_id=practitioner_id,
            concern_ids=shown,
            minter=minter,
            now=now,
            ttl=ttl,
            via=via,
        )
        advice = [*awaiting.advice_to_give[:SHOWN], *awaiting.advice_given[:SHOWN]]
        pages = {line.request_id: page_link(minter, line.page) for line in advice}
        uow.commit()
        return LinkedAwaiting(
            awaiting, links, {key: url for key, url in pages.items() if url is not None}
        )
