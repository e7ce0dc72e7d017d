"""The directory: organisations, practitioners, clients (encrypted) and networks.

`import_directory` checks every row (handlers.network.directory_checks) and then applies all
or none; re-importing updates by `ref`. A full import also reinstates the practitioners in
the file and deactivates (handlers.network.leavers) everyone else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from handlers.name_and_birth import NAME_AND_BIRTH, joined, stored_birth
from handlers.network import workspaces
from handlers.network.administration import directory_roles, grant_roles
from handlers.network.directory_checks import Progress, problems
from handlers.network.directory_export import FullPlan, full_plan
from handlers.network.directory_rows import (
    OPTIONAL_COLUMNS,
    ORG_KINDS,
    PLATFORMS,
    DirectoryRow,
    derived_platform,
)
from handlers.network.leavers import deactivate
from handlers.network.workspaces import Declared
from store.crypto import InvalidIdentifier
from store.models import Client, ClientIdentifier, Membership, Organisation, Practitioner, new_id
from store.sealed import ClientField, IdentifierField
from store.unit_of_work import UnitOfWork

__all__ = [
    "OPTIONAL_COLUMNS",
    "ORG_KINDS",
    "PLATFORMS",
    "DirectoryRow",
    "ImportReport",
    "Progress",
    "add_identifier",
    "find_client",
    "import_directory",
    "new_client",
]


@dataclass
class ImportReport:
    errors: list[tuple[int, str]] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    plan: FullPlan | None = None  # a full import's: what it changes (or would)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def new_client(uow: UnitOfWork, *, reference: str, label: str, at: datetime) -> Client:
    client = Client(id=new_id(), reference=reference, created_at=at)
    client.data_key_id = uow.vault.create_key("client")
    uow.sealed.client(client).seal(ClientField.LABEL, label)
    uow.directory.add(client)
    return client


def add_identifier(uow: UnitOfWork, client: Client, kind: str, raw: str) -> ClientIdentifier:
    blind = uow.vault.blind_index().digest(kind, raw)
    ident = ClientIdentifier(id=new_id(), client_id=client.id, kind=kind, blind=blind)
    uow.sealed.identifier(client, ident).seal(IdentifierField.VALUE, raw.strip())
    uow.directory.add(ident)
    return ident


def find_client(uow: UnitOfWork, *, raw: str, kinds: Iterable[str]) -> Client | None:
    """Match a typed identifier through the blind index (never a plaintext search)."""
    index = uow.vault.blind_index()
    for kind in kinds:
        try:
            found = uow.directory.client_by_blind(kind, index.digest(kind, raw))
        except InvalidIdentifier:
            continue
        if found is not None:
            return found
    return None


def import_directory(
    uow: UnitOfWork,
    rows: Iterable[DirectoryRow],
    *,
    at: datetime,
    actor: str = "cli",
    progress: Progress | None = None,
    check_only: bool = False,
    full: bool = False,
) -> ImportReport:
    """Validate every row, then apply all or none. Re-importing updates by `ref`.

    With `check_only` nothing is written: the caller already knows the import must fail
    (lines it could not parse) and wants every other problem reported too, or (with `full`)
    wants the plan: what a full import would add, change and deactivate.
    """
    rows = list(rows)
    report = ImportReport()
    tick = progress or (lambda _stage: None)
    with uow:
        report.errors = problems(uow, rows, tick, full=full, today=at.date())
        if report.ok and full:
            report.plan = full_plan(uow, rows)
        if check_only or not report.ok:
            return report
        for row in rows:
            _apply(uow, row, at, report)
            uow.flush()
            tick("imported")
        detail: dict[str, object] = {"by": actor, "created": report.created}
        detail["updated"] = report.updated
        if report.plan is not None:
            detail.update(_settle_people(uow, report.plan, at=at, actor=actor))
        uow.audit("directory.imported", at=at, detail=detail)
        uow.commit()
        report.applied = True
    return report


def _settle_people(
    uow: UnitOfWork, plan: FullPlan, *, at: datetime, actor: str
) -> dict[str, object]:
    """A full import's last step: reinstate those in the file, deactivate those missing."""
    for ref in plan.reactivated:
        person = uow.directory.practitioner_by_ref(ref)
        assert person is not None
        person.active = True
        uow.audit("practitioner.reactivated", at=at, subject=person.id, detail={"via": actor})
    for ref in plan.deactivated:
        person = uow.directory.practitioner_by_ref(ref)
        assert person is not None
        deactivate(uow, person, at=at, actor_id=None, via=f"{actor}: full import")
    return {
        "full": True,
        "changed": len(plan.changed),
        "reactivated": len(plan.reactivated),
        "deactivated": len(plan.deactivated),
    }


def _count(bucket: dict[str, int], kind: str) -> None:
    bucket[kind] = bucket.get(kind, 0) + 1


def _apply(uow: UnitOfWork, row: DirectoryRow, at: datetime, report: ImportReport) -> None:
    {
        "organisation": _apply_organisation,
        "practitioner": _apply_practitioner,
        "client": _apply_client,
        "membership": _apply_membership,
    }[row.kind](uow, row, at, report)


def _apply_organisation(
    uow: UnitOfWork, row: DirectoryRow, at: datetime, report: ImportReport
) -> None:
    org = uow.directory.organisation_by_ref(row.ref)
    _count(report.updated if org else report.created, row.kind)
    if org is None:
        org = Organisation(id=new_id(), ref=row.ref, created_at=at, policy={})
        uow.directory.add(org)
    org.name, org.kind = row.name, row.role or "agency"
    declared = Declared.from_cells(row.slack_workspaces, row.entra_tenants)
    workspaces.store(uow, org.id, declared, at=at)


def _apply_practitioner(
    uow: UnitOfWork, row: DirectoryRow, at: datetime, report: ImportReport
) -> None:
    org = uow.directory.organisation_by_ref(row.organisation)
    assert org is not None
    person = uow.directory.practitioner_by_ref(row.ref)
    _count(report.updated if person else report.created, row.kind)
    if person is None:
        person = Practitioner(id=new_id(), ref=row.ref, created_at=at)
        uow.directory.add(person)
    person.organisation_id, person.name = org.id, row.name
    if row.role:
        person.job_title = row.role
    person.email = row.email.strip().lower() or None
    person.preferred_platform = derived_platform(row)
    person.slack_team_id, person.slack_user_id = row.slack_team or None, row.slack_user or None
    person.teams_tenant_id = row.teams_tenant.lower() or None
    person.teams_aad_object_id = row.teams_user or None
    if row.directory_roles:  # a filled cell grants; an empty one leaves roles set on the web
        uow.flush()  # the practitioner row exists before an organisation names them
        grant_roles(org, person, directory_roles(row.directory_roles))


def _apply_client(uow: UnitOfWork, row: DirectoryRow, at: datetime, report: ImportReport) -> None:
    client = uow.directory.client_by_reference(row.ref)
    _count(report.updated if client else report.created, row.kind)
    if client is None:
        client = new_client(uow, reference=row.ref, label=row.name, at=at)
    else:
        uow.sealed.client(client).seal(ClientField.LABEL, row.name)
    if row.nhs_number:
        _set_identifier(uow, client, "nhs_number", row.nhs_number)
    born = row.date_of_birth or stored_birth(uow, client)
    if born:  # a changed name changes the name-and-birth identifier too
        _set_identifier(uow, client, NAME_AND_BIRTH, joined(row.name, born, today=None))


def _set_identifier(uow: UnitOfWork, client: Client, kind: str, raw: str) -> None:
    """The client's one identifier of `kind` becomes `raw` (checked: no other client has it)."""
    blind = uow.vault.blind_index().digest(kind, raw)
    current = [i for i in uow.directory.identifiers(client.id) if i.kind == kind]
    if not current:
        add_identifier(uow, client, kind, raw)
        return
    ident = current[0]
    if ident.blind != blind:  # a corrected one replaces the old one, in place
        ident.blind = blind
        uow.sealed.identifier(client, ident).seal(IdentifierField.VALUE, raw.strip())


def _apply_membership(
    uow: UnitOfWork, row: DirectoryRow, at: datetime, report: ImportReport
) -> None:
    client = uow.directory.client_by_reference(row.client)
    person = uow.directory.practitioner_by_ref(row.ref)
    assert client is not None and person is not None
    membership = uow.directory.membership(client.id, person.id)
    _count(report.updated if membership else report.created, row.kind)
    if membership is None:
        membership = Membership(
            id=new_id(), client_id=client.id, practitioner_id=person.id, created_at=at
        )
        uow.directory.add(membership)
    membership.role = row.role
