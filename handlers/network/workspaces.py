"""The Slack workspaces and Entra tenants an organisation declares, as the directory has them.

An organisation row lists them in `slack_workspaces` (team ids `T…`, Enterprise Grid ids
`E…`) and `entra_tenants` (GUIDs), separated by spaces or semicolons. handlers.network.identity
admits an identity only from a workspace or tenant its practitioner's organisation declares.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from store.unit_of_work import UnitOfWork

SLACK_WORKSPACE = re.compile(r"[TE][A-Z0-9]{1,31}")
ENTRA_TENANT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Declared:
    """One organisation's declared Slack workspaces and Entra tenants."""

    slack: list[str] = field(default_factory=list)
    entra: list[str] = field(default_factory=list)

    @classmethod
    def from_cells(cls, slack: str, entra: str) -> Declared:
        """The ids in a row's two cells (tenant ids lower-cased)."""
        return cls(_ids(slack), [tenant.lower() for tenant in _ids(entra)])

    def problem(self) -> str | None:
        """What is wrong with the ids, naming the column (never a value)."""
        if not all(SLACK_WORKSPACE.fullmatch(w) for w in self.slack):
            return (
                "slack_workspaces must be Slack workspace (T…) or Enterprise Grid (E…) ids, "
                "separated by spaces"
            )
        if not all(ENTRA_TENANT.fullmatch(t) for t in self.entra):
            return "entra_tenants must be Entra tenant ids (GUIDs), separated by spaces"
        return None

    def outside(self, organisation: str, *, slack_team: str, teams_tenant: str) -> str | None:
        """A provisioned chat identity must come from a workspace or tenant declared here."""
        grid = any(w.startswith("E") for w in self.slack)  # a grid's workspaces are unlisted
        if slack_team and slack_team not in self.slack and not grid:
            return f"slack_team is not one of organisation {organisation!r}'s slack_workspaces"
        if teams_tenant and teams_tenant.lower() not in self.entra:
            return f"teams_tenant is not one of organisation {organisation!r}'s entra_tenants"
        return None


def _ids(value: str) -> list[str]:
    return [part for part in re.split(r"[\s;]+", value) if part]


def stored(uow: UnitOfWork, organisation_ref: str) -> Declared:
    """What an organisation already in the store declares (nothing if it is not there)."""
    org = uow.directory.organisation_by_ref(organisation_ref)
    if org is None:
        return Declared()
    return Declared(
        uow.directory.declared_workspaces(org.id, "slack"),
        uow.directory.declared_workspaces(org.id, "entra"),
    )


def store(uow: UnitOfWork, organisation_id: str, declared: Declared, *, at: datetime) -> None:
    """Make the organisation declare exactly these (a re-import replaces the lists)."""
    uow.directory.declare_workspaces(organisation_id, "slack", declared.slack, at=at)
    uow.directory.declare_workspaces(organisation_id, "entra", declared.entra, at=at)
