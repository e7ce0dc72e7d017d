"""Who is around a client: the network, for the people in it (and nobody else)."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.network.access import member_of
from handlers.network.routing import NotInNetwork
from handlers.ports import Clock
from handlers.values import Platform, Role
from store.crypto import CryptoError
from store.models import Client
from store.sealed import ClientField
from store.unit_of_work import UnitOfWork

REACH = {
    Platform.SLACK.value: "Slack",
    Platform.TEAMS.value: "Microsoft Teams",
    Platform.PLAYGROUND.value: "Flare playground (demo)",
}


@dataclass(frozen=True)
class NetworkPerson:
    practitioner_id: str
    name: str
    job_title: str
    organisation: str
    role: Role
    reach: str
    email: str
    is_me: bool


@dataclass(frozen=True)
class NetworkView:
    client_id: str
    client_reference: str
    client_label: str
    people: tuple[NetworkPerson, ...]


def member_client(
    uow: UnitOfWork, *, client_id: str, practitioner_id: str, page: str, clock: Clock
) -> Client:
    """The client, if the practitioner is (still) in its network; otherwise audit the refusal.

    Call inside `with uow:`. A refusal is committed before NotInNetwork is raised.
    """
    client = uow.directory.client(client_id)
    if client is None or member_of(uow, client.id, practitioner_id) is None:
        uow.audit(
            "client.access_refused",
            at=clock.now(),
            actor_id=practitioner_id,
            subject=client_id[:64],
            detail={"page": page},
        )
        uow.commit()
        raise NotInNetwork(client_id)
    return client


def client_label(uow: UnitOfWork, client: Client) -> str:
    """The client's label, or "" when its key cannot be opened (fail closed)."""
    try:
        return uow.sealed.client(client).open(ClientField.LABEL)
    except CryptoError:
        return ""


def network_of(
    uow: UnitOfWork, *, client_id: str, practitioner_id: str, clock: Clock
) -> NetworkView:
    """The client's network — name, organisation, role, how to reach them — for a member."""
    with uow:
        client = member_client(
            uow, client_id=client_id, practitioner_id=practitioner_id, page="network", clock=clock
        )
        order = {Role.LEAD: 0, Role.DEPUTY: 1, Role.MEMBER: 2}
        people = sorted(
            (
                NetworkPerson(
                    practitioner_id=m.practitioner.id,
                    name=m.practitioner.name,
                    job_title=m.practitioner.job_title,
                    organisation=m.practitioner.organisation.name,
                    role=Role(m.role),
                    reach=REACH.get(m.practitioner.preferred_platform, "Flare"),
                    email=m.practitioner.email or "",
                    is_me=m.practitioner.id == practitioner_id,
                )
                for m in uow.directory.network(client.id)
                if m.practitioner.active
            ),
            key=lambda p: (order[p.role], p.name),
        )
        view = NetworkView(client.id, client.reference, client_label(uow, client), tuple(people))
        uow.audit(
            "client.network_viewed", at=clock.now(), actor_id=practitioner_id, subject=client.id
        )
        uow.commit()
        return view
