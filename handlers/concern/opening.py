"""Opening a per-recipient link: token + signed-in identity -> the concern, or a refusal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from handlers.concern.viewing import record_seen
from handlers.network.access import entitled
from handlers.outbox.delivery import enqueue_pointer
from handlers.outbox.links import is_live, link_for_token
from handlers.ports import Clock
from handlers.values import PointerKind
from store.models import Delivery, Link
from store.unit_of_work import UnitOfWork

FRESH_LINK_COOLDOWN = timedelta(minutes=10)


class Refusal(StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    NOT_YOU = "not_you"


@dataclass(frozen=True)
class Opened:
    concern_id: str
    delivery_id: str


@dataclass(frozen=True)
class Refused:
    reason: Refusal


@dataclass(frozen=True)
class LinkTarget:
    """A checked token: which link it is, before anyone has signed in.

    `platform` is where the pointer was sent, so sign-in can offer that identity first.
    """

    link_id: str
    platform: str | None = None


def check_token(uow: UnitOfWork, token: str, clock: Clock) -> LinkTarget | Refused:
    """Is this a live link? Reads only; changes nothing (scanners and unfurlers call this)."""
    with uow:
        link = link_for_token(uow, token)
        if link is None:
            return Refused(Refusal.UNKNOWN)
        if _expired(link, clock):
            return Refused(Refusal.EXPIRED)
        delivery = uow.concerns.delivery(link.delivery_id)
        return LinkTarget(link.id, delivery.platform if delivery is not None else None)


def _expired(link: Link, clock: Clock) -> bool:
    return not is_live(link, clock.now())


def open_link(
    uow: UnitOfWork, *, link_id: str, practitioner_id: str, clock: Clock
) -> Opened | Refused:
    """The signed-in person opens a link. Only its recipient may; anyone else is audited."""
    with uow:
        now = clock.now()
        link = uow.concerns.link(link_id)
        if link is None:
            return Refused(Refusal.UNKNOWN)
        delivery = uow.concerns.delivery(link.delivery_id)
        assert delivery is not None
        if _expired(link, clock):
            return Refused(Refusal.EXPIRED)
        if delivery.recipient_id != practitioner_id:
            _refuse_forwarded(uow, delivery, link, practitioner_id, now)
            uow.commit()
            return Refused(Refusal.NOT_YOU)
        concern = uow.concerns.get(delivery.concern_id)
        if concern is None or not entitled(uow, concern, delivery):
            _refuse_no_longer_entitled(uow, delivery, link, practitioner_id, now)
            uow.commit()
            return Refused(Refusal.UNKNOWN)
        first = delivery.opened_at is None
        delivery.opened_at = delivery.opened_at or now
        record_seen(delivery, now)  # a signed-in POST with CSRF that shows the concern next
        uow.audit(
            "link.opened",
            at=now,
            actor_id=practitioner_id,
            concern_id=delivery.concern_id,
            subject=link.id,
            detail={"first": first},
        )
        uow.commit()
        return Opened(delivery.concern_id, delivery.id)


def _refuse_no_longer_entitled(
    uow: UnitOfWork, delivery: Delivery, link: Link, practitioner_id: str, now: datetime
) -> None:
    """A removed member or a leaver opens a link from an old pointer: it no longer works."""
    uow.audit(
        "link.refused",
        at=now,
        actor_id=practitioner_id,
        concern_id=delivery.concern_id,
        subject=link.id,
        detail={"reason": "no_longer_entitled"},
    )


def _refuse_forwarded(
    uow: UnitOfWork, delivery: Delivery, link: Link, practitioner_id: str, now: datetime
) -> None:
    uow.audit(
        "link.refused",
        at=now,
        actor_id=practitioner_id,
        concern_id=delivery.concern_id,
        subject=link.id,
        detail={"reason": Refusal.NOT_YOU.value, "recipient": delivery.recipient_id},
    )
    key = f"forwarded:{link.id}:{practitioner_id}"
    if uow.outbox.by_key(key) is None:
        enqueue_pointer(
            uow, delivery, PointerKind.FORWARDED_ATTEMPT, key=key, at=now, with_link=False
        )


def request_fresh_link(uow: UnitOfWork, token: str, clock: Clock) -> None:
    """Someone holding an expired link asks for a new one: it goes to the recipient's chat.

    Answers nothing either way, so it cannot be used to tell known tokens from unknown.
    """
    with uow:
        now = clock.now()
        link = link_for_token(uow, token)
        if link is None or not _expired(link, clock):
            return
        delivery = uow.concerns.delivery(link.delivery_id)
        assert delivery is not None
        recipient = uow.directory.practitioner(delivery.recipient_id)
        concern = uow.concerns.get(delivery.concern_id)
        if (
            recipient is None
            or concern is None
            or concern.shredded_at
            or not entitled(uow, concern, delivery)
        ):
            # A leaver or a removed member gets no fresh link, and a concern past retention
            # has nothing to show.
            gone = concern is None or concern.shredded_at
            active = recipient is not None and recipient.active
            reason = "gone" if gone else "inactive" if not active else "not_entitled"
            uow.audit(
                "link.reissue_refused",
                at=now,
                concern_id=delivery.concern_id,
                subject=link.id,
                detail={"reason": reason},
            )
            uow.commit()
            return
        bucket = int(now.timestamp() // FRESH_LINK_COOLDOWN.total_seconds())
        key = f"fresh:{delivery.id}:{bucket}"
        if uow.outbox.by_key(key) is not None:
            return
        enqueue_pointer(uow, delivery, PointerKind.FRESH_LINK, key=key, at=now)
        uow.audit("link.reissue_requested", at=now, concern_id=delivery.concern_id, subject=link.id)
        uow.commit()
