"""Who can I share with? The client's network, and whom the routing policy recommends."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.values import Category, Role, Severity
from store.unit_of_work import UnitOfWork

# Which agencies a medium or low concern of each category is most relevant to.
RELEVANT_KINDS: dict[Category, frozenset[str]] = {
    Category.HEALTH: frozenset({"health"}),
    Category.EDUCATION: frozenset({"school"}),
    Category.HOUSING: frozenset({"housing"}),
}


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


@dataclass(frozen=True)
class ShareOptions:
    client_id: str
    client_reference: str
    members: tuple[NetworkMember, ...]

    @property
    def recommended_ids(self) -> frozenset[str]:
        return frozenset(m.practitioner_id for m in self.members if m.recommended)


class NotInNetwork(Exception):
    """The practitioner cannot raise about, or see, this client."""


def recommend(
    role: Role, org_kind: str, category: Category, severity: Severity
) -> tuple[bool, str]:
    """The routing policy: lead and deputy always; others by severity or relevance."""
    if role in (Role.LEAD, Role.DEPUTY):
        return True, "Leads the network" if role is Role.LEAD else "Deputises for the lead"
    if severity in (Severity.IMMEDIATE, Severity.HIGH):
        return True, f"{severity.label} severity goes to the whole network"
    if org_kind in RELEVANT_KINDS.get(category, frozenset()):
        return True, f"Relevant to {category.label.lower()}"
    return False, "Not needed for this category and severity"


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
    members = []
    for membership in uow.directory.network(client_id):
        person = membership.practitioner
        if person.id == raiser_id or not person.active:
            continue
        role = Role(membership.role)
        recommended, why = recommend(role, person.organisation.kind, category, severity)
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
            )
        )
    order = {Role.LEAD: 0, Role.DEPUTY: 1, Role.MEMBER: 2}
    members.sort(key=lambda m: (order[m.role], m.name))
    return ShareOptions(client.id, client.reference, tuple(members))
