"""Who viewed a client's record: every view the audit trail holds, with who, what and when.

A view is an audit event of one of the kinds below: a link to one of the client's concerns
opened, a concern read (from its page or the inbox), the client's chronology or network read,
the record exported or an export downloaded. "What" names a concern by its short reference
(the first eight characters of its id, as in its page's address) or names the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.disclosure.officer import check_reach
from handlers.ports import Clock
from store.unit_of_work import UnitOfWork

CONCERN_VIEWS = {
    "link.opened": "Opened a link to the concern",
    "concern.viewed": "Read the concern",
    "concern.seen": "Opened the concern from their inbox",
    "concern.identities_revealed": "Revealed the identities to protect",
}
CLIENT_VIEWS = {
    "client.chronology_viewed": "Read the chronology",
    "client.network_viewed": "Read the network",
    "disclosure.exported": "Exported the record",
    "disclosure.downloaded": "Downloaded an export of the record",
}
UNKNOWN_PERSON = "Someone no longer in the directory"


def concern_reference(concern_id: str) -> str:
    """A concern's short reference: the start of its id, upper case."""
    return concern_id[:8].upper()


@dataclass(frozen=True)
class ViewEvent:
    at: datetime
    who: str
    organisation: str
    what: str  # the concern's short reference, or "" for the client's pages
    how: str  # what they did, in words


@dataclass(frozen=True)
class ViewersReport:
    client_id: str
    client_reference: str
    events: tuple[ViewEvent, ...]


def view_events(uow: UnitOfWork, client_id: str) -> tuple[ViewEvent, ...]:
    """Every view of the client's record, oldest first (call inside `with uow:`)."""
    concern_ids = [c.id for c in uow.concerns.for_client(client_id)]
    found = uow.exports.audit_about(
        concern_ids=concern_ids,
        concern_actions=CONCERN_VIEWS,
        client_id=client_id,
        client_actions=CLIENT_VIEWS,
    )
    people: dict[str, tuple[str, str]] = {}
    events = []
    for event in found:
        who, organisation = _person(uow, event.actor_id, people)
        events.append(
            ViewEvent(
                at=event.at,
                who=who,
                organisation=organisation,
                what=concern_reference(event.concern_id) if event.concern_id else "",
                how=CONCERN_VIEWS.get(event.action) or CLIENT_VIEWS[event.action],
            )
        )
    return tuple(events)


def who_viewed(
    uow: UnitOfWork, *, practitioner_id: str, client_id: str, clock: Clock
) -> ViewersReport:
    """The who-viewed report for an officer within reach (else NotAnOfficer); audited."""
    with uow:
        client = check_reach(
            uow,
            practitioner_id=practitioner_id,
            client_id=client_id,
            purpose="viewers",
            clock=clock,
        )
        report = ViewersReport(client.id, client.reference, view_events(uow, client.id))
        uow.audit(
            "disclosure.viewers_reported",
            at=clock.now(),
            actor_id=practitioner_id,
            subject=client.id,
            detail={"shown": len(report.events)},
        )
        uow.commit()
        return report


def _person(
    uow: UnitOfWork, practitioner_id: str | None, known: dict[str, tuple[str, str]]
) -> tuple[str, str]:
    if practitioner_id is None:
        return UNKNOWN_PERSON, ""
    if practitioner_id not in known:
        person = uow.directory.practitioner(practitioner_id)
        known[practitioner_id] = (
            (person.name, person.organisation.name) if person else (UNKNOWN_PERSON, "")
        )
    return known[practitioner_id]
