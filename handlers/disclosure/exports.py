"""Subject access exports: made by an officer, sealed, downloadable by them only, expiring.

`create_export` checks the officer's reach (handlers.disclosure.officer), builds the
client's record (handlers.disclosure.record), seals it as JSON under a data key of its own
and audits it: who, which client, whether protected identities were included, how many
concerns and redactions (never a word of the record). `open_export` hands the document back
to its creator only, while they are still within reach and before it expires; an expired
export is forgotten on the spot (its key shredded, its row deleted), and the sweep
`forget_expired_exports` forgets the ones nobody came back for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from handlers.disclosure.officer import check_reach, require_officer
from handlers.disclosure.record import Document, client_record
from handlers.ports import Clock
from store.models import SubjectAccessExport, new_id
from store.sealed import ExportField
from store.unit_of_work import UnitOfWork

EXPORT_HOURS = 24  # how long an export can be downloaded, from when it was made
FORMATS = ("html", "json")


@dataclass(frozen=True)
class ExportMade:
    export_id: str
    expires_at: datetime
    redactions: int


@dataclass(frozen=True)
class OpenedExport:
    export_id: str
    document: Document
    created_at: datetime
    expires_at: datetime

    def json(self) -> str:
        return json.dumps(self.document, ensure_ascii=False, indent=2)


class ExportGone(Exception):
    """No such export for this person now: never made, someone else's, or expired."""


def create_export(
    uow: UnitOfWork,
    *,
    practitioner_id: str,
    client_id: str,
    include_protected: bool,
    clock: Clock,
) -> ExportMade:
    """Seal the client's record for the officer (NotAnOfficer if out of reach); audited."""
    with uow:
        require_officer(uow, practitioner_id=practitioner_id, purpose="export", clock=clock)
        client = check_reach(
            uow, practitioner_id=practitioner_id, client_id=client_id, purpose="export", clock=clock
        )
        now = clock.now()
        export = SubjectAccessExport(
            id=new_id(),
            client_id=client.id,
            creator_id=practitioner_id,
            data_key_id=uow.vault.create_key("export"),
            protected_included=include_protected,
            created_at=now,
            expires_at=now + timedelta(hours=EXPORT_HOURS),
        )
        document, redactions = client_record(uow, client, include_protected=include_protected)
        document["export"] = _about(uow, export, practitioner_id)
        uow.sealed.export(export).seal(ExportField.PAYLOAD, json.dumps(document))
        uow.exports.add(export)
        uow.audit(
            "disclosure.exported",
            at=now,
            actor_id=practitioner_id,
            subject=client.id,
            detail={
                "export": export.id,
                "protected_included": include_protected,
                "concerns": len(document["concerns"]),
                "redactions": redactions,
            },
        )
        uow.commit()
        return ExportMade(export.id, export.expires_at, redactions)


def _about(uow: UnitOfWork, export: SubjectAccessExport, practitioner_id: str) -> dict[str, Any]:
    creator = uow.directory.practitioner(practitioner_id)
    assert creator is not None
    return {
        "id": export.id,
        "made_at": export.created_at.isoformat(),
        "expires_at": export.expires_at.isoformat(),
        "made_by": {"name": creator.name, "organisation": creator.organisation.name},
    }


def open_export(
    uow: UnitOfWork, *, export_id: str, practitioner_id: str, form: str, clock: Clock
) -> OpenedExport:
    """The export for its creator, in reach and before expiry (else ExportGone); audited."""
    with uow:
        now = clock.now()
        export = uow.exports.get(export_id)
        if export is not None and export.expires_at <= now:
            _forget(uow, export, now)  # committed with the refusal below: one commit
            export = None
        if export is None or export.creator_id != practitioner_id:
            uow.audit(
                "disclosure.refused",
                at=now,
                actor_id=practitioner_id,
                detail={"purpose": "download", "why": "gone"},
            )
            uow.commit()
            raise ExportGone(export_id)
        check_reach(
            uow,
            practitioner_id=practitioner_id,
            client_id=export.client_id,
            purpose="download",
            clock=clock,
        )
        document = json.loads(uow.sealed.export(export).open(ExportField.PAYLOAD))
        uow.audit(
            "disclosure.downloaded",
            at=now,
            actor_id=practitioner_id,
            subject=export.client_id,
            detail={"export": export.id, "format": form if form in FORMATS else "other"},
        )
        uow.commit()
        return OpenedExport(export.id, document, export.created_at, export.expires_at)


def forget_expired_exports(uow: UnitOfWork, clock: Clock) -> int:
    """The sweep: shred and delete every export past its expiry; how many went."""
    with uow:
        now = clock.now()
        gone = 0
        for export in uow.exports.expired(now):
            _forget(uow, export, now)
            gone += 1
        uow.commit()
        return gone


def _forget(uow: UnitOfWork, export: SubjectAccessExport, now: datetime) -> None:
    uow.vault.shred(export.data_key_id)
    uow.exports.delete(export)
    uow.audit("disclosure.expired", at=now, subject=export.client_id, detail={"export": export.id})
