"""What an "Acknowledge" button's card shows once pressed: a pointer, never content.

Chat platforms that refresh a card in place (Teams Universal Actions, Slack's
`response_url`) render this pointer instead of the card that was clicked.
"""

from __future__ import annotations

from handlers.acknowledge_rule import may_close
from handlers.ports import Pointer
from handlers.values import Platform, PointerKind, Severity
from store.unit_of_work import UnitOfWork


def acknowledged_pointer(
    uow: UnitOfWork, *, concern_id: str, practitioner_id: str, platform: Platform
) -> Pointer | None:
    """The ACKNOWLEDGED pointer for this viewer, or None while the concern is unacknowledged."""
    with uow:
        concern = uow.concerns.get(concern_id)
        if concern is None or concern.acknowledged_at is None:
            return None
        return Pointer(
            kind=PointerKind.ACKNOWLEDGED,
            recipient_id=practitioner_id,
            platform=platform,
            idempotency_key=f"refresh-{concern.id}",
            concern_id=concern.id,
            severity=Severity(concern.severity),
            raised_at=concern.created_at,
            entries=len(uow.concerns.entries(concern.id)),
            acknowledged_at=concern.acknowledged_at,
            by_recipient=concern.acknowledged_by_id == practitioner_id,
            can_close=may_close(uow, concern, practitioner_id),
        )
