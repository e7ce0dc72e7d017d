"""Checking a directory file before anything is written: every problem, by line.

Messages name columns and refs, never a value a row carries (names, NHS numbers, emails).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from handlers.name_and_birth import (
    NAME_AND_BIRTH,
    BadNameAndBirth,
    joined,
    stored_birth,
)
from handlers.network import workspaces
from handlers.network.administration import DIRECTORY_ROLES, directory_roles
from handlers.network.directory_rows import (
    KINDS,
    LIMITS,
    OPTIONAL_COLUMNS,
    ORG_KINDS,
    PLATFORMS,
    REF_LIMIT,
    USED,
    DirectoryRow,
)
from handlers.network.workspaces import Declared
from handlers.values import Role
from store.crypto import BlindIndex, InvalidIdentifier
from store.unit_of_work import UnitOfWork

Progress = Callable[[str], None]
"""Called once per row with the stage it finished: "checked", "imported" or "exported"."""


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
    born: dict[str, str] = field(default_factory=dict)  # name-and-birth digests
    today: date | None = None
    declared: dict[str, Declared] = field(default_factory=dict)


def problems(
    uow: UnitOfWork,
    rows: list[DirectoryRow],
    tick: Progress,
    *,
    full: bool = False,
    today: date | None = None,
) -> list[tuple[int, str]]:
    """Every bad row as (line, reason); empty when the whole file may be applied.

    A row for a deactivated practitioner is a problem unless the import is `full`: only a
    full export, the directory's truth, brings a leaver back. A date of birth after `today`
    is a problem.
    """
    seen = _Seen(
        today=today,
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
    errors: list[tuple[int, str]] = []
    for row in rows:
        problem = _shape_problem(row) or _problem(uow, row, seen, index)
        if problem is None and row.key in seen.keys:
            problem = f"{row.kind} {row.key[1]!r} appears twice"
        if problem is None and not full and row.kind == "practitioner":
            problem = _deactivated(uow, row.ref)
        seen.keys.add(row.key)
        if problem:
            errors.append((row.line, problem))
        tick("checked")
    return errors


def _deactivated(uow: UnitOfWork, ref: str) -> str | None:
    person = uow.directory.practitioner_by_ref(ref)
    if person is not None and not person.active:
        return f"practitioner {ref!r} was deactivated; only a full import (--full) reinstates"
    return None


def _shape_problem(row: DirectoryRow) -> str | None:
    """Kind, ref, lengths and unused columns; messages name columns, never values."""
    used = USED.get(row.kind)
    if used is None:
        return f"kind must be {', '.join(KINDS[:-1])} or {KINDS[-1]}"
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
    if not set(directory_roles(row.directory_roles)) <= set(DIRECTORY_ROLES):
        return f"directory_roles must be among {', '.join(DIRECTORY_ROLES)}"
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
    born = row.date_of_birth
    if not born and (stored := uow.directory.client_by_reference(row.ref)) is not None:
        born = stored_birth(uow, stored)  # an empty cell keeps it, under the row's name
    if born:
        try:
            value = joined(row.name, born, today=seen.today)
        except BadNameAndBirth as bad:
            return f"date_of_birth: {bad}"
        digest = index.digest(NAME_AND_BIRTH, value)
        found = uow.directory.client_by_blind(NAME_AND_BIRTH, digest)
        if _claimed(seen.born, digest, row.ref) or (found and found.reference != row.ref):
            return "that name and date of birth are already recorded for another client"
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
