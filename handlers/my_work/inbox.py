"""What awaits a practitioner: concerns to acknowledge, follow-ups they own, what is new."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.acknowledge_rule import to_acknowledge as to_acknowledge_now
from handlers.follow_through.follow_ups import FollowUpView, view_follow_up
from handlers.ports import Clock
from handlers.values import Category, DeliveryRole, Severity
from store.models import Concern, Delivery
from store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ConcernLine:
    concern_id: str
    client_reference: str
    category: Category
    severity: Severity
    raised_at: datetime
    acknowledge_by: datetime | None
    late: bool
    new_entries: int = 0


@dataclass(frozen=True)
class OwnedFollowUp:
    client_reference: str
    follow_up: FollowUpView


@dataclass(frozen=True)
class Awaiting:
    to_acknowledge: tuple[ConcernLine, ...]
    follow_ups: tuple[OwnedFollowUp, ...]
    unread: tuple[ConcernLine, ...]
    new_information: tuple[ConcernLine, ...]

    @property
    def nothing(self) -> bool:
        return not (self.to_acknowledge or self.follow_ups or self.unread or self.new_information)


def what_awaits(uow: UnitOfWork, *, practitioner_id: str, clock: Clock) -> Awaiting:
    """The signed-in inbox: only concerns the practitioner received or raised."""
    with uow:
        now = clock.now()
        references: dict[str, str] = {}

        def line(concern: Concern, new_entries: int = 0) -> ConcernLine:
            if concern.client_id not in references:
                client = uow.directory.client(concern.client_id)
                references[concern.client_id] = client.reference if client else ""
            return ConcernLine(
                concern_id=concern.id,
                client_reference=references[concern.client_id],
                category=Category(concern.category),
                severity=Severity(concern.severity),
                raised_at=concern.created_at,
                acknowledge_by=concern.acknowledge_by,
                late=concern.acknowledge_by is not None and concern.acknowledge_by < now,
                new_entries=new_entries,
            )

        to_acknowledge = tuple(line(c) for c in to_acknowledge_now(uow, practitioner_id))
        owned = []
        for follow_up in uow.concerns.follow_ups_owned(practitioner_id):
            concern = uow.concerns.get(follow_up.concern_id)
            if concern is None or concern.data_key_id is None:
                continue
            owned.append(
                OwnedFollowUp(
                    line(concern).client_reference, view_follow_up(uow, concern, follow_up, now)
                )
            )
        unread: list[ConcernLine] = []
        new_information: list[ConcernLine] = []
        for delivery in uow.concerns.received_by(practitioner_id):
            concern = uow.concerns.get(delivery.concern_id)
            if concern is None or concern.data_key_id is None:
                continue
            if delivery.role == DeliveryRole.OUTSIDER:
                continue  # raised from outside the network: nothing of the client to show
            if delivery.role != DeliveryRole.RAISER and delivery.viewed_at is None:
                unread.append(line(concern))
                continue
            fresh = _new_entries(uow, delivery, practitioner_id)
            if fresh:
                new_information.append(line(concern, fresh))
        return Awaiting(to_acknowledge, tuple(owned), tuple(unread), tuple(new_information))


def _new_entries(uow: UnitOfWork, delivery: Delivery, practitioner_id: str) -> int:
    """Entries others added since the practitioner last read the concern."""
    seen = delivery.last_viewed_at or delivery.viewed_at or delivery.created_at
    return sum(
        1
        for entry in uow.concerns.entries(delivery.concern_id)
        if entry.author_id != practitioner_id and entry.kind != "raised" and entry.created_at > seen
    )
