"""TeamsNotifier: pointers as 1:1 Adaptive Cards through the Bot Connector.

Idempotency: the Bot Connector has no client idempotency key and Teams offers no history
lookup by one, so each message that lands is recorded (outbox key, conversation, activity
id; handlers.outbox.landed, audited) in its own transaction straight after the Bot
Connector answers. `find` reads it back. A worker that dies after the post but before recording
the outbox row therefore finds its message and does not post it again. What is left is a
lost *response* (a 5xx or read timeout after Teams accepted the post); Flare then posts
again — a possible duplicate of the same card rather than a lost safeguarding pointer.
Updates are PUTs of a known activity and are safe to repeat. See docs/teams.md.

The outbox sends to several recipients at once; Teams limits a bot per app and tenant, so
this notifier's Bot Connector calls take turns through one RateGate, and none goes before
the Retry-After of a 429 (bot/rate_gate.py). Its store reads and writes need no turn.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog

from bot.config import Settings
from bot.rate_gate import RateGate
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
from handlers.outbox.conversations import (
    forget_conversation,
    remember_created_conversation,
    teams_recipient,
)
from handlers.outbox.landed import LandedActivity, landed_activity, record_landed_activity
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
from store.unit_of_work import UnitOfWorkFactory

log = structlog.get_logger("flare")

REF_KEY = "key"  # MessageRef values: {"key": <outbox idempotency key>}


def teams_notifier(
    settings: Settings, uow_factory: UnitOfWorkFactory, clock: Clock
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
        uow_factory: UnitOfWorkFactory,
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
        self._gate = RateGate(clock.now)

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
            outcome = self._in_turn(
                lambda: self._connector.update(target, previous.activity_id, activity)
            )
            if isinstance(outcome, Done):
                return self._record(pointer, target, previous.activity_id)
            if not (isinstance(outcome, Refused) and outcome.status == 404):
                return _failure(outcome, "update")
            # the card is gone (deleted chat): say it afresh in a new message
        found = self._conversation(pointer.recipient_id)
        if not isinstance(found, tuple):
            return found
        conversation, stored = found
        outcome = self._in_turn(lambda: self._connector.send(conversation, activity))
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

    def _in_turn(self, call: Callable[[], Outcome]) -> Outcome:
        """One Bot Connector call at a time, and none while a Retry-After is running."""
        with self._gate.turn("connector") as turn:
            wait = turn.wait()
            if wait is not None:
                return Retry("rate limited: waiting out Retry-After", after=wait)
            outcome = call()
            if isinstance(outcome, Retry) and outcome.after:
                turn.refused(outcome.after)
            return outcome

    def _landed(self, key: str) -> LandedActivity | None:
        return landed_activity(self._uow(), idempotency_key=key)

    def _conversation(self, recipient_id: str) -> tuple[ConversationRef, bool] | SendResult:
        """The stored 1:1 conversation (True), or one created in the tenant and remembered."""
        recipient = teams_recipient(self._uow(), practitioner_id=recipient_id)
        if recipient is None:
            return Undeliverable("recipient unknown or inactive")
        stored = ConversationRef.from_json(recipient.conversation)
        if stored is not None:
            return stored, True
        member = recipient.member_id
        tenant = recipient.tenant_id or self._tenant_id
        if not member or not tenant:
            return Undeliverable("recipient has no Teams identity")
        outcome = self._in_turn(
            lambda: self._connector.create_conversation(
                service_url=self._service_url, tenant_id=tenant, member_id=member
            )
        )
        if not isinstance(outcome, Done) or not outcome.body.get("id"):
            return _failure(outcome, "create conversation")
        service_url = str(outcome.body.get("serviceUrl") or self._service_url)
        created = ConversationRef(str(outcome.body["id"]), service_url, tenant)
        remember_created_conversation(
            self._uow(),
            practitioner_id=recipient_id,
            conversation_id=created.id,
            service_url=created.service_url,
            tenant_id=tenant,
            clock=self._clock,
        )
        log.info("teams.conversation_created")
        return created, False

    def _forget(self, recipient_id: str, conversation: ConversationRef) -> None:
        forget_conversation(
            self._uow(),
            practitioner_id=recipient_id,
            conversation_id=conversation.id,
            clock=self._clock,
        )
        log.info("teams.conversation_forgotten")

    def _record(self, pointer: Pointer, at: ConversationRef, activity_id: str) -> SendResult:
        landed = LandedActivity(at.id, at.service_url, activity_id)
        record_landed_activity(self._uow(), pointer=pointer, landed=landed, clock=self._clock)
        return Sent(MessageRef({REF_KEY: pointer.idempotency_key}))


def _failure(outcome: Outcome, step: str) -> SendResult:
    if isinstance(outcome, Retry):
        return RetryLater(
            f"{step}: {outcome.reason}", after=outcome.after, ambiguous=outcome.ambiguous
        )
    if isinstance(outcome, Refused):
        return Undeliverable(f"{step}: {outcome.reason}")
    return RetryLater(f"{step}: unexpected answer")
