"""Who may disclose a client's record: the one rule the export and the who-viewed report ask.

A practitioner may disclose a client's record when they are active, are their organisation's
data protection officer or one of its admins, and their organisation is involved with the
client: someone of it is in the client's network (now) or raised a concern about the client
(ever, including a raise from outside the network and a decision not to share). The client is
found by an exact identifier through the blind index (an NHS number, also one reported from
outside and not yet confirmed) or by the client's reference; never by a listing. A client
not found and a client out of reach get the same answer, so neither says the client exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.child_identifier import ChildIdentifier, blind_digest, known_client, parse_identifier
from handlers.dpo_rule import data_protection_officer
from handlers.invalid import Invalid
from handlers.network.unconfirmed import REPORTED
from handlers.ports import Clock
from store.models import Client, Practitioner
from store.unit_of_work import UnitOfWork

NOT_FOUND = "No client your organisation works with has that identifier"
PURPOSES = ("export", "viewers", "download")


class NotAnOfficer(Exception):
    """The signed-in person is neither a data protection officer nor an admin (audited)."""


@dataclass(frozen=True)
class Found:
    client_id: str
    reference: str


def officer(uow: UnitOfWork, practitioner_id: str) -> Practitioner | None:
    """The practitioner, if active and their organisation's DPO or one of its admins."""
    person = uow.directory.practitioner(practitioner_id)
    if person is None or not person.active:
        return None
    if person.is_admin or data_protection_officer(uow, person.id) is not None:
        return person
    return None


def may_disclose(uow: UnitOfWork, practitioner_id: str, client_id: str) -> bool:
    """True when the practitioner may export the client's record or read who viewed it."""
    person = officer(uow, practitioner_id)
    if person is None:
        return False
    org_id = person.organisation_id
    if any(m.practitioner.organisation_id == org_id for m in uow.directory.network(client_id)):
        return True
    for concern in uow.concerns.for_client(client_id):
        raiser = uow.directory.practitioner(concern.raiser_id)
        if raiser is not None and raiser.organisation_id == org_id:
            return True
    return False


def require_officer(uow: UnitOfWork, *, practitioner_id: str, purpose: str, clock: Clock) -> None:
    """Raise NotAnOfficer (the refusal audited and committed) unless they are DPO or admin."""
    if officer(uow, practitioner_id) is None:
        _refused(uow, practitioner_id, purpose, clock)
        raise NotAnOfficer(practitioner_id)


def confirm_officer(uow: UnitOfWork, *, practitioner_id: str, clock: Clock) -> None:
    """NotAnOfficer (audited) unless the practitioner is a DPO or an admin: for the form."""
    with uow:
        require_officer(uow, practitioner_id=practitioner_id, purpose="other", clock=clock)


def find_for_officer(
    uow: UnitOfWork, *, practitioner_id: str, typed: str, purpose: str, clock: Clock
) -> Found | Invalid:
    """The client an officer named by exact identifier, if within their reach; audited."""
    with uow:
        require_officer(uow, practitioner_id=practitioner_id, purpose=purpose, clock=clock)
        child = parse_identifier(typed, today=clock.now().date())
        if isinstance(child, Invalid):
            return child
        client = _matched(uow, child)
        if client is None or not may_disclose(uow, practitioner_id, client.id):
            _refused(uow, practitioner_id, purpose, clock, why="not_found")
            return Invalid({"identifier": NOT_FOUND})
        return Found(client.id, client.reference)


def check_reach(
    uow: UnitOfWork, *, practitioner_id: str, client_id: str, purpose: str, clock: Clock
) -> Client:
    """The client, when the practitioner may disclose it now; else NotAnOfficer (audited).

    Call inside `with uow:`: a refusal is committed before the exception is raised.
    """
    client = uow.directory.client(client_id)
    if client is None or not may_disclose(uow, practitioner_id, client.id):
        _refused(uow, practitioner_id, purpose, clock, why="out_of_reach")
        raise NotAnOfficer(practitioner_id)
    return client


def _matched(uow: UnitOfWork, child: ChildIdentifier) -> Client | None:
    blind = blind_digest(uow, child)
    found = known_client(uow, child, blind)
    if found is None and child.kind != "reference":
        found = uow.directory.client_by_blind(REPORTED + child.kind, blind)
    return found


def _refused(
    uow: UnitOfWork, practitioner_id: str, purpose: str, clock: Clock, *, why: str = "not_officer"
) -> None:
    uow.audit(
        "disclosure.refused",
        at=clock.now(),
        actor_id=practitioner_id,
        detail={"purpose": purpose if purpose in PURPOSES else "other", "why": why},
    )
    uow.commit()
