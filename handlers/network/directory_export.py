"""The directory as rows again: `flare directory export`, and what a full import would change.

An export writes exactly what `flare directory import` reads, so import -> export -> import
changes nothing. Client names, NHS numbers and dates of birth are decrypted only here, for an
operator; the audit row counts rows and never names anyone. Practitioners who left are not
exported, nor their memberships: a full import of the file would deactivate them again anyway.
"""

from __future__ import annotations

from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import chain

from handlers.name_and_birth import NAME_AND_BIRTH, born_on
from handlers.network.administration import roles_of
from handlers.network.directory_checks import Progress
from handlers.network.directory_rows import DirectoryRow, derived_platform
from handlers.network.workspaces import Declared
from store.crypto import (
    CryptoError,
    InvalidIdentifier,
    normalise_nhs_number,
    parse_date_of_birth,
)
from store.models import Client, Membership, Organisation, Practitioner
from store.sealed import ClientField, IdentifierField
from store.unit_of_work import UnitOfWork


class UnreadableClient(Exception):
    """A client's name or NHS number cannot be decrypted (a missing key, a damaged row)."""

    def __init__(self, reference: str) -> None:
        super().__init__(
            f"client {reference!r} cannot be decrypted "
            "(a key missing from FLARE_MASTER_KEYS, or a damaged row)"
        )
        self.reference = reference


@dataclass(frozen=True)
class DirectoryExport:
    rows: tuple[DirectoryRow, ...]
    counts: dict[str, int]


@dataclass(frozen=True)
class FullPlan:
    """What a full import would do: rows added and changed, practitioners (de)activated."""

    added: tuple[tuple[str, str], ...]
    changed: tuple[tuple[str, str], ...]
    unchanged: int
    deactivated: tuple[str, ...]  # practitioner refs
    reactivated: tuple[str, ...]


def export_directory(
    uow: UnitOfWork, *, at: datetime, actor: str, output: str, progress: Progress | None = None
) -> DirectoryExport:
    """Every organisation, active practitioner, client and membership, audited by counts."""
    with uow:
        rows = tuple(directory_rows(uow, progress or (lambda _stage: None)))
        counts = dict(sorted(Counter(row.kind for row in rows).items()))
        uow.audit("directory.exported", at=at, detail={"by": actor, "format": output, **counts})
        uow.commit()
    return DirectoryExport(rows, counts)


def directory_rows(uow: UnitOfWork, tick: Progress) -> list[DirectoryRow]:
    """The stored directory as import rows, in an order an import can apply."""
    people = [p for p in uow.directory.practitioners() if p.active]
    clients = uow.directory.clients()
    by_client = {c.id: c.reference for c in clients}
    refs = {p.id: p.ref for p in people}
    memberships = sorted(
        (m for m in uow.directory.memberships() if m.practitioner_id in refs),
        key=lambda m: (by_client[m.client_id], refs[m.practitioner_id]),
    )
    rows: list[DirectoryRow] = []
    for row in chain(
        (_organisation(uow, org) for org in sorted(uow.directory.organisations(), key=_ref)),
        (_practitioner(p) for p in sorted(people, key=_ref)),
        (_client(uow, c) for c in clients),
        (_membership(m, by_client, refs) for m in memberships),
    ):
        rows.append(replace(row, line=len(rows) + 2))  # the CSV's line: after the header
        tick("exported")
    return rows


def _ref(row: Organisation | Practitioner) -> str:
    return row.ref


def _organisation(uow: UnitOfWork, org: Organisation) -> DirectoryRow:
    return DirectoryRow(
        line=0,
        kind="organisation",
        ref=org.ref,
        name=org.name,
        role=org.kind,
        slack_workspaces=" ".join(uow.directory.declared_workspaces(org.id, "slack")),
        entra_tenants=" ".join(uow.directory.declared_workspaces(org.id, "entra")),
    )


def _practitioner(person: Practitioner) -> DirectoryRow:
    return DirectoryRow(
        line=0,
        kind="practitioner",
        ref=person.ref,
        name=person.name,
        organisation=person.organisation.ref,
        email=person.email or "",
        role=person.job_title,
        platform=person.preferred_platform,
        slack_team=person.slack_team_id or "",
        slack_user=person.slack_user_id or "",
        teams_tenant=person.teams_tenant_id or "",
        teams_user=person.teams_aad_object_id or "",
        directory_roles=" ".join(roles_of(person)),
    )


def _client(uow: UnitOfWork, client: Client) -> DirectoryRow:
    try:
        label = uow.sealed.client(client).open(ClientField.LABEL)
        values = {
            ident.kind: uow.sealed.identifier(client, ident).open(IdentifierField.VALUE)
            for ident in uow.directory.identifiers(client.id)
            if ident.kind in ("nhs_number", NAME_AND_BIRTH)
        }
    except CryptoError:
        raise UnreadableClient(client.reference) from None
    return DirectoryRow(
        line=0,
        kind="client",
        ref=client.reference,
        name=label,
        nhs_number=values.get("nhs_number", ""),
        date_of_birth=born_on(values.get(NAME_AND_BIRTH, "")),
    )


def _membership(m: Membership, clients: dict[str, str], people: dict[str, str]) -> DirectoryRow:
    return DirectoryRow(
        line=0,
        kind="membership",
        ref=people[m.practitioner_id],
        client=clients[m.client_id],
        role=m.role,
    )


def full_plan(uow: UnitOfWork, rows: list[DirectoryRow]) -> FullPlan:
    """Compare the file with the stored directory (both as export rows), row by row."""
    stored = {row.key: row for row in directory_rows(uow, lambda _stage: None)}
    added, changed = [], []
    for row in rows:
        before = stored.get(row.key)
        if before is None:
            added.append(row.key)
        elif _canonical(before) != _canonical(_as_stored(row, before)):
            changed.append(row.key)
    in_file = {row.ref for row in rows if row.kind == "practitioner"}
    everyone = uow.directory.practitioners()
    reactivated = [p for p in everyone if not p.active and p.ref in in_file]
    for person in reactivated:  # not exported, so counted as added above: it is a change
        added.remove(("practitioner", person.ref))
        changed.append(("practitioner", person.ref))
    return FullPlan(
        added=tuple(added),
        changed=tuple(changed),
        unchanged=len(rows) - len(added) - len(changed),
        deactivated=tuple(sorted(p.ref for p in everyone if p.active and p.ref not in in_file)),
        reactivated=tuple(sorted(p.ref for p in reactivated)),
    )


def _as_stored(row: DirectoryRow, before: DirectoryRow) -> DirectoryRow:
    """The row as an export would write it after importing it over `before`."""
    if row.kind == "organisation":
        declared = Declared.from_cells(row.slack_workspaces, row.entra_tenants)
        return replace(
            row,
            role=row.role or "agency",
            slack_workspaces=" ".join(sorted(set(declared.slack))),
            entra_tenants=" ".join(sorted(set(declared.entra))),
        )
    if row.kind == "practitioner":
        return replace(
            row,
            email=row.email.strip().lower(),
            role=row.role or before.role,  # an empty role keeps the job title
            platform=derived_platform(row),
            teams_tenant=row.teams_tenant.lower(),
        )
    if row.kind == "client":  # an empty number or date of birth keeps the stored one
        return replace(
            row,
            nhs_number=row.nhs_number or before.nhs_number,
            date_of_birth=row.date_of_birth or before.date_of_birth,
        )
    return row


def _canonical(row: DirectoryRow) -> dict[str, str]:
    cells = row.cells()
    with suppress(InvalidIdentifier):  # a bad number or date was refused by the checks already
        if row.nhs_number:
            cells["nhs_number"] = normalise_nhs_number(row.nhs_number)
        if row.date_of_birth:
            cells["date_of_birth"] = parse_date_of_birth(row.date_of_birth).isoformat()
    return cells
