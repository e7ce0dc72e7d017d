"""Repositories: the queries the use cases need, one class per concept."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Delete, Engine, Select, and_, delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from store.models import (
    Client,
    ClientIdentifier,
    Concern,
    ConcernEntry,
    DataKey,
    DeclaredWorkspace,
    Delivery,
    FollowUp,
    InboundEvent,
    Link,
    Membership,
    Organisation,
    OutboxMessage,
    Practitioner,
    new_id,
    utcnow,
)


def claimable(session: Session, stmt: Select[Any], *, of: Any = None) -> Select[Any]:
    """Lock the rows a sweep picks, skipping rows another replica holds (PostgreSQL).

    SQLite has no row locks; its writers are serialised by BEGIN IMMEDIATE, so one process
    at a time runs a sweep there (the documented single-process deployment).
    """
    if session.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=True, of=of)
    return stmt


class DirectoryRepository:
    """Organisations, practitioners, clients and their networks."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def add(
        self, row: Organisation | Practitioner | Client | ClientIdentifier | Membership
    ) -> None:
        self._s.add(row)

    def organisation(self, org_id: str) -> Organisation | None:
        return self._s.get(Organisation, org_id)

    def organisation_by_ref(self, ref: str) -> Organisation | None:
        return self._s.scalars(select(Organisation).where(Organisation.ref == ref)).first()

    def practitioner(self, practitioner_id: str) -> Practitioner | None:
        return self._s.get(Practitioner, practitioner_id)

    def practitioner_by_ref(self, ref: str) -> Practitioner | None:
        return self._s.scalars(select(Practitioner).where(Practitioner.ref == ref)).first()

    def practitioner_by_email(self, email: str) -> Sequence[Practitioner]:
        return self._s.scalars(
            select(Practitioner).where(Practitioner.email == email.strip().lower())
        ).all()

    def practitioner_by_slack(self, team_id: str, user_id: str) -> Practitioner | None:
        return self._s.scalars(
            select(Practitioner).where(
                Practitioner.slack_team_id == team_id, Practitioner.slack_user_id == user_id
            )
        ).first()

    def practitioner_by_teams(self, tenant_id: str, object_id: str) -> Practitioner | None:
        return self._s.scalars(
            select(Practitioner).where(
                Practitioner.teams_tenant_id == tenant_id,
                Practitioner.teams_aad_object_id == object_id,
            )
        ).first()

    def declared_workspaces(self, organisation_id: str, provider: str) -> list[str]:
        """The workspace (or tenant) ids one organisation declares for a provider, sorted."""
        return sorted(
            self._s.scalars(
                select(DeclaredWorkspace.workspace_id).where(
                    DeclaredWorkspace.organisation_id == organisation_id,
                    DeclaredWorkspace.provider == provider,
                )
            )
        )

    def organisations_declaring(self, provider: str, workspace_ids: Sequence[str]) -> set[str]:
        """The ids of the organisations that declare any of these workspaces."""
        return set(
            self._s.scalars(
                select(DeclaredWorkspace.organisation_id).where(
                    DeclaredWorkspace.provider == provider,
                    DeclaredWorkspace.workspace_id.in_(list(workspace_ids)),
                )
            )
        )

    def declare_workspaces(
        self, organisation_id: str, provider: str, workspace_ids: Sequence[str], *, at: datetime
    ) -> None:
        """Make the organisation's declared workspaces for a provider exactly these."""
        wanted = set(workspace_ids)
        current = self._s.scalars(
            select(DeclaredWorkspace).where(
                DeclaredWorkspace.organisation_id == organisation_id,
                DeclaredWorkspace.provider == provider,
            )
        ).all()
        for row in current:
            if row.workspace_id not in wanted:
                self._s.delete(row)
        for workspace_id in sorted(wanted - {row.workspace_id for row in current}):
            self._s.add(
                DeclaredWorkspace(
                    id=new_id(),
                    organisation_id=organisation_id,
                    provider=provider,
                    workspace_id=workspace_id,
                    created_at=at,
                )
            )

    def admins_of(self, organisation_id: str) -> Sequence[Practitioner]:
        return self._s.scalars(
            select(Practitioner).where(
                Practitioner.organisation_id == organisation_id,
                Practitioner.is_admin.is_(True),
                Practitioner.active.is_(True),
            )
        ).all()

    def lock_practitioner(self, practitioner_id: str) -> Practitioner | None:
        """The practitioner row, locked; None when another replica holds it (PostgreSQL)."""
        stmt = select(Practitioner).where(Practitioner.id == practitioner_id)
        # `of`: the row only, not the organisation its relationship joins in
        return self._s.scalars(claimable(self._s, stmt, of=Practitioner)).first()

    def practitioners(self) -> Sequence[Practitioner]:
        return self._s.scalars(select(Practitioner).order_by(Practitioner.name)).all()

    def organisations(self) -> Sequence[Organisation]:
        return self._s.scalars(select(Organisation).order_by(Organisation.name)).all()

    def client(self, client_id: str) -> Client | None:
        return self._s.get(Client, client_id)

    def client_by_reference(self, reference: str) -> Client | None:
        return self._s.scalars(select(Client).where(Client.reference == reference)).first()

    def client_by_blind(self, kind: str, blind: str) -> Client | None:
        return self._s.scalars(
            select(Client)
            .join(ClientIdentifier, ClientIdentifier.client_id == Client.id)
            .where(ClientIdentifier.kind == kind, ClientIdentifier.blind == blind)
        ).first()

    def identifiers(self, client_id: str) -> Sequence[ClientIdentifier]:
        return self._s.scalars(
            select(ClientIdentifier).where(ClientIdentifier.client_id == client_id)
        ).all()

    def network(self, client_id: str) -> Sequence[Membership]:
        return self._s.scalars(
            select(Membership).where(Membership.client_id == client_id).order_by(Membership.role)
        ).all()

    def membership(self, client_id: str, practitioner_id: str) -> Membership | None:
        return self._s.scalars(
            select(Membership).where(
                Membership.client_id == client_id, Membership.practitioner_id == practitioner_id
            )
        ).first()

    def clients_of(self, practitioner_id: str) -> Sequence[Client]:
        return self._s.scalars(
            select(Client)
            .join(Membership, Membership.client_id == Client.id)
            .where(Membership.practitioner_id == practitioner_id)
            .order_by(Client.reference)
        ).all()


class ConcernRepository:
    """Concerns, their entries, deliveries, links and follow-ups."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, row: Concern | ConcernEntry | Delivery | Link | FollowUp) -> None:
        self._s.add(row)

    def get(self, concern_id: str) -> Concern | None:
        return self._s.get(Concern, concern_id)

    def by_submission(self, submission_key: str) -> Concern | None:
        return self._s.scalars(
            select(Concern).where(Concern.submission_key == submission_key)
        ).first()

    def entries(self, concern_id: str) -> Sequence[ConcernEntry]:
        return self._s.scalars(
            select(ConcernEntry)
            .where(ConcernEntry.concern_id == concern_id)
            .order_by(ConcernEntry.created_at, ConcernEntry.id)
        ).all()

    def deliveries(self, concern_id: str) -> Sequence[Delivery]:
        return self._s.scalars(
            select(Delivery).where(Delivery.concern_id == concern_id).order_by(Delivery.role)
        ).all()

    def delivery(self, delivery_id: str) -> Delivery | None:
        return self._s.get(Delivery, delivery_id)

    def delivery_for(self, concern_id: str, recipient_id: str) -> Delivery | None:
        return self._s.scalars(
            select(Delivery).where(
                Delivery.concern_id == concern_id, Delivery.recipient_id == recipient_id
            )
        ).first()

    def link_by_hash(self, token_hash: str) -> Link | None:
        return self._s.scalars(select(Link).where(Link.token_hash == token_hash)).first()

    def link(self, link_id: str) -> Link | None:
        return self._s.get(Link, link_id)

    def live_links(self, delivery_id: str, now: datetime) -> Sequence[Link]:
        return self._s.scalars(
            select(Link).where(
                Link.delivery_id == delivery_id, Link.revoked_at.is_(None), Link.expires_at > now
            )
        ).all()

    def for_client(self, client_id: str) -> Sequence[Concern]:
        return self._s.scalars(
            select(Concern)
            .where(Concern.client_id == client_id)
            .order_by(Concern.created_at.desc())
        ).all()

    def raised_by(self, practitioner_id: str) -> Sequence[Concern]:
        return self._s.scalars(
            select(Concern)
            .where(Concern.raiser_id == practitioner_id)
            .order_by(Concern.created_at.desc())
        ).all()

    def received_with_concerns(self, practitioner_id: str) -> Sequence[tuple[Delivery, Concern]]:
        """Every delivery to this practitioner with its concern, in one query."""
        rows = self._s.execute(
            select(Delivery, Concern)
            .join(Concern, Concern.id == Delivery.concern_id)
            .where(Delivery.recipient_id == practitioner_id)
            .order_by(Delivery.created_at.desc())
        ).all()
        return [(row[0], row[1]) for row in rows]

    def received_by(self, practitioner_id: str) -> Sequence[Delivery]:
        return self._s.scalars(
            select(Delivery)
            .where(Delivery.recipient_id == practitioner_id)
            .order_by(Delivery.created_at.desc())
        ).all()

    def follow_ups(self, concern_id: str) -> Sequence[FollowUp]:
        return self._s.scalars(
            select(FollowUp).where(FollowUp.concern_id == concern_id).order_by(FollowUp.due_at)
        ).all()

    def follow_up(self, follow_up_id: str) -> FollowUp | None:
        return self._s.get(FollowUp, follow_up_id)

    def due_for_escalation(self, now: datetime, limit: int) -> Sequence[Concern]:
        """Open concerns whose next escalation step is due, locked for this sweep."""
        stmt = (
            select(Concern)
            .where(
                Concern.status == "open",
                or_(
                    Concern.escalate_at <= now,
                    and_(
                        Concern.escalate_at.is_(None),
                        Concern.escalation_level == 0,
                        Concern.acknowledge_by <= now,
                    ),
                ),
            )
            .order_by(Concern.acknowledge_by)
            .limit(limit)
        )
        return self._s.scalars(claimable(self._s, stmt)).all()

    def follow_ups_due(
        self, now: datetime, *, before: timedelta, overdue_after: timedelta, limit: int
    ) -> Sequence[FollowUp]:
        """Open follow-ups whose next reminder stage (before, due, overdue) has come."""
        stmt = (
            select(FollowUp)
            .where(
                FollowUp.state == "open",
                or_(
                    (FollowUp.reminders_sent == 0) & (FollowUp.due_at <= now + before),
                    (FollowUp.reminders_sent == 1) & (FollowUp.due_at <= now),
                    (FollowUp.reminders_sent == 2) & (FollowUp.due_at <= now - overdue_after),
                ),
            )
            .order_by(FollowUp.due_at)
            .limit(limit)
        )
        return self._s.scalars(claimable(self._s, stmt)).all()

    def raised_since(self, since: datetime) -> Sequence[tuple[str, str, str]]:
        """(client, concern, raiser's organisation) for every shared concern since a time."""
        rows = self._s.execute(
            select(Concern.client_id, Concern.id, Practitioner.organisation_id)
            .join(Practitioner, Practitioner.id == Concern.raiser_id)
            .where(Concern.created_at >= since, Concern.status != "not_shared")
            .order_by(Concern.created_at)
        ).all()
        return [(r[0], r[1], r[2]) for r in rows]

    def lock_client(self, client_id: str) -> Client | None:
        """The client row, locked; None when another replica holds it (PostgreSQL)."""
        stmt = select(Client).where(Client.id == client_id)
        return self._s.scalars(claimable(self._s, stmt)).first()

    def pattern_alerted_since(self, client_id: str, since: datetime) -> bool:
        return (
            self._s.scalars(
                select(OutboxMessage.id)
                .join(Concern, Concern.id == OutboxMessage.concern_id)
                .where(
                    Concern.client_id == client_id,
                    OutboxMessage.kind == "pattern_alert",
                    OutboxMessage.created_at > since,
                )
                .limit(1)
            ).first()
            is not None
        )

    def due_for_retention(
        self, organisation_id: str, cutoff: datetime, limit: int, *, lock: bool = True
    ) -> Sequence[Concern]:
        """Closed (or not shared) concerns of an organisation's raisers, past retention."""
        raisers = select(Practitioner.id).where(Practitioner.organisation_id == organisation_id)
        stmt = (
            select(Concern)
            .where(
                Concern.raiser_id.in_(raisers),
                Concern.status.in_(("closed", "not_shared")),
                Concern.shredded_at.is_(None),
                or_(
                    Concern.closed_at < cutoff,
                    Concern.closed_at.is_(None) & (Concern.created_at < cutoff),
                ),
            )
            .order_by(Concern.created_at)
            .limit(limit)
        )
        return self._s.scalars(claimable(self._s, stmt) if lock else stmt).all()

    def shredded(self, limit: int) -> Sequence[Concern]:
        """Concerns whose key is shredded but whose rows are not yet deleted."""
        stmt = select(Concern).where(Concern.shredded_at.is_not(None)).limit(limit)
        return self._s.scalars(claimable(self._s, stmt)).all()

    def delete_concern_rows(self, concern: Concern) -> dict[str, int]:
        """Delete a (shredded) concern and everything hanging off it; returns row counts."""
        deliveries = select(Delivery.id).where(Delivery.concern_id == concern.id)
        counts = {
            "links": self._delete(delete(Link).where(Link.delivery_id.in_(deliveries))),
            # Two statements, not one OR: `delivery_id IN (subquery)` inside an OR cannot use
            # an index, so PostgreSQL read the whole outbox for every deleted concern.
            "outbox": self._delete(
                delete(OutboxMessage).where(OutboxMessage.concern_id == concern.id)
            )
            + self._delete(delete(OutboxMessage).where(OutboxMessage.delivery_id.in_(deliveries))),
            "follow_ups": self._delete(delete(FollowUp).where(FollowUp.concern_id == concern.id)),
            "deliveries": self._delete(delete(Delivery).where(Delivery.concern_id == concern.id)),
            "entries": self._delete(
                delete(ConcernEntry).where(ConcernEntry.concern_id == concern.id)
            ),
        }
        key_id = concern.data_key_id
        self._s.delete(concern)
        self._s.flush()
        if key_id is not None:
            self._delete(delete(DataKey).where(DataKey.id == key_id))
        return counts

    def _delete(self, stmt: Delete) -> int:
        result = self._s.execute(stmt.execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)

    def follow_ups_owned(self, practitioner_id: str) -> Sequence[FollowUp]:
        return self._s.scalars(
            select(FollowUp)
            .where(FollowUp.owner_id == practitioner_id, FollowUp.state == "open")
            .order_by(FollowUp.due_at)
        ).all()


class OutboxRepository:
    """The transactional outbox."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, message: OutboxMessage) -> None:
        self._s.add(message)

    def get(self, message_id: str) -> OutboxMessage | None:
        return self._s.get(OutboxMessage, message_id)

    def get_many(self, message_ids: Sequence[str]) -> dict[str, OutboxMessage]:
        rows = self._s.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(message_ids)))
        return {row.id: row for row in rows}

    def by_key(self, key: str) -> OutboxMessage | None:
        return self._s.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key == key)
        ).first()

    def for_delivery(self, delivery_id: str, *, kinds: Sequence[str]) -> Sequence[OutboxMessage]:
        return self._s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.delivery_id == delivery_id, OutboxMessage.kind.in_(kinds)
            )
        ).all()

    def claim_due(
        self,
        now: datetime,
        limit: int,
        *,
        concern_id: str | None = None,
        platforms: Collection[str] | None = None,
        skip_platforms: Collection[str] = (),
    ) -> Sequence[OutboxMessage]:
        """Due pending rows, and `sending` rows whose lease lapsed (a worker died mid-send);
        only one concern's when `concern_id` is given; only (or not) some platforms' rows.

        On PostgreSQL rows are locked with SKIP LOCKED so concurrent workers never share one.
        """
        stmt = (
            select(OutboxMessage)
            .where(
                or_(
                    (OutboxMessage.state == "pending") & (OutboxMessage.next_attempt_at <= now),
                    (OutboxMessage.state == "sending") & (OutboxMessage.lease_until <= now),
                )
            )
            .order_by(OutboxMessage.next_attempt_at)
            .limit(limit)
        )
        if concern_id is not None:
            stmt = stmt.where(OutboxMessage.concern_id == concern_id)
        if platforms is not None:
            stmt = stmt.where(OutboxMessage.platform.in_(platforms))
        if skip_platforms:
            stmt = stmt.where(OutboxMessage.platform.not_in(skip_platforms))
        if self._s.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return self._s.scalars(stmt).all()


def _record_inbound(insert: Any) -> Any:
    table = InboundEvent.__table__
    return (
        insert(table)
        .on_conflict_do_nothing(index_elements=["platform", "key"])
        .returning(table.c.platform, table.c.key)
    )


_RECORD_INBOUND = {
    "postgresql": _record_inbound(pg_insert),
    "sqlite": _record_inbound(sqlite_insert),
}


class InboundRepository:
    """Seen platform deliveries, for de-duplicating retries."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def first_time(self, platform: str, key: str) -> bool:
        """Record the key; False when it was already seen (the caller drops the retry)."""
        return not self.seen_before([(platform, key)])

    def forget_received_before(self, cutoff: datetime, limit: int) -> int:
        """Delete up to `limit` keys recorded before `cutoff`; how many went."""
        oldest = (
            select(InboundEvent.id)
            .where(InboundEvent.received_at < cutoff)
            .order_by(InboundEvent.received_at)
            .limit(limit)
        )
        ids = list(self._s.scalars(oldest))
        if ids:
            self._s.execute(delete(InboundEvent).where(InboundEvent.id.in_(ids)))
        return len(ids)

    def seen_before(self, keys: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        """Record every (platform, key) in one statement; those that were already there.

        One INSERT ... ON CONFLICT DO NOTHING: a platform's request path pays one round trip,
        and a concurrent retry of the same delivery waits for the first one's transaction
        instead of failing on the unique constraint.
        """
        if not keys:
            return []
        return _seen_before(self._s.connection(), keys)


def record_inbound(engine: Engine, keys: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """`seen_before` as a transaction of its own, for a platform's request path.

    On PostgreSQL the one statement is autocommitted: no BEGIN and COMMIT round trips before
    Slack's ack. SQLite keeps its BEGIN IMMEDIATE (a local file; nothing to save).
    """
    if not keys:
        return []
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return _seen_before(conn, keys)
    with engine.begin() as conn:
        return _seen_before(conn, keys)


def _seen_before(conn: Connection, keys: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    now = utcnow()
    rows = [{"id": new_id(), "platform": p, "key": k, "received_at": now} for p, k in keys]
    # Rows as parameters, not in .values(): the statement stays one cached compilation.
    result = conn.execute(_RECORD_INBOUND[conn.dialect.name], rows)
    recorded = {(row.platform, row.key) for row in result}
    return [pair for pair in keys if pair not in recorded]
