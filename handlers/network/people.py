"""Who is who, for pages that let a practitioner pick a person or a client."""

from __future__ import annotations

from dataclasses import dataclass

from store.crypto import CryptoError
from store.sealed import ClientField
from store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class PersonSummary:
    practitioner_id: str
    ref: str
    name: str
    job_title: str
    organisation: str


@dataclass(frozen=True)
class ClientChoice:
    """A client the practitioner may raise about: reference and (decrypted) label."""

    client_id: str
    reference: str
    label: str


def active_practitioners(uow: UnitOfWork) -> tuple[PersonSummary, ...]:
    """Every active practitioner, by name (the demo sign-in and the playground list them)."""
    with uow:
        return tuple(
            PersonSummary(p.id, p.ref, p.name, p.job_title, p.organisation.name)
            for p in uow.directory.practitioners()
            if p.active
        )


def active_practitioner(uow: UnitOfWork, practitioner_id: str) -> PersonSummary | None:
    with uow:
        p = uow.directory.practitioner(practitioner_id)
        if p is None or not p.active:
            return None
        return PersonSummary(p.id, p.ref, p.name, p.job_title, p.organisation.name)


def clients_of(uow: UnitOfWork, practitioner_id: str) -> tuple[ClientChoice, ...]:
    """The clients in whose network the practitioner is: the only ones they can raise about.

    A client whose key cannot be opened is listed by reference only (fail closed on the label).
    """
    with uow:
        choices = []
        for client in uow.directory.clients_of(practitioner_id):
            try:
                label = uow.sealed.client(client).open(ClientField.LABEL)
            except CryptoError:
                label = ""
            choices.append(ClientChoice(client.id, client.reference, label))
        return tuple(choices)
