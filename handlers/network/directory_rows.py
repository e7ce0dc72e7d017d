"""The directory file's rows: their columns, which kinds use which, and how long each may be.

`flare directory import` reads these rows and `flare directory export` writes them, as CSV
or JSON; the column order here is the header's.
"""

from __future__ import annotations

from dataclasses import dataclass

ORG_KINDS = ("children_centre", "school", "children_services", "health", "housing", "agency")
PLATFORMS = ("slack", "teams", "playground")
KINDS = ("organisation", "practitioner", "client", "membership")


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
    date_of_birth: str = ""

    @property
    def key(self) -> tuple[str, str]:
        """What the row is matched by: its kind and ref (a membership's also by its client)."""
        return (self.kind, self.ref if self.kind != "membership" else f"{self.client}/{self.ref}")

    def cells(self) -> dict[str, str]:
        """The row's columns, in the header's order (without its line number)."""
        return {column: getattr(self, column) for column in COLUMNS}


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
    "client": frozenset({"name", "nhs_number", "date_of_birth"}),
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
    "date_of_birth": 10,
}
OPTIONAL_COLUMNS = tuple(LIMITS)  # every column but kind and ref, in the header's order
COLUMNS = ("kind", "ref", *OPTIONAL_COLUMNS)
REF_LIMIT = {"client": 32}


def derived_platform(row: DirectoryRow) -> str:
    """Where a practitioner's pointers go when the row names no platform."""
    if row.platform:
        return row.platform
    if row.slack_user:
        return "slack"
    if row.teams_user:
        return "teams"
    return "playground"
