"""A client's whole record as an export document: a plain dict that is the JSON as written.

Everything about the client and nothing about anyone else: the client's label and
identifiers; every concern (decisions not to share too) with its entries, follow-ups, why it
was or was not shared, who it was shared with and when, and who viewed it; and the views of
the client's own pages. Free text goes through the `Redactor`; each redaction is listed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from enum import Enum
from functools import partial
from typing import Any, TypeVar

from handlers.disclosure.redaction import PROTECTED_IDENTITY, WITHHELD, Redactor, protected_names
from handlers.disclosure.viewers import ViewEvent, concern_reference, view_events
from handlers.values import (
    ConcernStatus,
    FamilyInformed,
    LawfulBasis,
    Outcome,
    SpecialCategoryCondition,
)
from store.crypto import CryptoError
from store.models import Client, Concern, ConcernEntry, FollowUp, Practitioner
from store.sealed import (
    ClientField,
    ConcernField,
    EntryField,
    FollowUpField,
    IdentifierField,
    SealedRow,
    column,
)
from store.unit_of_work import UnitOfWork

FORMAT = "flare-subject-access-export/1"
UNREADABLE = "[unreadable: its key has been shredded]"
Document = dict[str, Any]
_Row = TypeVar("_Row", ConcernEntry, FollowUp)
_Field = TypeVar("_Field", bound=Enum)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _label(
    kind: type[LawfulBasis] | type[FamilyInformed] | type[Outcome] | type[SpecialCategoryCondition],
    value: str | None,
) -> str:
    if not value:
        return ""
    try:
        return str(kind(value).label)
    except ValueError:
        return value  # a value a newer release added: shown as stored


def _opened(read: Callable[[], str]) -> str:
    try:
        return read()
    except CryptoError:
        return UNREADABLE


class _Record:
    """Builds one client's document inside an open unit of work."""

    def __init__(self, uow: UnitOfWork, client: Client, *, include_protected: bool) -> None:
        self.uow, self.client, self.include_protected = uow, client, include_protected
        self.people: dict[str, Practitioner | None] = {}
        self.identifiers = [
            (i.kind, _opened(partial(uow.sealed.identifier(client, i).open, IdentifierField.VALUE)))
            for i in uow.directory.identifiers(client.id)
        ]
        own_nhs = {"".join(c for c in v if c.isdigit()) for k, v in self.identifiers if "nhs" in k}
        self.redactor = Redactor(
            own_reference=client.reference,
            own_nhs_numbers=own_nhs,
            is_other_client=self._other_client,
        )

    def _other_client(self, reference: str) -> bool:
        found = self.uow.directory.client_by_reference(reference)
        return found is not None and found.id != self.client.id

    def person(self, practitioner_id: str | None) -> dict[str, str] | None:
        if practitioner_id is None:
            return None
        if practitioner_id not in self.people:
            self.people[practitioner_id] = self.uow.directory.practitioner(practitioner_id)
        person = self.people[practitioner_id]
        if person is None:
            return {"name": "Someone no longer in the directory", "organisation": ""}
        return {"name": person.name, "organisation": person.organisation.name}

    def concern(self, concern: Concern, views: list[ViewEvent]) -> Document:
        ref = concern_reference(concern.id)
        sealed = self.uow.sealed.concern(concern) if concern.data_key_id else None

        def field(name: ConcernField) -> str:
            return _opened(lambda: sealed.open_or_blank(name)) if sealed else ""

        protected = field(ConcernField.PROTECTED)
        names = (
            [] if self.include_protected or protected == UNREADABLE else protected_names(protected)
        )
        where = f"concern {ref}"

        def text(value: str, part: str) -> str:
            return self.redactor.text(value, where=f"{where}, {part}", protected=names)

        not_shared = concern.status == ConcernStatus.NOT_SHARED
        document: Document = {
            "reference": ref,
            "raised_at": _iso(concern.created_at),
            "raised_by": self.person(concern.raiser_id),
            "category": concern.category,
            "severity": concern.severity,
            "status": concern.status,
            "decision": "not_shared" if not_shared else "shared",
            "lawful_basis": _label(LawfulBasis, concern.lawful_basis),
            "special_category": _label(SpecialCategoryCondition, concern.special_category),
            "family_informed": _label(FamilyInformed, concern.family_informed),
            "family_reason": text(field(ConcernField.FAMILY_REASON), "why the family was not told"),
            "reasons_not_to_share" if not_shared else "why_shared": text(
                (field(ConcernField.NOT_SHARING_REASON) or field(ConcernField.RATIONALE))
                if not_shared
                else field(ConcernField.RATIONALE),
                "reasons not to share" if not_shared else "why it was shared",
            ),
            "why_narrowed": text(field(ConcernField.NARROWING_REASON), "why it was narrowed"),
            "protected_identities": self._protected(protected, where),
            "acknowledged_at": _iso(concern.acknowledged_at),
            "acknowledged_by": self.person(concern.acknowledged_by_id),
            "closed_at": _iso(concern.closed_at),
            "outcome": _label(Outcome, concern.outcome),
            "outcome_note": text(field(ConcernField.OUTCOME_NOTE), "outcome note"),
            "shredded_at": _iso(concern.shredded_at),
        }
        document["entries"], document["follow_ups"] = self._entries_and_follow_ups(concern, text)
        document["shared_with"] = self._shared_with(concern)
        document["viewed_by"] = [_view(v) for v in views if v.what == ref]
        return document

    def _protected(self, protected: str, where: str) -> str:
        if not protected or protected == UNREADABLE or self.include_protected:
            return protected
        self.redactor.note(PROTECTED_IDENTITY, f"{where}, identities to protect")
        return WITHHELD

    def _entries_and_follow_ups(
        self, concern: Concern, text: Callable[[str, str], str]
    ) -> tuple[list[Document], list[Document]]:
        entries = self._rows(
            "entry",
            concern,
            self.uow.concerns.entries(concern.id),
            sealed=self.uow.sealed.entry,
            field=EntryField.BODY,
            shown=self._entry,
            text=text,
        )
        follow_ups = self._rows(
            "follow-up",
            concern,
            self.uow.concerns.follow_ups(concern.id),
            sealed=self.uow.sealed.follow_up,
            field=FollowUpField.NOTE,
            shown=self._follow_up,
            text=text,
        )
        return entries, follow_ups

    def _rows(
        self,
        kind: str,
        concern: Concern,
        rows: Iterable[_Row],
        *,
        sealed: Callable[[Concern, _Row], SealedRow[_Field]],
        field: _Field,
        shown: Callable[[_Row, str], Document],
        text: Callable[[str, str], str],
    ) -> list[Document]:
        """Entries or follow-ups, numbered from 1: each `shown` with its one free-text `field`,
        opened while the concern has its key and redacted as "`kind` N"."""
        found = []
        for number, row in enumerate(rows, start=1):
            opened = ""
            if concern.data_key_id and getattr(row, column(field)) is not None:
                opened = _opened(partial(sealed(concern, row).open, field))
            found.append(shown(row, text(opened, f"{kind} {number}")))
        return found

    def _entry(self, entry: ConcernEntry, body: str) -> Document:
        return {
            "at": _iso(entry.created_at),
            "kind": entry.kind,
            "by": self.person(entry.author_id),
            "text": body,
        }

    def _follow_up(self, follow_up: FollowUp, note: str) -> Document:
        return {
            "created_at": _iso(follow_up.created_at),
            "created_by": self.person(follow_up.created_by_id),
            "owner": self.person(follow_up.owner_id),
            "due_at": _iso(follow_up.due_at),
            "state": follow_up.state,
            "done_at": _iso(follow_up.done_at),
            "action": note,
        }

    def _shared_with(self, concern: Concern) -> list[Document]:
        return [
            {
                "person": self.person(d.recipient_id),
                "role": d.role,
                "platform": d.platform,
                "shared_at": _iso(d.created_at),
                "delivered_at": _iso(d.delivered_at),
                "opened_at": _iso(d.opened_at),
                "first_read_at": _iso(d.viewed_at),
                "last_read_at": _iso(d.last_viewed_at),
                "acknowledged_at": _iso(d.acknowledged_at),
            }
            for d in sorted(self.uow.concerns.deliveries(concern.id), key=lambda d: d.created_at)
        ]


def _view(event: ViewEvent) -> Document:
    return {
        "at": _iso(event.at),
        "who": {"name": event.who, "organisation": event.organisation},
        "what": event.what or "the client's pages",
        "how": event.how,
    }


def client_record(
    uow: UnitOfWork, client: Client, *, include_protected: bool
) -> tuple[Document, int]:
    """The client's document (without the export's own details) and how many redactions."""
    record = _Record(uow, client, include_protected=include_protected)
    views = list(view_events(uow, client.id))
    concerns = sorted(uow.concerns.for_client(client.id), key=lambda c: c.created_at)
    label = _opened(lambda: uow.sealed.client(client).open(ClientField.LABEL))
    document: Document = {
        "format": FORMAT,
        "client": {
            "reference": client.reference,
            "label": label,
            "identifiers": [{"kind": k, "value": v} for k, v in record.identifiers],
            "legal_hold": client.legal_hold_at is not None,
        },
        "protected_identities_included": include_protected,
        "concerns": [record.concern(c, views) for c in concerns],
        "client_pages_viewed": [_view(v) for v in views if not v.what],
    }
    document["redactions"] = [r.as_dict() for r in record.redactor.redactions]
    return document, len(record.redactor.redactions)
