"""A client's chronology: every concern and follow-up about them, newest first.

The client's network may open it. A network member sees every shared concern's date,
kind, severity and who raised it; the words (what was noticed, what is to be done) only
for the concerns that were shared with them — narrowing a concern keeps its content narrow.
A recorded decision not to share appears only to those who may see it (its raiser, their
organisation's safeguarding lead and DPO: `network.access.may_show`), never to the network.
Someone outside the network who oversees a decision not to share about the client (their
organisation's safeguarding lead or DPO) opens the record too, and sees those decisions only
(`network.access.decisions_overseen`); anyone else is refused, and the refusal audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from handlers.deadlines import LONDON
from handlers.follow_through.follow_ups import view_follow_up
from handlers.network.access import decisions_overseen, may_show, member_of
from handlers.network.members import client_label, member_client
from handlers.ports import Clock
from handlers.values import Category, ConcernStatus, Severity
from store.crypto import CryptoError
from store.models import Client, Concern
from store.sealed import EntryField
from store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ChronologyFilters:
    category: Category | None = None
    severity: Severity | None = None
    organisation_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class ChronologyEvent:
    kind: str  # "concern" or "follow_up"
    at: datetime
    concern_id: str
    category: Category
    severity: Severity
    person: str  # who raised the concern, or who owns the follow-up
    organisation: str
    status: str
    shared_with_me: bool
    text: str  # "" unless the concern was shared with the reader
    due_at: datetime | None = None
    overdue: bool = False


@dataclass(frozen=True)
class OrganisationChoice:
    organisation_id: str
    name: str


@dataclass(frozen=True)
class Chronology:
    client_id: str
    client_reference: str
    client_label: str
    events: tuple[ChronologyEvent, ...]
    organisations: tuple[OrganisationChoice, ...]
    total: int
    in_network: bool = True  # False: the reader oversees decisions here, and sees only those


def chronology(
    uow: UnitOfWork,
    *,
    client_id: str,
    practitioner_id: str,
    filters: ChronologyFilters,
    clock: Clock,
) -> Chronology:
    """The client's concerns and follow-ups for a network member (or the decisions not to
    share about them for one who oversees those); audited either way."""
    with uow:
        client, in_network, concerns = _record_for(uow, client_id, practitioner_id, clock)
        now = clock.now()
        events: list[tuple[ChronologyEvent, str]] = []
        for concern in concerns:
            shared = may_show(uow, practitioner_id, concern)
            if concern.status == ConcernStatus.NOT_SHARED and not shared:
                continue
            events.extend(_events(uow, concern, shared, now))
        organisations = {org_id: _org_name(uow, org_id) for _, org_id in events}
        chosen = tuple(e for e, org_id in events if _matches(e, org_id, filters))
        view = Chronology(
            client_id=client.id,
            client_reference=client.reference,
            client_label=client_label(uow, client),
            events=tuple(sorted(chosen, key=_newest_first, reverse=True)),
            organisations=tuple(
                OrganisationChoice(org_id, name)
                for org_id, name in sorted(organisations.items(), key=lambda kv: kv[1])
            ),
            total=len(events),
            in_network=in_network,
        )
        uow.audit(
            "client.chronology_viewed",
            at=now,
            actor_id=practitioner_id,
            subject=client.id,
            detail={"shown": len(view.events), "in_network": in_network},
        )
        uow.commit()
        return view


def _record_for(
    uow: UnitOfWork, client_id: str, practitioner_id: str, clock: Clock
) -> tuple[Client, bool, Sequence[Concern]]:
    """The client, whether the reader is in its network, and the concerns to consider: all
    of the client's for a member, only the decisions they oversee for anyone else."""
    client = uow.directory.client(client_id)
    if client is not None and member_of(uow, client.id, practitioner_id) is not None:
        return client, True, uow.concerns.for_client(client.id)
    overseen = decisions_overseen(uow, practitioner_id, client_id=client_id) if client else ()
    if client is None or not overseen:  # refused, and the refusal audited
        page = "chronology"
        client = member_client(
            uow, client_id=client_id, practitioner_id=practitioner_id, page=page, clock=clock
        )
    return client, False, overseen


def _events(
    uow: UnitOfWork, concern: Concern, shared: bool, now: datetime
) -> list[tuple[ChronologyEvent, str]]:
    raiser = uow.directory.practitioner(concern.raiser_id)
    assert raiser is not None
    category, severity = Category(concern.category), Severity(concern.severity)
    found = [
        (
            ChronologyEvent(
                kind="concern",
                at=concern.created_at,
                concern_id=concern.id,
                category=category,
                severity=severity,
                person=raiser.name,
                organisation=raiser.organisation.name,
                status=concern.status,
                shared_with_me=shared,
                text=_first_entry(uow, concern) if shared else "",
            ),
            raiser.organisation_id,
        )
    ]
    for follow_up in uow.concerns.follow_ups(concern.id):
        owner = uow.directory.practitioner(follow_up.owner_id)
        assert owner is not None
        view = view_follow_up(uow, concern, follow_up, now)
        found.append(
            (
                ChronologyEvent(
                    kind="follow_up",
                    at=follow_up.created_at,
                    concern_id=concern.id,
                    category=category,
                    severity=severity,
                    person=owner.name,
                    organisation=owner.organisation.name,
                    status=follow_up.state,
                    shared_with_me=shared,
                    text=view.action if shared else "",
                    due_at=follow_up.due_at,
                    overdue=view.overdue,
                ),
                owner.organisation_id,
            )
        )
    return found


def _newest_first(event: ChronologyEvent) -> tuple[datetime, bool]:
    """By time; at the same moment a follow-up comes after (so above) its concern."""
    return event.at, event.kind == "follow_up"


def _first_entry(uow: UnitOfWork, concern: Concern) -> str:
    entries = uow.concerns.entries(concern.id)
    if not entries or concern.data_key_id is None or entries[0].body_ct is None:
        return ""
    first = entries[0]
    try:
        return uow.sealed.entry(concern, first).open(EntryField.BODY)
    except CryptoError:
        return ""


def _org_name(uow: UnitOfWork, org_id: str) -> str:
    org = uow.directory.organisation(org_id)
    return org.name if org else ""


def _matches(event: ChronologyEvent, org_id: str, filters: ChronologyFilters) -> bool:
    day = event.at.astimezone(LONDON).date()
    return (
        (filters.category is None or event.category is filters.category)
        and (filters.severity is None or event.severity is filters.severity)
        and (filters.organisation_id is None or org_id == filters.organisation_id)
        and (filters.date_from is None or day >= filters.date_from)
        and (filters.date_to is None or day <= filters.date_to)
    )
