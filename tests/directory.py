"""A seeded demo directory for tests, with handy lookups by ref."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from bot.demo import demo_rows
from handlers.network.directory import import_directory
from store.models import (
    Client,
    ClientIdentifier,
    DeclaredWorkspace,
    Membership,
    Organisation,
    Practitioner,
    WebSession,
)
from store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Directory:
    people: dict[str, str]
    clients: dict[str, str]


def seed_directory(uow_factory: Callable[[], UnitOfWork], at: datetime) -> Directory:
    report = import_directory(uow_factory(), demo_rows(), at=at, actor="test")
    assert report.ok, report.errors
    with uow_factory() as uow:
        people = {p.ref: p.id for p in uow.directory.practitioners()}
        clients = {
            ref: c.id
            for ref in ("C-1001", "C-1002", "C-1003")
            if (c := uow.directory.client_by_reference(ref)) is not None
        }
    return Directory(people, clients)


def declare(
    uow_factory: Callable[[], UnitOfWork],
    organisation: str,
    *,
    slack: tuple[str, ...] | None = None,
    entra: tuple[str, ...] | None = None,
    at: datetime,
) -> None:
    """Make an organisation declare exactly these Slack workspaces and/or Entra tenants."""
    with uow_factory() as uow:
        org = uow.directory.organisation_by_ref(organisation)
        assert org is not None
        for provider, ids in (("slack", slack), ("entra", entra)):
            if ids is not None:
                uow.directory.declare_workspaces(org.id, provider, ids, at=at)
        uow.commit()


def make_lead(uow_factory: Callable[[], UnitOfWork], client_id: str, practitioner_id: str) -> None:
    """The network's lead hands over: this practitioner leads now, the old lead deputises."""
    with uow_factory() as uow:
        for member in uow.session.scalars(
            select(Membership).where(Membership.client_id == client_id)
        ):
            if member.practitioner_id == practitioner_id:
                member.role = "lead"
            elif member.role == "lead":
                member.role = "deputy"
        uow.commit()


def wipe_directory(uow_factory: Callable[[], UnitOfWork]) -> None:
    """Delete every organisation, practitioner, client and membership (keys stay)."""
    with uow_factory() as uow:
        uow.session.execute(update(Organisation).values(duty_contact_id=None))
        for model in (
            Membership,
            ClientIdentifier,
            Client,
            DeclaredWorkspace,
            WebSession,
            Practitioner,
            Organisation,
        ):
            uow.session.execute(delete(model))
        uow.commit()
