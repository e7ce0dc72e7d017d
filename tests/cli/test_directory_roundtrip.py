"""import -> export -> import is a fixed point, over generated directories (hypothesis).

A generated directory has organisations that declare Slack workspaces, Enterprise Grids and
Entra tenants; practitioners with Slack and Teams identities inside them; clients with and
without NHS numbers and dates of birth; and networks with every role. It is imported
(sometimes written the loose ways an operator might: upper-case emails and tenants, `;`
between workspaces, no platform, dates of birth as DD/MM/YYYY), exported, written as CSV or
JSON, read back, and imported into an empty store and into the same one. The export is the
directory exactly, and importing it changes nothing.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.operations.directory_files import parse, parse_json, write
from handlers.network.directory import import_directory
from handlers.network.directory_export import export_directory
from handlers.network.directory_rows import ORG_KINDS, DirectoryRow, derived_platform
from handlers.values import Role
from store.crypto import fold_name
from tests.conftest import UowFactory
from tests.directory import wipe_directory

AT = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
WORKSPACES = ("T0AAA", "T0BBB", "E0GRID")
TENANTS = ("2c4e6a80-0000-4000-8000-00000000000a", "2c4e6a80-0000-4000-8000-00000000000b")

names = (
    st.text(st.characters(categories=("L", "N", "P", "Zs"), codec="utf-8"), max_size=24)
    .map(str.strip)
    .filter(bool)
)


def nhs_number(nine: int, spaced: bool) -> str:
    """A valid NHS number from nine digits ("" when no check digit fits them)."""
    digits = f"{nine:09d}"
    check = 11 - sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
    if check == 10:
        return ""
    full = digits + str(0 if check == 11 else check)
    return f"{full[:3]} {full[3:6]} {full[6:]}" if spaced else full


@st.composite
def organisations(draw: st.DrawFn) -> list[DirectoryRow]:
    return [
        DirectoryRow(
            0,
            "organisation",
            f"org-{n}",
            name=draw(names),
            role=draw(st.sampled_from(ORG_KINDS)),
            slack_workspaces=" ".join(sorted(draw(st.sets(st.sampled_from(WORKSPACES))))),
            entra_tenants=" ".join(sorted(draw(st.sets(st.sampled_from(TENANTS))))),
        )
        for n in range(draw(st.integers(1, 3)))
    ]


@st.composite
def practitioner(draw: st.DrawFn, n: int, org: DirectoryRow) -> DirectoryRow:
    slack_team = slack_user = teams_tenant = teams_user = ""
    if org.slack_workspaces and draw(st.booleans()):
        team = draw(st.sampled_from(org.slack_workspaces.split()))
        slack_team, slack_user = (team if team.startswith("T") else "T0INGRID"), f"U0P{n}"
    if org.entra_tenants and draw(st.booleans()):
        teams_tenant, teams_user = draw(st.sampled_from(org.entra_tenants.split())), f"oid-{n}"
    platforms = [
        "playground",
        *(["slack"] if slack_user else []),
        *(["teams"] if teams_user else []),
    ]
    return DirectoryRow(
        0,
        "practitioner",
        f"p{n}",
        name=draw(names),
        organisation=org.ref,
        email=draw(st.sampled_from(["", f"person.{n}@example.org"])),
        role=draw(names | st.just("")),
        platform=draw(st.sampled_from(platforms)),
        slack_team=slack_team,
        slack_user=slack_user,
        teams_tenant=teams_tenant,
        teams_user=teams_user,
    )


@st.composite
def directories(draw: st.DrawFn) -> list[DirectoryRow]:
    """A directory as its export would write it (the canonical form), in import order."""
    orgs = draw(organisations())
    people = [
        draw(practitioner(n, draw(st.sampled_from(orgs)))) for n in range(draw(st.integers(0, 5)))
    ]
    clients, numbers, births = [], set(), set()
    for n in range(draw(st.integers(0, 4))):
        number = nhs_number(draw(st.integers(0, 10**9 - 1)), draw(st.booleans()))
        if number.replace(" ", "") in numbers:
            number = ""
        numbers.add(number.replace(" ", ""))
        name = draw(names)
        born = draw(st.dates(date(2005, 1, 1), AT.date()).map(date.isoformat) | st.just(""))
        if (fold_name(name), born) in births:
            born = ""  # a name and date of birth names one client
        births.add((fold_name(name), born))
        clients.append(
            DirectoryRow(0, "client", f"C-{n}", name=name, nhs_number=number, date_of_birth=born)
        )
    memberships = []
    for client in clients:
        chosen = (
            draw(st.lists(st.sampled_from(people), unique_by=lambda p: p.ref)) if people else []
        )
        memberships += [
            DirectoryRow(
                0, "membership", p.ref, client=client.ref, role=draw(st.sampled_from(Role))
            )
            for p in sorted(chosen, key=lambda p: p.ref)
        ]
    return [*orgs, *sorted(people, key=lambda p: p.ref), *clients, *memberships]


def loosely(row: DirectoryRow) -> DirectoryRow:
    """The same row as an operator might type it: import must read it the same way."""
    if row.kind == "organisation":
        return replace(
            row,
            role="" if row.role == "agency" else row.role,
            slack_workspaces=";".join(reversed(row.slack_workspaces.split())),
            entra_tenants="  ".join(row.entra_tenants.split()).upper(),
        )
    if row.kind == "practitioner":
        bare = replace(row, platform="")
        return replace(
            bare if derived_platform(bare) == row.platform else row,
            email=row.email.upper(),
            teams_tenant=row.teams_tenant.upper(),
        )
    if row.kind == "client" and row.date_of_birth:
        born = date.fromisoformat(row.date_of_birth)
        return replace(row, date_of_birth=f"{born.day}/{born.month:02d}/{born.year}")
    return row


def _numbered(rows: list[DirectoryRow]) -> list[DirectoryRow]:
    return [replace(row, line=n) for n, row in enumerate(rows, start=2)]


def _cells(rows: tuple[DirectoryRow, ...] | list[DirectoryRow]) -> list[dict[str, str]]:
    return [row.cells() for row in rows]


def _through_file(rows: tuple[DirectoryRow, ...], output: str) -> list[DirectoryRow]:
    stream = io.StringIO(newline="")
    write(rows, stream, output)
    text = stream.getvalue()
    parsed = parse_json(text) if output == "json" else parse(io.StringIO(text, newline=""))
    assert not parsed.errors, parsed.errors
    return parsed.rows


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(directory=directories(), loose=st.booleans(), output=st.sampled_from(["csv", "json"]))
def test_import_export_import_is_a_fixed_point(
    uow_factory: UowFactory, directory: list[DirectoryRow], loose: bool, output: str
) -> None:
    wipe_directory(uow_factory)
    typed = _numbered([loosely(row) for row in directory] if loose else directory)
    first = import_directory(uow_factory(), typed, at=AT, actor="test")
    assert first.ok, first.errors
    exported = export_directory(uow_factory(), at=AT, actor="test", output=output).rows
    assert _cells(exported) == _cells(directory)

    read_back = _through_file(exported, output)
    assert _cells(read_back) == _cells(exported)
    plan = import_directory(uow_factory(), read_back, at=AT, full=True, check_only=True).plan
    assert plan is not None
    assert (plan.added, plan.changed, plan.deactivated) == ((), (), ())
    assert plan.unchanged == len(directory)

    wipe_directory(uow_factory)
    again = import_directory(uow_factory(), read_back, at=AT, actor="test")
    assert again.ok, again.errors
    assert _cells(export_directory(uow_factory(), at=AT, actor="test", output=output).rows) == (
        _cells(exported)
    )


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(directory=directories(), data=st.data())
def test_a_full_import_deactivates_exactly_whoever_the_file_leaves_out(
    uow_factory: UowFactory, directory: list[DirectoryRow], data: st.DataObject
) -> None:
    wipe_directory(uow_factory)
    assert import_directory(uow_factory(), _numbered(directory), at=AT, actor="test").ok
    people = sorted(row.ref for row in directory if row.kind == "practitioner")
    leavers = set(
        data.draw(st.lists(st.sampled_from(people), unique=True) if people else st.just([]))
    )
    kept = [
        row
        for row in directory
        if not (row.kind in ("practitioner", "membership") and row.ref in leavers)
    ]

    report = import_directory(uow_factory(), _numbered(kept), at=AT, actor="test", full=True)

    assert report.ok and report.applied and report.plan is not None
    assert set(report.plan.deactivated) == leavers
    assert (report.plan.added, report.plan.changed) == ((), ())
    exported = export_directory(uow_factory(), at=AT, actor="test", output="csv").rows
    assert _cells(exported) == _cells(kept)
    with uow_factory() as uow:
        active = {p.ref for p in uow.directory.practitioners() if p.active}
    assert active == set(people) - leavers
