"""A recipient adds information to a concern; the others get a pointer."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.concern.recording import add_entry
from handlers.invalid import MAX_TEXT, Invalid
from handlers.network.access import may_read
from handlers.outbox.delivery import enqueue_pointer
from handlers.ports import Clock
from handlers.values import PointerKind
from store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class InformationAdded:
    concern_id: str
    entry_id: str
    notified: int


def add_information(
    uow: UnitOfWork,
    *,
    concern_id: str,
    author_id: str,
    text: str,
    submission_key: str,
    clock: Clock,
) -> InformationAdded | Invalid:
    if not text.strip():
        return Invalid({"information": "Enter the information you want to add"})
    if len(text) > MAX_TEXT:
        return Invalid({"information": f"Keep it to {MAX_TEXT} characters or fewer"})
    with uow:
        concern = uow.concerns.get(concern_id)
        if concern is None or not may_read(uow, author_id, concern):
            return Invalid({"information": "You cannot add to this concern"})
        if concern.data_key_id is None:
            return Invalid({"information": "This concern has been deleted under retention"})
        key = f"info:{submission_key}"
        if not uow.inbound.first_time("web", key):
            return InformationAdded(concern_id, "", 0)
        now = clock.now()
        entry = add_entry(uow, concern, author_id=author_id, kind="information", text=text, at=now)
        notified = 0
        for delivery in uow.concerns.deliveries(concern_id):
            if delivery.recipient_id == author_id:
                continue
            enqueue_pointer(
                uow, delivery, PointerKind.NEW_INFORMATION, key=f"{key}:{delivery.id}", at=now
            )
            notified += 1
        uow.audit(
            "concern.information_added",
            at=now,
            actor_id=author_id,
            concern_id=concern_id,
            subject=entry.id,
            detail={"notified": notified},
        )
        uow.commit()
        return InformationAdded(concern_id, entry.id, notified)
