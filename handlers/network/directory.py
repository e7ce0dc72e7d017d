"""The directory: organisations, practitioners, clients (encrypted) and networks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from handlers.network import workspaces
from handlers.network.administration import DIRECTORY_ROLES, directory_roles, grant_roles
from handlers.network.workspaces import Declared
from handlers.values import Role
from store.crypto import BlindIndex, InvalidIdentifier
from store.models import Client, ClientIdentifier, Membership, Organisation, Practitioner, new_id
from store.sealed import ClientField, IdentifierField
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
    slack_workspaces: str = ""
    entra_tenants: str = ""
    directory_roles: str = ""


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


Progress = Callable[[str], None]
"""Called once per row with the stage it finished: "checked" or "imported"."""

# Which columns each kind of row uses; anything else on that row must be empty, so a
# misaligned column is caught instead of being stored in the wrong place.
USED = {
    "organisation": frozenset({"name", "role", "slack_workspaces", "entra_tenants"}),
    "practitioner": frozenset(
        {
            "name",
            "organisation",
            "email",
            "role",
            "platform",
            "slack_team",
            "slack_user",
            "teams_tenant",
            "teams_user",
            "directory_roles",
        }
    ),
    "client": frozenset({"name", "nhs_number"}),
    "membership": frozenset({"client", "role"}),
}
# The most characters each column may hold (the store's column sizes).
LIMITS = {
    "name": 200,
    "organisation": 64,
    "email": 320,
    "role": 200,
    "nhs_number": 20,
    "platform": 16,
    "slack_team": 32,
    "slack_user": 32,
    "teams_tenant": 64,
    "teams_user": 64,
    "client": 32,
    "slack_workspaces": 2000,
    "entra_tenants": 2000,
    "directory_roles": 200,
}
OPTIONAL_COLUMNS = tuple(LIMITS)  # every column but kind and ref, in the header's order
REF_LIMIT = {"client": 32}


def import_directory(
    uow: UnitOfWork,
    rows: Iterable[DirectoryRow],
    *,
    at: datetime,
    actor: str = "cli",
    progress: Progress | None = None,
    check_only: bool = False,
) -> ImportReport:
    """Validate every row, then apply all or none. Re-importing updates by `ref`.

    With `check_only` nothing is written: the caller already knows the import must fail
    (lines it could not parse) and wants every other problem reported too.
    """
    rows = list(rows)
    report = ImportReport()
    tick = progress or (lambda _stage: None)
    with uow:
        _validate(uow, rows, report, tick)
        if check_only or not report.ok:
            return report
        for row in rows:
            _apply(uow, row, at, report)
            uow.flush()
            tick("imported")
        uow.audit(
            "directory.imported",
            at=at,
            detail={"by": actor, "created": report.created, "updated": report.updated},
        )
        uow.commit()
    return report


@dataclass
class _Seen:
    """What the file itself declares, to check references and uniqueness within it."""

    orgs: set[str]
    people: set[str]
    clients: set[str]
    keys: set[tuple[str, str]] = field(default_factory=set)
    emails: dict[str, str] = field(default_factory=dict)
    slack: dict[str, str] = field(default_factory=dict)
    teams: dict[str, str] = field(default_factory=dict)
    nhs: dict[str, str] = field(default_factory=dict)
    declared: dict[str, Declared] = field(default_factory=dict)


def _validate(
    uow: UnitOfWork, rows: list[DirectoryRow], report: ImportReport, tick: Progress
) -> None:
    seen = _Seen(
        orgs={r.ref for r in rows if r.kind == "organisation"},
        people={r.ref for r in rows if r.kind == "practitioner"},
        clients={r.ref for r in rows if r.kind == "client"},
        declared={
            r.ref: Declared.from_cells(r.slack_workspaces, r.entra_tenants)
            for r in rows
            if r.kind == "organisation"
        },
    )
    index = uow.vault.blind_index()
    for row in rows:
        problem = _shape_problem(row) or _problem(uow, row, seen, index)
        key = (row.kind, row.ref if row.kind != "membership" else f"{row.client}/{row.ref}")
        if problem is None and key in seen.keys:
            problem = f"{row.kind} {key[1]!r} appears twice"
        seen.keys.add(key)
        if problem:
            report.errors.append((row.line, problem))
        tick("checked")


def _shape_problem(row: DirectoryRow) -> str | None:
    """Kind, ref, lengths and unused columns; messages name columns, never values."""
    used = USED.get(row.kind)
    if used is None:
        return "kind must be organisation, practitioner, client or membership"
    ref_limit = REF_LIMIT.get(row.kind, 64)
    if not row.ref or len(row.ref) > ref_limit:
        return f"ref is required (at most {ref_limit} characters)"
    for column in OPTIONAL_COLUMNS:
        value = getattr(row, column)
        if value and column not in used:
            return f"column {column} is not used for a {row.kind}; leave it empty"
        if len(value) > LIMITS[column]:
            return f"{column} is longer than {LIMITS[column]} characters"
    return None


def _claimed(registry: dict[str, str], key: str, ref: str) -> str | None:
    """Record that `ref` uses `key`; return the other ref that already did, if any."""
    other = registry.setdefault(key, ref)
    return other if other != ref else None


def _problem(uow: UnitOfWork, row: DirectoryRow, seen: _Seen, index: BlindIndex) -> str | None:
    if row.kind == "organisation":
        if not row.name:
            return "an organisation needs a name"
        if row.role and row.role not in ORG_KINDS:
            return f"organisation role (its kind) must be one of {', '.join(ORG_KINDS)}"
        return Declared.from_cells(row.slack_workspaces, row.entra_tenants).problem()
    if row.kind == "practitioner":
        return _practitioner_problem(uow, row, seen)
    if row.kind == "client":
        return _client_problem(uow, row, seen, index)
    if row.kind == "membership":
        if row.client not in seen.clients and uow.directory.client_by_reference(row.client) is None:
            return f"unknown client {row.client!r}"
        if row.ref not in seen.people and uow.directory.practitioner_by_ref(row.ref) is None:
            return f"unknown practitioner {row.ref!r}"
        if row.role not in {r.value for r in Role}:
            return "membership role must be lead, deputy or member"
    return None


def _practitioner_problem(uow: UnitOfWork, row: DirectoryRow, seen: _Seen) -> str | None:
    if not row.name:
        return "a practitioner needs a name"
    if row.organisation not in seen.orgs and (
        uow.directory.organisation_by_ref(row.organisation) is None
    ):
        return f"unknown organisation {row.organisation!r}"
    if row.platform and row.platform not in PLATFORMS:
        return f"platform must be one of {', '.join(PLATFORMS)}"
    if bool(row.slack_team) != bool(row.slack_user):
        return "slack_team and slack_user go together"
    if bool(row.teams_tenant) != bool(row.teams_user):
        return "teams_tenant and teams_user go together"
    if row.platform == "slack" and not row.slack_user:
        return "platform slack needs slack_team and slack_user"
    if row.platform == "teams" and not row.teams_user:
        return "platform teams needs teams_tenant and teams_user"
    if not set(directory_roles(row.directory_roles)) <= set(DIRECTORY_ROLES):
        return f"directory_roles must be among {', '.join(DIRECTORY_ROLES)}"
    declared = seen.declared.get(row.organisation)  # the file's row wins over the store
    if declared is None:
        declared = workspaces.stored(uow, row.organisation)
    outside = declared.outside(
        row.organisation, slack_team=row.slack_team, teams_tenant=row.teams_tenant
    )
    if outside:
        return outside
    email = row.email.strip().lower()
    if email:
        if "@" not in email or " " in email:
            return "email is not an email address"
        others = [p.ref for p in uow.directory.practitioner_by_email(email) if p.ref != row.ref]
        other = _claimed(seen.emails, email, row.ref) or (others[0] if others else None)
        if other:
            return f"email is already used by practitioner {other!r}"
    if row.slack_user:
        found = uow.directory.practitioner_by_slack(row.slack_team, row.slack_user)
        other = _claimed(seen.slack, f"{row.slack_team}/{row.slack_user}", row.ref) or (
            found.ref if found and found.ref != row.ref else None
        )
        if other:
            return f"that Slack user is already linked to practitioner {other!r}"
    if row.teams_user:
        found = uow.directory.practitioner_by_teams(row.teams_tenant.lower(), row.teams_user)
        other = _claimed(seen.teams, f"{row.teams_tenant}/{row.teams_user}", row.ref) or (
            found.ref if found and found.ref != row.ref else None
        )
        if other:
            return f"that Teams user is already linked to practitioner {other!r}"
    return None


def _client_problem(
    uow: UnitOfWork, row: DirectoryRow, seen: _Seen, index: BlindIndex
) -> str | None:
    if not row.name:
        return "a client needs a name (it is stored encrypted)"
    if not row.nhs_number:
        return None
    try:
        blind = index.digest("nhs_number", row.nhs_number)
    except InvalidIdentifier as exc:
        return str(exc)
    found = uow.directory.client_by_blind("nhs_number", blind)
    if _claimed(seen.nhs, blind, row.ref) or (found and found.reference != row.ref):
        return "that NHS number is already recorded for another client"
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
        declared = Declared.from_cells(row.slack_workspaces, row.entra_tenants)
        workspaces.store(uow, org.id, declared, at=at)
    elif row.kind == "practitioner":
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
        person.preferred_platform = row.platform or _platform(row)
        person.slack_team_id, person.slack_user_id = row.slack_team or None, row.slack_user or None
        person.teams_tenant_id = row.teams_tenant.lower() or None
        person.teams_aad_object_id = row.teams_user or None
        if row.directory_roles:
            uow.flush()  # the practitioner's row first: the organisation may point at it
            grant_roles(org, person, directory_roles(row.directory_roles))
    elif row.kind == "client":
        client = uow.directory.client_by_reference(row.ref)
        _count(report.updated if client else report.created, row.kind)
        if client is None:
            client = new_client(uow, reference=row.ref, label=row.name, at=at)
        else:
            uow.sealed.client(client).seal(ClientField.LABEL, row.name)
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
