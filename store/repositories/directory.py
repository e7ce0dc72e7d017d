"""The directory: organisations, practitioners, clients and their networks."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import (
    Client,
    ClientIdentifier,
    DeclaredWorkspace,
    Membership,
    Organisation,
    Practitioner,
    new_id,
)
from store.repositories.claims import claimable


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

    def lock_client(self, client_id: str) -> Client | None:
        """The client row, locked until commit: changes to one network queue behind each other."""
        return self._s.scalars(
            select(Client).where(Client.id == client_id).with_for_update()
        ).first()

    def practitioners(self) -> Sequence[Practitioner]:
        return self._s.scalars(select(Practitioner).order_by(Practitioner.name)).all()

    def practitioners_by_id(self, ids: Collection[str]) -> dict[str, Practitioner]:
        """These practitioners, by id, in one query (a page reads a few, never everyone)."""
        if not ids:
            return {}
        found = self._s.scalars(select(Practitioner).where(Practitioner.id.in_(sorted(ids))))
        return {p.id: p for p in found}

    def organisations(self) -> Sequence[Organisation]:
        return self._s.scalars(select(Organisation).order_by(Organisation.name)).all()

    def client(self, client_id: str) -> Client | None:
        return self._s.get(Client, client_id)

    def clients(self) -> Sequence[Client]:
        """Every client, by reference."""
        return self._s.scalars(select(Client).order_by(Client.reference)).all()

    def memberships(self) -> Sequence[Membership]:
        """Every network membership (with its practitioner)."""
        return self._s.scalars(select(Membership)).all()

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

    def remove_membership(self, membership: Membership) -> None:
        self._s.delete(membership)

    def clients_of(self, practitioner_id: str) -> Sequence[Client]:
        return self._s.scalars(
            select(Client)
            .join(Membership, Membership.client_id == Client.id)
            .where(Membership.practitioner_id == practitioner_id)
            .order_by(Client.reference)
        ).all()
