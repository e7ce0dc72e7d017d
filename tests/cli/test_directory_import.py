"""`flare directory import`: all or nothing, every bad line by number, re-import updates."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from handlers.network.directory import find_client
from store.models import AuditEvent, Base, Client, Membership, Organisation, Practitioner
from store.sealed import ClientField
from tests.cli.conftest import Flare
from tests.conftest import UowFactory

EXAMPLE = Path(__file__).parents[2] / "docs" / "directory-example.csv"
HEADER = (
    "kind,ref,name,organisation,email,role,nhs_number,platform,slack_team,slack_user,"
    "teams_tenant,teams_user,client\n"
)


FULL_HEADER = HEADER.strip() + ",slack_workspaces,entra_tenants"
DECLARING = (
    "kind,ref,name,role,slack_workspaces,entra_tenants,"
    "organisation,teams_tenant,teams_user,slack_team,slack_user\n"
)
TENANT_A = "2c4e6a80-0000-4000-8000-00000000000a"
TENANT_B = "2c4e6a80-0000-4000-8000-00000000000b"


def _declared(uow_factory: UowFactory, ref: str) -> tuple[list[str], list[str]]:
    with uow_factory() as uow:
        org = uow.directory.organisation_by_ref(ref)
        assert org is not None
        return (
            uow.directory.declared_workspaces(org.id, "slack"),
            uow.directory.declared_workspaces(org.id, "entra"),
        )


def _write(tmp_path: Path, text: str, name: str = "directory.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _count(uow_factory: UowFactory, model: type[Base]) -> int:
    with uow_factory() as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def test_example_file_imports(flare: Flare, uow_factory: UowFactory) -> None:
    result = flare("directory", "import", str(EXAMPLE))
    assert result.exit_code == 0, result.output
    assert "imported 13 rows" in result.stdout
    assert "flare: checking" not in result.stderr  # progress only for big files
    assert "created: 2 clients, 5 memberships, 3 organisations, 3 practitioners" in result.stdout
    with uow_factory() as uow:
        ivo = uow.directory.practitioner_by_ref("ivo")
        assert ivo is not None
        assert ivo.teams_aad_object_id and ivo.preferred_platform == "teams"
        assert ivo.job_title == "Designated safeguarding lead"
        client = find_client(uow, raw="999-000-1006", kinds=["nhs_number"])
        assert client is not None and client.reference == "K-0042"
        label = uow.sealed.client(client).open(ClientField.LABEL)
        assert label == "Casey Example (age 5)"
        audit = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "directory.imported")
        ).one()
        assert audit.detail["created"]["membership"] == 5
    assert _declared(uow_factory, "brook-cc") == (["T0EXAMPLE"], [])
    assert _declared(uow_factory, "elm-primary") == ([], ["8f6d2c1e-0000-4000-8000-000000000001"])
    assert _declared(uow_factory, "county-cs") == (
        ["E0COUNTY", "T0EXAMPLE"],
        ["2c4e6a80-0000-4000-8000-000000000002"],
    )


def test_reimport_updates_by_ref(flare: Flare, uow_factory: UowFactory, tmp_path: Path) -> None:
    assert flare("directory", "import", str(EXAMPLE)).exit_code == 0
    changed = EXAMPLE.read_text().replace("Jo Lindqvist", "Jo Lindqvist-Berg")
    changed = changed.replace("membership,hana,,,,deputy", "membership,hana,,,,lead").replace(
        "membership,jo,,,,lead,,,,,,,K-0043", "membership,jo,,,,deputy,,,,,,,K-0043"
    )
    result = flare("directory", "import", _write(tmp_path, changed))
    assert result.exit_code == 0, result.output
    assert "created: nothing" in result.stdout
    assert "updated: 2 clients, 5 memberships, 3 organisations, 3 practitioners" in result.stdout
    with uow_factory() as uow:
        jo = uow.directory.practitioner_by_ref("jo")
        assert jo is not None and jo.name == "Jo Lindqvist-Berg"
        k43 = uow.directory.client_by_reference("K-0043")
        assert k43 is not None
        roles = {m.practitioner.ref: m.role for m in uow.directory.network(k43.id)}
        assert roles == {"hana": "lead", "jo": "deputy"}
    assert _count(uow_factory, Practitioner) == 3 and _count(uow_factory, Client) == 2


BAD = HEADER + (
    "organisation,ok-org,Good Org,,,school,,,,,,,\n"  # line 2: fine
    "organisation,no-name,,,,,,,,,,,\n"  # 3
    "practitioner,p1,Pat One,missing-org,p1@x.example,,,,,,,,\n"  # 4
    "client,C-9,Secret Person Name,,,,999 000 1007,,,,,,\n"  # 5: bad check digit
    "client,C-10,Another Secret,,,,,,,,,\n"  # 6: short row
    "membership,p1,,,,boss,,,,,,,C-9\n"  # 7
    "practitioner,p2,Pat Two,ok-org,not-an-email,,,,,,,,\n"  # 8
    "wizard,w1,Wiz,,,,,,,,,,\n"  # 9
    "client,C-11,Third Secret,ok-org,,,,,,,,,\n"  # 10: organisation column on a client
    "practitioner,p3,Pat Three,ok-org,p3@x.example,,,slack,,,,,\n"  # 11
    "organisation,ok-org,Good Org Again,,,school,,,,,,,\n"  # 12: twice
)


def test_every_bad_line_is_reported_and_nothing_imported(
    flare: Flare, uow_factory: UowFactory, tmp_path: Path
) -> None:
    result = flare("directory", "import", _write(tmp_path, BAD))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    problems = {int(line.split(":")[0].removeprefix("line ")): line for line in lines[:-1]}
    assert sorted(problems) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert problems[3] == "line 3: an organisation needs a name"
    assert problems[4] == "line 4: unknown organisation 'missing-org'"
    assert problems[5] == "line 5: that NHS number fails its check digit"
    assert problems[6] == "line 6: has 12 fields but the header has 13"
    assert "lead, deputy or member" in problems[7]
    assert "email is not an email address" in problems[8]
    assert "kind must be" in problems[9]
    assert problems[10] == "line 10: column organisation is not used for a client; leave it empty"
    assert "platform slack needs slack_team and slack_user" in problems[11]
    assert "appears twice" in problems[12]
    assert lines[-1] == "flare: directory.csv: 10 bad line(s); nothing was imported"
    for secret in ("Secret Person Name", "999 000 1007", "9990001007", "Another Secret"):
        assert secret not in result.output
    assert _count(uow_factory, Organisation) == 0
    assert _count(uow_factory, AuditEvent) == 0


def test_conflicts_with_the_stored_directory_are_bad_lines(
    flare: Flare, uow_factory: UowFactory, tmp_path: Path
) -> None:
    assert flare("directory", "import", str(EXAMPLE)).exit_code == 0
    clash = HEADER + (
        "practitioner,newbie,New Person,brook-cc,HANA.NOVAK@brook.example,,,,,,,,\n"
        "client,K-0100,Someone Else,,,,9990001006,,,,,,\n"
        "practitioner,other,Other Person,brook-cc,,,,slack,T0EXAMPLE,U0HANA01,,,\n"
        "client,K-0101-A-VERY-LONG-REFERENCE-OVER-LIMIT,Name,,,,,,,,,,\n"
    )
    result = flare("directory", "import", _write(tmp_path, clash))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:4] == [
        "line 2: email is already used by practitioner 'hana'",
        "line 3: that NHS number is already recorded for another client",
        "line 4: that Slack user is already linked to practitioner 'hana'",
        "line 5: ref is required (at most 32 characters)",
    ]
    assert _count(uow_factory, Practitioner) == 3


def test_line_numbers_count_physical_lines(flare: Flare, tmp_path: Path) -> None:
    text = (
        "kind,ref,name,role\n"
        "\n"
        'organisation,o1,"A name\nover two lines",school\n'
        "organisation,,Nameless,school\n"
    )
    result = flare("directory", "import", _write(tmp_path, text))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "line 5: ref is required (at most 64 characters)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty; its first line must be the header"),
        ("organisation,o1,Org\n", "the first line must be the header, starting kind,ref"),
        ("kind,ref,colour\norganisation,o1,red\n", "unknown column(s) in the header: colour"),
        ("kind,name\norganisation,Org\n", "the header lacks the required column(s): ref"),
        ("kind,ref,name,name\norganisation,o,a,b\n", "the header names a column twice: name"),
        (HEADER, "the file has a header but no rows"),
    ],
)
def test_header_problems_are_one_clear_line(
    flare: Flare, tmp_path: Path, text: str, message: str
) -> None:
    result = flare("directory", "import", _write(tmp_path, text))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(f"flare: directory.csv: {message}")


def test_large_file_shows_progress_and_imports(
    flare: Flare, uow_factory: UowFactory, tmp_path: Path
) -> None:
    rows = ["kind,ref,name,organisation,role"]
    rows.append("organisation,big-org,Big Organisation,,agency")
    rows += [f"practitioner,p{n},Person {n},big-org,Worker" for n in range(400)]
    result = flare("directory", "import", _write(tmp_path, "\n".join(rows) + "\n"))
    assert result.exit_code == 0, result.output
    assert "flare: checking 401 rows" in result.stderr
    assert "flare: importing 401 rows" in result.stderr
    assert "created: 1 organisation, 400 practitioners" in result.stdout
    assert _count(uow_factory, Practitioner) == 400
    assert _count(uow_factory, Membership) == 0


def test_help_documents_the_format(flare: Flare) -> None:
    result = flare("directory", "import", "--help")
    assert result.exit_code == 0
    flat = result.stdout.replace(",\n    ", ",")
    assert FULL_HEADER in flat
    for kind in ("organisation", "practitioner", "client", "membership"):
        assert f"  {kind}" in result.stdout


def test_the_documented_example_is_the_example_file() -> None:
    doc = (EXAMPLE.parent / "directory.md").read_text()
    example = doc.split("## An example", 1)[1].split("```\n", 2)[1]
    assert example == EXAMPLE.read_text()


def test_organisations_declare_workspaces_and_tenants_and_reimport_replaces_them(
    flare: Flare, uow_factory: UowFactory, tmp_path: Path
) -> None:
    text = DECLARING + (
        "organisation,shared,Shared Org,agency,T0AAA;E0GRID  T0BBB,"
        f"{TENANT_A.upper()} {TENANT_B},,,,,\n"
        f"practitioner,pat,Pat,,,,shared,{TENANT_B},oid-pat,T0AAA,U0PAT\n"
    )
    result = flare("directory", "import", _write(tmp_path, text))
    assert result.exit_code == 0, result.output
    assert _declared(uow_factory, "shared") == (["E0GRID", "T0AAA", "T0BBB"], [TENANT_A, TENANT_B])
    again = DECLARING + f"organisation,shared,Shared Org,agency,T0AAA,{TENANT_A},,,,,\n"
    assert flare("directory", "import", _write(tmp_path, again, "again.csv")).exit_code == 0
    assert _declared(uow_factory, "shared") == (["T0AAA"], [TENANT_A])


def test_bad_declarations_and_identities_outside_them_are_bad_lines(
    flare: Flare, uow_factory: UowFactory, tmp_path: Path
) -> None:
    text = DECLARING + (
        f"organisation,ok,Ok Org,agency,T0OK,{TENANT_A},,,,,\n"  # 2: fine
        "organisation,bad-slack,Bad,agency,not-a-team,,,,,,\n"  # 3
        "organisation,bad-entra,Bad,agency,,tenant-0001,,,,,\n"  # 4
        f"practitioner,p1,Pat,,,,ok,{TENANT_B},oid-1,,\n"  # 5: tenant not declared
        "practitioner,p2,Pat,,,,ok,,,T0OTHER,U0P2\n"  # 6: workspace not declared
        "practitioner,p3,Pat,,T0OK,,ok,,,,\n"  # 7: a practitioner declares nothing
    )
    result = flare("directory", "import", _write(tmp_path, text))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:-1] == [
        "line 3: slack_workspaces must be Slack workspace (T…) or Enterprise Grid (E…) ids, "
        "separated by spaces",
        "line 4: entra_tenants must be Entra tenant ids (GUIDs), separated by spaces",
        "line 5: teams_tenant is not one of organisation 'ok''s entra_tenants",
        "line 6: slack_team is not one of organisation 'ok''s slack_workspaces",
        "line 7: column slack_workspaces is not used for a practitioner; leave it empty",
    ]
    assert _count(uow_factory, Organisation) == 0


def test_a_declared_enterprise_grid_admits_its_workspaces_at_import(
    flare: Flare, uow_factory: UowFactory, tmp_path: Path
) -> None:
    assert (
        flare(
            "directory",
            "import",
            _write(tmp_path, DECLARING + "organisation,grid,Grid,agency,E0GRID,,,,,,\n"),
        ).exit_code
        == 0
    )
    later = DECLARING + "practitioner,gp,Grid Person,,,,grid,,,T0ANYWS,W0GP\n"
    result = flare("directory", "import", _write(tmp_path, later, "later.csv"))
    assert result.exit_code == 0, result.output
