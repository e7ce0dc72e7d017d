"""Where a practitioner's 1:1 chat with the bot lives, and retries already seen.

A conversation reference holds platform ids only (service URL, conversation, bot and tenant
ids) so a pointer can reach the person later without asking the platform again.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from handlers.ports import Clock
from handlers.values import Platform
from store.unit_of_work import UnitOfWork

PLATFORM_ID = re.compile(r"^[A-Za-z0-9_.:@=\-]{1,256}$")
SERVICE_URL = re.compile(r"^https?://[A-Za-z0-9.:\-\[\]]+(/[A-Za-z0-9_\-./]*)?$")
INBOUND_KEY_MAX = 200


@dataclass(frozen=True)
class ConversationReference:
    """A Teams 1:1 conversation with the bot: ids only, checked on construction."""

    service_url: str
    conversation_id: str
    tenant_id: str
    user_id: str
    bot_id: str

    def __post_init__(self) -> None:
        if not SERVICE_URL.match(self.service_url):
            raise ValueError("a conversation reference needs a plain service URL")
        for name in ("conversation_id", "tenant_id", "user_id", "bot_id"):
            if not PLATFORM_ID.match(getattr(self, name)):
                raise ValueError(f"conversation reference {name} must be a platform id")

    def as_record(self) -> dict[str, str]:
        """The stored shape (Practitioner.teams_conversation), as the Teams notifier reads it."""
        return {
            "id": self.conversation_id,
            "serviceUrl": self.service_url,
            "tenantId": self.tenant_id,
            "userId": self.user_id,
            "botId": self.bot_id,
        }


def remember_conversation(
    uow: UnitOfWork, *, practitioner_id: str, reference: ConversationReference, clock: Clock
) -> bool:
    """Store the practitioner's Teams conversation; True when it was new or changed."""
    with uow:
        person = uow.directory.practitioner(practitioner_id)
        if person is None:
            return False
        record = reference.as_record()
        if person.teams_conversation == record:
            return False
        person.teams_conversation = record
        uow.audit(
            "identity.conversation_stored",
            at=clock.now(),
            actor_id=person.id,
            subject=person.id,
            detail={"platform": Platform.TEAMS.value, "tenant": reference.tenant_id},
        )
        uow.commit()
        return True


def inbound_key(raw: str) -> str:
    """A platform delivery id that fits the store (long ids are hashed)."""
    if len(raw) <= INBOUND_KEY_MAX:
        return raw
    return "sha256:" + hashlib.sha256(raw.encode()).hexdigest()


def first_delivery(uow: UnitOfWork, *, platform: Platform, key: str) -> bool:
    """Record an inbound delivery; False when it was seen before (a retry to drop)."""
    with uow:
        try:
            fresh = uow.inbound.first_time(platform.value, inbound_key(key))
            uow.commit()
        except IntegrityError:  # a concurrent retry recorded it first
            return False
        return fresh
