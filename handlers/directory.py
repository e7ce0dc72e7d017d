"""The directory: organisations, practitioners, clients (encrypted) and networks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from handlers.values import Role
from store.crypto import InvalidIdentifier
from store.models import Client, ClientIdentifier, Membership, Organisation, Practitioner, new_id
from store.unit_of_work import UnitOfWork

ORG_KINDS = ("children_centre", "school", "children_services", "health", "housing", "agency")
PLATFORMS = ("slack", "teams", "playground")


@dataclass(frozen=True)
class DirectoryRow:
    """One line of a directory import (see `flare directory import --help`)."""

    line: int
    kind: str
    ref: str
    name: str = ""
    organisation: str = ""
    email: str = ""
    role: str = ""
    nhs_number: str = ""
    platform: str = ""
    slack_team: str = ""
    slack_user: str = ""
    teams_tenant: str = ""
    teams_user: str = ""
    client: str = ""


@dataclass
class ImportReport:
    errors: list[tuple[int, str]] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def new_client(uow: UnitOfWork, *, reference: str, label: str, at: datetime) -> Client:
    client = Client(id=new_id(), reference=reference, created_at=at)
    client.data_key_id = uow.vault.create_key("client")
    client.label_ct = uow.vault.cipher(client.data_key_id, "clients", client.id).seal(
        "label", label
    )
    uow.directory.add(client)
    return client


def add_identifier(uow: UnitOfWork, client: Client, kind: str, raw: str) -> ClientIdentifier:
    blind = uow.vault.blind_index().digest(kind, raw)
    ident = ClientIdentifier(id=new_id(), client_id=client.id, kind=kind, blind=blind)
    ident.value_ct = uow.vault.cipher(client.data_key_id, "client_identifiers", ident.id).seal(
        "value", raw.strip()
    )
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
    uow: UnitOfWork, rows: Iterable[DirectoryRow], *, at: datetime, actor: str = "cli"
) -> ImportReport:
    """Validate every row, then apply all or none. Re-importing updates by `ref`."""
    rows = list(rows)
    report = ImportReport()
    with uow:
        _validate(uow, rows, report)
        if not report.ok:
            return report
        for row in rows:
            _apply(uow, row, at, report)
            uow.flush()
        uow.audit(
            "directory.imported",
            at=at,
            detail={"by": actor, "created": report.created, "updated": report.updated},
        )
        uow.commit()
    return report


def _validate(uow: UnitOfWork, rows: list[DirectoryRow], report: ImportReport) -> None:
    orgs = {r.ref for r in rows if r.kind == "organisation"}
    people = {r.ref for r in rows if r.kind == "practitioner"}
    clients = {r.ref for r in rows if r.kind == "client"}
    seen: set[tuple[str, str]] = set()
    index = uow.vault.blind_index()
    for row in rows:
        problem = _problem(uow, row, orgs, people, clients, index)
        key = (row.kind, row.ref if row.kind != "membership" else f"{row.client}/{row.ref}")
        if problem is None and key in seen:
            problem = f"{row.kind} {key[1]!r} appears twice"
        seen.add(key)
        if problem:
            report.errors.append((row.line, problem))


def _problem(
    uow: UnitOfWork,
    row: DirectoryRow,
    orgs: set[str],
    people: set[str],
    clients: set[str],
    index: object,
) -> str | None:
    if row.kind not in ("organisation", "practitioner", "client", "membership"):
        return "kind must be organisation, practitioner, client or membership"
    if not row.ref or len(row.ref) > 64:
        return "ref is required (at most 64 characters)"
    if row.kind == "organisation":
        if not row.name:
            return "an organisation needs a name"
        if row.role and row.role not in ORG_KINDS:
            return f"organisation role (its kind) must be one of {', '.join(ORG_KINDS)}"
    if row.kind == "practitioner":
        if not row.name:
            return "a practitioner needs a name"
        if (
            row.organisation not in orgs
            and uow.directory.organisation_by_ref(row.organisation) is None
        ):
            return f"unknown organisation {row.organisation!r}"
        if row.email and ("@" not in row.email or " " in row.email.strip()):
            return "email is not an email address"
        if row.platform and row.platform not in PLATFORMS:
            return f"platform must be one of {', '.join(PLATFORMS)}"
        if bool(row.slack_team) != bool(row.slack_user):
            return "slack_team and slack_user go together"
        if bool(row.teams_tenant) != bool(row.teams_user):
            return "teams_tenant and teams_user go together"
    if row.kind == "client":
        if not row.name:
            return "a client needs a name (it is stored encrypted)"
        if row.nhs_number:
            try:
                index.digest("nhs_number", row.nhs_number)  # type: ignore[attr-defined]
            except InvalidIdentifier as exc:
                return str(exc)
    if row.kind == "membership":
        if row.client not in clients and uow.directory.client_by_reference(row.client) is None:
            return f"unknown client {row.client!r}"
        if row.ref not in people and uow.directory.practitioner_by_ref(row.ref) is None:
            return f"unknown practitioner {row.ref!r}"
        if row.role not in {r.value for r in Role}:
            return "membership role must be lead, deputy or member"
    return None


def _count(bucket: dict[str, int], kind: str) -> None:
    bucket[kind] = bucket.get(kind, 0) + 1


def _apply(uow: UnitOfWork, row: DirectoryRow, at: datetime, report: ImportReport) -> None:
    if row.kind == "organisation":
        org = uow.directory.organisation_by_ref(row.ref)
        _count(report.updated if org else report.created, row.kind)
        if org is None:
            org = Organisation(id=new_id(), ref=row.ref, created_at=at, policy={})
            uow.directory.add(org)
        org.name, org.kind = row.name, row.role or "agency"
    elif row.kind == "practitioner":
        org = uow.directory.organisation_by_ref(row.organisation)
        assert org is not None
        person = uow.directory.practitioner_by_ref(row.ref)
        _count(report.updated if person else report.created, row.kind)
        if person is None:
            person = Practitioner(id=new_id(), ref=row.ref, created_at=at)
            uow.directory.add(person)
        person.organisation_id, person.name = org.id, row.name
        person.email = row.email.strip().lower() or None
        person.preferred_platform = row.platform or _platform(row)
        person.slack_team_id, person.slack_user_id = row.slack_team or None, row.slack_user or None
        person.teams_tenant_id = row.teams_tenant or None
        person.teams_aad_object_id = row.teams_user or None
    elif row.kind == "client":
        client = uow.directory.client_by_reference(row.ref)
        _count(report.updated if client else report.created, row.kind)
        if client is None:
            client = new_client(uow, reference=row.ref, label=row.name, at=at)
        else:
            client.label_ct = uow.vault.cipher(client.data_key_id, "clients", client.id).seal(
                "label", row.name
            )
        if (
            row.nhs_number
            and uow.directory.client_by_blind(
                "nhs_number", uow.vault.blind_index().digest("nhs_number", row.nhs_number)
            )
            is None
        ):
            add_identifier(uow, client, "nhs_number", row.nhs_number)
    else:
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


def _platform(row: DirectoryRow) -> str:
    if row.slack_user:
        return "slack"
    if row.teams_user:
        return "teams"
    return "playground"
