"""Where a practitioner's 1:1 chat with the bot lives (a Slack DM, a Teams conversation).

Platform ids only (channel, service URL, conversation, bot and tenant ids), so a pointer can
reach the person later without asking the platform again. Every change is audited by ids
and kinds: stored when the bot first reaches someone, forgotten when the platform says the
chat is gone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from handlers.ports import Clock
from handlers.values import Platform
from store.unit_of_work import UnitOfWork

PLATFORM_ID = re.compile(r"^[A-Za-z0-9_.:@=\-]{1,256}$")
SERVICE_URL = re.compile(r"^https?://[A-Za-z0-9.:\-\[\]]+(/[A-Za-z0-9_\-./]*)?$")
STORED = "identity.conversation_stored"
FORGOTTEN = "identity.conversation_forgotten"


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
            STORED,
            at=clock.now(),
            actor_id=person.id,
            subject=person.id,
            detail={"platform": Platform.TEAMS.value, "tenant": reference.tenant_id},
        )
        uow.commit()
        return True


@dataclass(frozen=True)
class SlackRecipient:
    """A practitioner's Slack ids and the DM channel the bot opened with them (if any)."""

    practitioner_id: str
    team: str
    user: str
    channel: str | None


def slack_recipient(uow: UnitOfWork, *, practitioner_id: str) -> SlackRecipient | None:
    """The Slack ids a pointer to this practitioner goes to; None without a linked identity."""
    with uow:
        person = uow.directory.practitioner(practitioner_id)
        if person is None or not (person.slack_team_id and person.slack_user_id):
            return None
        return SlackRecipient(
            person.id, person.slack_team_id, person.slack_user_id, person.slack_dm_channel
        )


def remember_dm_channel(
    uow: UnitOfWork, *, practitioner_id: str, channel: str, clock: Clock
) -> None:
    """Keep the DM channel Slack opened for this practitioner (`conversations.open`)."""
    with uow:
        person = uow.directory.practitioner(practitioner_id)
        if person is None or person.slack_dm_channel == channel:
            return
        person.slack_dm_channel = channel
        _audit(uow, STORED, practitioner_id=person.id, platform=Platform.SLACK, clock=clock)
        uow.commit()


def forget_dm_channel(uow: UnitOfWork, *, practitioner_id: str, channel: str, clock: Clock) -> None:
    """Drop a DM channel Slack no longer knows, so the next pointer opens it afresh."""
    with uow:
        person = uow.directory.practitioner(practitioner_id)
        if person is None or person.slack_dm_channel != channel:
            return
        person.slack_dm_channel = None
        _audit(uow, FORGOTTEN, practitioner_id=person.id, platform=Platform.SLACK, clock=clock)
        uow.commit()


@dataclass(frozen=True)
class TeamsRecipient:
    """An active practitioner's Teams ids and the stored 1:1 conversation (if any)."""

    practitioner_id: str
    conversation: dict[str, str] | None
    member_id: str | None
    tenant_id: str | None


def teams_recipient(uow: UnitOfWork, *, practitioner_id: str) -> TeamsRecipient | None:
    """What a Teams pointer to this practitioner needs; None when unknown or inactive."""
    with uow:
        person = uow.directory.practitioner(practitioner_id)
        if person is None or not person.active:
            return None
        stored = person.teams_conversation
        return TeamsRecipient(
            person.id,
            {str(k): str(v) for k, v in stored.items()} if _usable(stored) and stored else None,
            person.teams_aad_object_id,
            person.teams_tenant_id,
        )


def remember_created_conversation(
    uow: UnitOfWork,
    *,
    practitioner_id: str,
    conversation_id: str,
    service_url: str,
    tenant_id: str,
    clock: Clock,
) -> None:
    """Keep a 1:1 conversation the bot created, unless one was stored meanwhile."""
    with uow:
        person = uow.directory.practitioner(practitioner_id)
        if person is None or _usable(person.teams_conversation):
            return
        person.teams_conversation = {
            "id": conversation_id,
            "serviceUrl": service_url,
            "tenantId": tenant_id,
        }
        _audit(uow, STORED, practitioner_id=person.id, platform=Platform.TEAMS, clock=clock)
        uow.commit()


def forget_conversation(
    uow: UnitOfWork, *, practitioner_id: str, conversation_id: str, clock: Clock
) -> None:
    """Drop a stored conversation Teams refused, so the next pointer creates a new one."""
    with uow:
        person = uow.directory.practitioner(practitioner_id)
        stored = person.teams_conversation if person is not None else None
        if person is None or not _usable(stored) or (stored or {}).get("id") != conversation_id:
            return
        person.teams_conversation = None
        _audit(uow, FORGOTTEN, practitioner_id=person.id, platform=Platform.TEAMS, clock=clock)
        uow.commit()


def _usable(record: Mapping[str, object] | None) -> bool:
    """A stored conversation the notifier can post to: it has an id and a service URL."""
    return bool(record and record.get("id") and record.get("serviceUrl"))


def _audit(
    uow: UnitOfWork, action: str, *, practitioner_id: str, platform: Platform, clock: Clock
) -> None:
    uow.audit(
        action,
        at=clock.now(),
        subject=practitioner_id,
        detail={"platform": platform.value},
    )
