"""TeamsNotifier: pointers as 1:1 Adaptive Cards through the Bot Connector.

Idempotency: the Bot Connector has no client idempotency key and Teams offers no history
lookup by one, so each message that lands is written to `teams_activities` (outbox key,
conversation, activity id) in its own transaction straight after the Bot Connector
answers. `find` reads that table. A worker that dies after the post but before recording
the outbox row therefore finds its message and does not post it again. What is left is a
lost *response* (a 5xx or read timeout after Teams accepted the post); Flare then posts
again — a possible duplicate of the same card rather than a lost safeguarding pointer.
Updates are PUTs of a known activity and are safe to repeat. See docs/teams.md.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.config import Settings
from bot.teams.cards import pointer_activity
from bot.teams.connector import (
    DEFAULT_SERVICE_URL,
    BotConnector,
    ConversationRef,
    Done,
    Outcome,
    Refused,
    Retry,
    connector_for,
)
from handlers.ports import (
    Clock,
    MessageRef,
    Pointer,
    RetryLater,
    SendResult,
    Sent,
    Undeliverable,
)
from handlers.values import Platform
from store.models import TeamsActivity, new_id
from store.unit_of_work import UnitOfWork

log = structlog.get_logger("flare")

REF_KEY = "key"  # MessageRef values: {"key": <outbox idempotency key>}


def teams_notifier(
    settings: Settings, uow_factory: Callable[[], UnitOfWork], clock: Clock
) -> TeamsNotifier:
    """The notifier for TEAMS_APP_ID / TEAMS_APP_PASSWORD (see docs/teams.md)."""
    return TeamsNotifier(
        uow_factory,
        clock,
        connector_for(settings),
        tenant_id=settings.teams_tenant_id,
        service_url=settings.teams_service_url,
    )


class TeamsNotifier:
    platform = Platform.TEAMS

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        connector: BotConnector,
        *,
        tenant_id: str = "",
        service_url: str = DEFAULT_SERVICE_URL,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._connector = connector
        self._tenant_id = tenant_id
        self._service_url = service_url

    @property
    def connector(self) -> BotConnector:
        """Shared with the inbound endpoint, so one process keeps one bot token."""
        return self._connector

    def send(self, pointer: Pointer) -> SendResult:
        landed = self.find(pointer)
        if landed is not None:
            return Sent(landed)
        activity = pointer_activity(pointer, self._clock.now())
        previous = (
            self._landed(pointer.updates.values.get(REF_KEY, "")) if pointer.updates else None
        )
        if previous is not None:
            target = ConversationRef(previous.conversation_id, previous.service_url, "")
            outcome = self._connector.update(target, previous.activity_id, activity)
            if isinstance(outcome, Done):
                return self._record(pointer, target, previous.activity_id)
            if not (isinstance(outcome, Refused) and outcome.status == 404):
                return _failure(outcome, "update")
            # the card is gone (deleted chat): say it afresh in a new message
        found = self._conversation(pointer.recipient_id)
        if not isinstance(found, tuple):
            return found
        conversation, stored = found
        outcome = self._connector.send(conversation, activity)
        if isinstance(outcome, Done) and outcome.body.get("id"):
            return self._record(pointer, conversation, str(outcome.body["id"]))
        if isinstance(outcome, Done):
            return RetryLater("send: no activity id", ambiguous=True)
        if stored and isinstance(outcome, Refused) and outcome.status in (403, 404):
            # a stored chat can go stale (app reinstalled, chat gone): open a new one next time
            self._forget(pointer.recipient_id, conversation)
            return RetryLater("send: stored conversation refused")
        return _failure(outcome, "send")

    def find(self, pointer: Pointer) -> MessageRef | None:
        landed = self._landed(pointer.idempotency_key)
        return MessageRef({REF_KEY: pointer.idempotency_key}) if landed else None

    def _landed(self, key: str) -> TeamsActivity | None:
        if not key:
            return None
        with self._uow() as uow:
            row = uow.session.scalars(
                select(TeamsActivity).where(TeamsActivity.idempotency_key == key)
            ).first()
            if row is not None:
                uow.session.expunge(row)
            return row

    def _conversation(self, recipient_id: str) -> tuple[ConversationRef, bool] | SendResult:
        """The stored 1:1 conversation (True), or one created in the tenant and remembered."""
        with self._uow() as uow:
            person = uow.directory.practitioner(recipient_id)
            if person is None or not person.active:
                return Undeliverable("recipient unknown or inactive")
            stored = ConversationRef.from_json(person.teams_conversation)
            if stored is not None:
                return stored, True
            member = person.teams_aad_object_id
            tenant = person.teams_tenant_id or self._tenant_id
        if not member or not tenant:
            return Undeliverable("recipient has no Teams identity")
        outcome = self._connector.create_conversation(
            service_url=self._service_url, tenant_id=tenant, member_id=member
        )
        if not isinstance(outcome, Done) or not outcome.body.get("id"):
            return _failure(outcome, "create conversation")
        service_url = str(outcome.body.get("serviceUrl") or self._service_url)
        created = ConversationRef(str(outcome.body["id"]), service_url, tenant)
        with self._uow() as uow:
            person = uow.directory.practitioner(recipient_id)
            if person is not None and ConversationRef.from_json(person.teams_conversation) is None:
                person.teams_conversation = created.to_json()
                uow.commit()
        log.info("teams.conversation_created")
        return created, False

    def _forget(self, recipient_id: str, conversation: ConversationRef) -> None:
        with self._uow() as uow:
            person = uow.directory.practitioner(recipient_id)
            current = ConversationRef.from_json(person.teams_conversation) if person else None
            if person is not None and current is not None and current.id == conversation.id:
                person.teams_conversation = None
                uow.commit()
        log.info("teams.conversation_forgotten")

    def _record(self, pointer: Pointer, at: ConversationRef, activity_id: str) -> SendResult:
        try:
            with self._uow() as uow:
                uow.session.add(
                    TeamsActivity(
                        id=new_id(),
                        idempotency_key=pointer.idempotency_key,
                        recipient_id=pointer.recipient_id,
                        conversation_id=at.id,
                        service_url=at.service_url,
                        activity_id=activity_id,
                        created_at=self._clock.now(),
                    )
                )
                uow.commit()
        except IntegrityError:
            pass  # recorded by an earlier attempt: the message is the same one
        return Sent(MessageRef({REF_KEY: pointer.idempotency_key}))


def _failure(outcome: Outcome, step: str) -> SendResult:
    if isinstance(outcome, Retry):
        return RetryLater(
            f"{step}: {outcome.reason}", after=outcome.after, ambiguous=outcome.ambiguous
        )
    if isinstance(outcome, Refused):
        return Undeliverable(f"{step}: {outcome.reason}")
    return RetryLater(f"{step}: unexpected answer")
