"""Pointers that landed on a platform, recorded by their outbox key and audited.

Teams has no lookup by a client's idempotency key, so each activity that lands is kept
(conversation, service URL, activity id) straight after the Bot Connector answers; `find`
reads it back. The Playground keeps exactly what a chat would have shown. Each record
audits `pointer.landed` with ids and kinds only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from handlers.outbox.pointer_words import PointerText
from handlers.ports import Clock, Pointer
from handlers.values import Platform
from store.models import PlaygroundMessage, TeamsActivity, new_id
from store.unit_of_work import UnitOfWork

LANDED = "pointer.landed"


@dataclass(frozen=True)
class LandedActivity:
    """Where a Teams pointer landed: enough to edit it in place later."""

    conversation_id: str
    service_url: str
    activity_id: str


def landed_activity(uow: UnitOfWork, *, idempotency_key: str) -> LandedActivity | None:
    """The Teams activity recorded for this outbox key, if one landed."""
    if not idempotency_key:
        return None
    with uow:
        row = uow.landed.teams_activity(idempotency_key)
        if row is None:
            return None
        return LandedActivity(row.conversation_id, row.service_url, row.activity_id)


def record_landed_activity(
    uow: UnitOfWork,
    *,
    pointer: Pointer,
    landed: LandedActivity,
    clock: Clock,
) -> None:
    """Keep where a Teams pointer landed; a second record of the same key is the same one."""
    try:
        with uow:
            if uow.landed.teams_activity(pointer.idempotency_key) is not None:
                return
            uow.landed.add_teams_activity(
                TeamsActivity(
                    id=new_id(),
                    idempotency_key=pointer.idempotency_key,
                    recipient_id=pointer.recipient_id,
                    conversation_id=landed.conversation_id,
                    service_url=landed.service_url,
                    activity_id=landed.activity_id,
                    created_at=clock.now(),
                )
            )
            _audit(uow, pointer, Platform.TEAMS, clock)
            uow.commit()
    except IntegrityError:
        pass  # recorded by a concurrent attempt: the message is the same one


def playground_message_id(uow: UnitOfWork, *, idempotency_key: str) -> str | None:
    """The Playground message that carries this outbox key, if one was posted."""
    with uow:
        return uow.landed.playground_message_id(idempotency_key)


def post_to_playground(
    uow: UnitOfWork, *, pointer: Pointer, words: PointerText, clock: Clock
) -> str:
    """Show a pointer in the Playground's chat (a new message, or the one it updates)."""
    now = clock.now()
    with uow:
        if pointer.updates is not None:
            message = uow.landed.playground_message(pointer.updates.values.get("id", ""))
            if message is not None:
                message.title, message.lines = words.title, list(words.lines)
                message.can_acknowledge = words.acknowledge_label is not None
                message.updated_at = now
                message_id = message.id
                _audit(uow, pointer, Platform.PLAYGROUND, clock)
                uow.commit()
                return message_id
        existing = uow.landed.playground_message_id(pointer.idempotency_key)
        if existing is not None:
            return existing
        message = PlaygroundMessage(
            id=new_id(),
            idempotency_key=pointer.idempotency_key,
            recipient_id=pointer.recipient_id,
            kind=pointer.kind.value,
            title=words.title,
            lines=list(words.lines),
            link=pointer.link,
            concern_id=pointer.concern_id,
            can_acknowledge=words.acknowledge_label is not None,
            created_at=now,
        )
        message_id = message.id
        uow.landed.add_playground_message(message)
        _audit(uow, pointer, Platform.PLAYGROUND, clock)
        uow.commit()
        return message_id


def _audit(uow: UnitOfWork, pointer: Pointer, platform: Platform, clock: Clock) -> None:
    uow.audit(
        LANDED,
        at=clock.now(),
        concern_id=pointer.concern_id,
        subject=pointer.recipient_id,
        detail={"platform": platform.value, "kind": pointer.kind.value},
    )
