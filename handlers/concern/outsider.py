"""Raise about any child, by an exact identifier, from outside the child's network.

Whether a child is known to Flare is itself sensitive, so the raiser learns nothing of it:
whatever the identifier matched, they get the same `SentAboutChild` (no count, no names), and
their delivery (role "outsider") opens no page and lists nothing, and their receipt (no link)
says only that the lead professional acknowledged it. Both paths make the same digest and
look-ups and write one concern, its entry, deliveries and pointers; only the first raise about
an unknown child adds its unconfirmed client (tests bound the difference in statements).

- Matched (NHS number, or name plus date of birth, through the blind index, or the client's
  reference): the concern goes to the network's active lead and deputy.
- Not matched: it goes to the raiser's own organisation's safeguarding lead and duty contact
  (set on the organisation admin page; its admins only while neither is set, so it never goes
  nowhere), about an unconfirmed client that holds the identifier as *reported* (not
  searchable as a real one) until they confirm it (`handlers.network.unconfirmed`).

Name plus date of birth is typed in the same field, `Name, YYYY-MM-DD`
(`handlers.name_and_birth`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime

from handlers.child_identifier import (
    BAD_IDENTIFIER,
    ChildIdentifier,
    blind_digest,
    known_client,
    parse_identifier,
)
from handlers.concern.answers import RaiseAnswers, RaiseConcern, to_command, validate
from handlers.concern.recording import build_concern, earlier_submission, once_per_submission
from handlers.deadlines import WorkingCalendar, organisation_deadline
from handlers.invalid import Invalid
from handlers.network.unconfirmed import REPORTED, UNCONFIRMED_LABEL
from handlers.outbox.delivery import add_delivery, enqueue_pointer
from handlers.ports import Clock
from handlers.values import ConcernStatus, DeliveryRole, PointerKind, Role
from store.models import Client, ClientIdentifier, Concern, Delivery, Practitioner, new_id
from store.sealed import ClientField, IdentifierField
from store.unit_of_work import UnitOfWork

SENT = (
    "Sent to the people responsible for this child's safety; "
    "you will be told when it is acknowledged"
)
PENDING = "__identifier__"  # stands for the client until the identifier is matched


@dataclass(frozen=True)
class SentAboutChild:
    """The same for every raise from outside: nothing says whether the child was known."""

    concern_id: str
    message: str = SENT


def raise_about_child(
    uow: UnitOfWork,
    answers: RaiseAnswers,
    *,
    identifier: str,
    raiser_id: str,
    clock: Clock,
    calendar: WorkingCalendar,
    via: str = "web",
) -> SentAboutChild | Invalid:
    """Check the answers and the identifier's shape, then send it where it must go, once."""
    child = parse_identifier(identifier, today=clock.now().date())
    cmd, errors = to_command(
        replace(answers, client=PENDING), raiser_id, with_recipients=False, via=via
    )
    errors = {**errors, **validate(cmd)}
    if isinstance(child, Invalid):
        errors.update(child.errors)
    if errors or isinstance(child, Invalid):
        return Invalid(errors)
    return once_per_submission(
        uow,
        write=lambda: _send(uow, cmd, child, clock, calendar),
        earlier=lambda: _earlier(uow, cmd),
    )


def _earlier(uow: UnitOfWork, cmd: RaiseConcern) -> SentAboutChild | Invalid | None:
    earlier = earlier_submission(uow, cmd)
    if earlier is None or isinstance(earlier, Invalid):
        return earlier
    return SentAboutChild(earlier.id)


def _send(
    uow: UnitOfWork,
    cmd: RaiseConcern,
    child: ChildIdentifier,
    clock: Clock,
    calendar: WorkingCalendar,
) -> SentAboutChild | Invalid:
    raiser = uow.directory.practitioner(cmd.raiser_id)
    if raiser is None or not raiser.active:
        return Invalid({"identifier": BAD_IDENTIFIER})
    now = clock.now()
    blind = blind_digest(uow, child)
    known = known_client(uow, child, blind)
    reported = uow.directory.client_by_blind(REPORTED + child.kind, blind)
    # Both look-ups on both paths, so the work does not tell one from the other.
    recipients = network_heads(uow, known.id if known else "")
    own = [(p, DeliveryRole.DUTY) for p in own_safeguarding(uow, raiser)]
    client = known if known and recipients else None
    if client is None:
        client = reported or _unconfirmed(uow, child, blind, at=now)
        recipients = own
    concern = _concern(uow, replace(cmd, client_id=client.id), raiser, now, calendar)
    sent = _deliver(uow, concern, recipients, raiser_id=raiser.id, at=now)
    _audit(uow, cmd, concern, sent, matched=client is known, at=now)
    uow.commit()
    return SentAboutChild(concern.id)


def known_or_unconfirmed(uow: UnitOfWork, child: ChildIdentifier, *, at: datetime) -> Client:
    """The client the identifier names, or the unconfirmed one it was reported as (or a new one)."""
    blind = blind_digest(uow, child)
    known = known_client(uow, child, blind)
    if known is not None:
        return known
    reported = uow.directory.client_by_blind(REPORTED + child.kind, blind)
    return reported or _unconfirmed(uow, child, blind, at=at)


def network_heads(uow: UnitOfWork, client_id: str) -> list[tuple[Practitioner, DeliveryRole]]:
    """The network's active lead and deputy: where a concern from outside goes."""
    heads = []
    for membership in uow.directory.network(client_id):
        role = Role(membership.role)
        if role in (Role.LEAD, Role.DEPUTY) and membership.practitioner.active:
            heads.append((membership.practitioner, DeliveryRole(role.value)))
    return heads


def own_safeguarding(uow: UnitOfWork, raiser: Practitioner) -> list[Practitioner]:
    """The raiser's organisation's active safeguarding lead and duty contact (its admins
    while it names neither), the raiser left out."""
    organisation = raiser.organisation
    people: dict[str, Practitioner] = {}
    for holder in (organisation.safeguarding_lead_id, organisation.duty_contact_id):
        person = uow.directory.practitioner(holder) if holder else None
        if person is not None and person.active:
            people[person.id] = person
    if not people:  # a fallback, so that a concern never goes nowhere
        people = {admin.id: admin for admin in uow.directory.admins_of(organisation.id)}
        people = {pid: p for pid, p in people.items() if p.active}
    people.pop(raiser.id, None)
    return list(people.values())


def _unconfirmed(uow: UnitOfWork, child: ChildIdentifier, blind: str, *, at: datetime) -> Client:
    """A client not yet identified, holding the identifier as reported (not searchable as one)."""
    client = Client(id=new_id(), reference=f"NEW-{secrets.token_hex(5).upper()}", created_at=at)
    client.data_key_id = uow.vault.create_key("client")
    uow.sealed.client(client).seal(ClientField.LABEL, UNCONFIRMED_LABEL)
    uow.directory.add(client)
    ident = ClientIdentifier(
        id=new_id(), client_id=client.id, kind=REPORTED + child.kind, blind=blind
    )
    uow.sealed.identifier(client, ident).seal(IdentifierField.VALUE, child.raw)
    uow.directory.add(ident)
    uow.flush()
    return client


def _concern(
    uow: UnitOfWork,
    cmd: RaiseConcern,
    raiser: Practitioner,
    now: datetime,
    calendar: WorkingCalendar,
) -> Concern:
    policy = raiser.organisation.policy
    return build_concern(
        uow,
        cmd,
        raiser=raiser,
        status=ConcernStatus.OPEN,
        rationale=cmd.rationale,
        acknowledge_by=organisation_deadline(cmd.severity, now, calendar, policy),
        raiser_role=DeliveryRole.OUTSIDER,
        at=now,
    )


def _deliver(
    uow: UnitOfWork,
    concern: Concern,
    recipients: list[tuple[Practitioner, DeliveryRole]],
    *,
    raiser_id: str,
    at: datetime,
) -> list[Delivery]:
    deliveries = [
        add_delivery(
            uow, concern.id, person.id, role=role.value, platform=person.preferred_platform, at=at
        )
        for person, role in recipients
        if person.id != raiser_id
    ]
    for delivery in deliveries:
        enqueue_pointer(uow, delivery, PointerKind.NEW_CONCERN, key=f"raise:{delivery.id}", at=at)
    return deliveries


def _audit(
    uow: UnitOfWork,
    cmd: RaiseConcern,
    concern: Concern,
    sent: list[Delivery],
    *,
    matched: bool,
    at: datetime,
) -> None:
    uow.audit(
        "concern.raised",
        at=at,
        actor_id=cmd.raiser_id,
        concern_id=concern.id,
        subject=concern.client_id,
        detail={
            "category": cmd.category.value,
            "severity": cmd.severity.value,
            "lawful_basis": cmd.lawful_basis.value,
            "recipients": len(sent),
            "outsider": True,
            "matched": matched,
            "via": cmd.via,
        },
    )
    uow.audit(
        "concern.routed",
        at=at,
        actor_id=cmd.raiser_id,
        concern_id=concern.id,
        detail={"recipients": sorted(d.recipient_id for d in sent)},
    )
