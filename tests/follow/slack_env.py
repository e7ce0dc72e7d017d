"""Follow-through against the fake Slack Web API: a bigger network, message counting."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from store.models import Membership, OutboxMessage, Practitioner, new_id
from store.unit_of_work import UnitOfWork
from tests.directory import Directory
from tests.slack.conftest import TEAM, link_everyone_to_slack, slack_user
from tests.slack.fake_api import FakeSlackAPI, RecordedRequest


def add_network_members(
    uow_factory: Callable[[], UnitOfWork],
    slack: FakeSlackAPI,
    d: Directory,
    *,
    client: str,
    count: int,
) -> list[str]:
    """`count` more Slack-linked practitioners (in riverside-cc) as members of a client."""
    ids: list[str] = []
    with uow_factory() as uow:
        org = uow.directory.organisation_by_ref("riverside-cc")
        assert org is not None
        for n in range(count):
            ref = f"extra{n:03d}"
            person = Practitioner(
                id=new_id(),
                ref=ref,
                organisation_id=org.id,
                name=f"Extra Person {n}",
                email=f"{ref}@demo.flare.invalid",
                preferred_platform="slack",
                slack_team_id=TEAM,
                slack_user_id=slack_user(ref),
            )
            uow.session.add(person)
            uow.session.flush()
            uow.session.add(
                Membership(client_id=d.clients[client], practitioner_id=person.id, role="member")
            )
            slack.add_user(TEAM, slack_user(ref), email=person.email)
            ids.append(person.id)
        uow.commit()
    return ids


def everyone_on_slack(uow_factory: Callable[[], UnitOfWork], slack: FakeSlackAPI) -> None:
    link_everyone_to_slack(uow_factory, slack)


def landed(slack: FakeSlackAPI) -> Counter[str]:
    """How many messages carrying each outbox key landed in any DM at the fake Slack."""
    keys: Counter[str] = Counter()
    with slack._lock:  # the fake's own lock: a consistent snapshot
        for messages in slack.state.messages.values():
            for message in messages:
                payload = (message.metadata or {}).get("event_payload") or {}
                if payload.get("key"):
                    keys[str(payload["key"])] += 1
    return keys


def outbox_rows(uow_factory: Callable[[], UnitOfWork]) -> list[tuple[str, str, str, str | None]]:
    """(id, kind, state, recipient) of every outbox row that posts a new message."""
    with uow_factory() as uow:
        rows = uow.session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.kind,
                OutboxMessage.state,
                OutboxMessage.recipient_id,
                OutboxMessage.concern_id,
            ).where(OutboxMessage.updates_id.is_(None))
        ).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


@dataclass(frozen=True)
class Answered:
    at: float
    status: int


class TimedSlackAPI(FakeSlackAPI):
    """The fake Slack API, also noting when each chat.postMessage was answered, and how."""

    def __init__(self) -> None:
        super().__init__()
        self.posts: list[Answered] = []

    def handle(self, request: RecordedRequest) -> tuple[int, dict[str, str], dict[str, Any]]:
        status, headers, answer = super().handle(request)
        if request.method == "chat.postMessage":
            with self._lock:
                self.posts.append(Answered(time.monotonic(), status))
        return status, headers, answer
