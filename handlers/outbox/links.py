"""What a link is: one recipient, one concern, expiring, only its hash stored; the newest wins.

Every link Flare hands out (a pointer's, App Home's, an inbox's) is minted here, and every
token presented is looked up here. Minting a fresh link for a recipient and concern revokes
the ones they had before, so a forwarded or leaked older link stops working as soon as a
newer one exists; it then answers like an unknown or expired one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from handlers.ports import Clock, LinkMinter
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


# The signed-in pages a pointer may link to instead of a link token (an advice request's page):
# the page itself checks that the signed-in reader is entitled, so the link needs no token.
SIGNED_IN_PAGE = re.compile(r"^/advice/[0-9a-f]{32}$")


def page_link(minter: LinkMinter, path: str) -> str | None:
    """A link to one of Flare's signed-in pages, on the same public URL as the minter's links."""
    if not SIGNED_IN_PAGE.match(path):
        return None
    base = minter.url("token").rsplit("/l/", 1)[0]  # every minter's URL is <public URL>/l/<token>
    return f"{base}{path}"


def link_for_token(uow: UnitOfWork, token: str) -> Link | None:
    """The link a presented token names (by its hash; the token itself is never stored)."""
    return uow.concerns.link_by_hash(token_hash(token))


def is_live(link: Link, now: datetime) -> bool:
    """Not revoked by a newer link, and not past its expiry."""
    return link.revoked_at is None and link.expires_at > now


VIEWER_LINK_TTL = timedelta(hours=1)


def mint_viewer_links(
    uow: UnitOfWork,
    *,
    practitioner_id: str,
    concern_ids: Iterable[str],
    minter: LinkMinter,
    now: datetime,
    ttl: timedelta = VIEWER_LINK_TTL,
    via: str,
) -> dict[str, str]:
    """Short-lived links of the viewer's own, inside the caller's unit of work (audited).

    For surfaces only the viewer sees (App Home, an ephemeral inbox): each link names the
    viewer's own delivery, so it is no use to anyone else. Concerns they have no delivery of
    get no link.
    """
    urls: dict[str, str] = {}
    for concern_id in dict.fromkeys(concern_ids):
        delivery = uow.concerns.delivery_for(concern_id, practitioner_id)
        if delivery is not None:
            urls[concern_id] = mint_link(uow, delivery, minter, now=now, ttl=ttl)
    if urls:
        uow.audit(
            "links.minted",
            at=now,
            actor_id=practitioner_id,
            detail={"count": len(urls), "via": via},
        )
    return urls


def links_for_viewer(
    uow: UnitOfWork,
    *,
    practitioner_id: str,
    concern_ids: Iterable[str],
    minter: LinkMinter,
    clock: Clock,
    ttl: timedelta = VIEWER_LINK_TTL,
    via: str,
) -> dict[str, str]:
    """`mint_viewer_links` as a use case of its own: one transaction, committed."""
    with uow:
        urls = mint_viewer_links(
            uow,
            practitioner_id=practitioner_id,
            concern_ids=concern_ids,
            minter=minter,
            now=clock.now(),
            ttl=ttl,
            via=via,
        )
        uow.commit()
        return urls
