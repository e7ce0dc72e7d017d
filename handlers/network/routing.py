"""Who can I share with? The client's network, and whom the routing policy recommends.

The routing policy itself is data (handlers.partnership.RoutingPolicy).
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.partnership import routing_policy
from handlers.values import Category, ChosenBecause, Role, Severity
from store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class NetworkMember:
    practitioner_id: str
    name: str
    job_title: str
    organisation: str
    role: Role
    platform: str
    recommended: bool
    why: str
    because: ChosenBecause | None = None  # the policy's reason; None: not recommended


@dataclass(frozen=True)
class ShareOptions:
    client_id: str
    client_reference: str
    members: tuple[NetworkMember, ...]

    def chosen_because(self, practitioner_id: str) -> ChosenBecause:
        """Why a chosen recipient receives: the policy's reason, else the raiser chose them."""
        member = next((m for m in self.members if m.practitioner_id == practitioner_id), None)
        if member is None or member.because is None:
            return ChosenBecause.RAISER_CHOSE
        return member.because

    @property
    def recommended_ids(self) -> frozenset[str]:
        return frozenset(m.practitioner_id for m in self.members if m.recommended)


class NotInNetwork(Exception):
    """The practitioner cannot raise about, or see, this client."""


def who_can_i_share_with(
    uow: UnitOfWork,
    *,
    raiser_id: str,
    client_id: str,
    category: Category,
    severity: Severity,
) -> ShareOptions:
    """The client's network (excluding the raiser) with the policy's recommendation."""
    client = uow.directory.client(client_id)
    if client is None or uow.directory.membership(client_id, raiser_id) is None:
        raise NotInNetwork(client_id)
    policy = routing_policy(uow)
    members = []
    for membership in uow.directory.network(client_id):
        person = membership.practitioner
        if person.id == raiser_id or not person.active:
            continue
        role = Role(membership.role)
        recommended, why = policy.recommend(role, person.organisation.kind, category, severity)
        because = policy.because(role, person.organisation.kind, category, severity)
        members.append(
            NetworkMember(
                practitioner_id=person.id,
                name=person.name,
                job_title=person.job_title,
                organisation=person.organisation.name,
                role=role,
                platform=person.preferred_platform,
                recommended=recommended,
                why=why,
                because=because,
            )
        )
    order = {Role.LEAD: 0, Role.DEPUTY: 1, Role.MEMBER: 2}
    members.sort(key=lambda m: (order[m.role], m.name))
    return ShareOptions(client.id, client.reference, tuple(members))
