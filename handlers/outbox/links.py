"""What a link is: one recipient, one concern, expiring, only its hash stored; the newest wins.

Every link Flare hands out (a pointer's, App Home's, an inbox's) is minted here. Minting a
fresh link for a recipient and concern revokes the ones they had before, so a forwarded or
leaked older link stops working as soon as a newer one exists; it then answers like an
unknown or expired one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.ports import LinkMinter
from store.crypto import token_hash
from store.models import Delivery, Link, new_id
from store.unit_of_work import UnitOfWork


def mint_link(
    uow: UnitOfWork, delivery: Delivery, minter: LinkMinter, *, now: datetime, ttl: timedelta
) -> str:
    """A fresh link for this delivery's recipient and concern; earlier live ones are revoked."""
    for earlier in uow.concerns.live_links(delivery.id, now):
        earlier.revoked_at = now
    token = minter.mint()
    uow.concerns.add(
        Link(
            id=new_id(),
            delivery_id=delivery.id,
            token_hash=token_hash(token),
            expires_at=now + ttl,
            created_at=now,
        )
    )
    return minter.url(token)


def is_live(link: Link, now: datetime) -> bool:
    """Not revoked by a newer link, and not past its expiry."""
    return link.revoked_at is None and link.expires_at > now
