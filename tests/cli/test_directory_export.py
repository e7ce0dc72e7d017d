"""`flare directory export`, and `flare directory import --full` (leavers are deactivated)."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from store.models import AuditEvent
from tests.cli.conftest import Flare
from tests.conftest import UowFactory

EXAMPLE = Path(__file__).parents[2] / "docs" / "directory-example.csv"
NAMES = ("Hana Novak", "Ivo Mensah", "Jo Lindqvist", "Casey Example", "Drew Sample")


def _write(tmp_path: Path, text: str, name: str = "directory.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _audit(uow_factory: UowFactory, action: str) -> list[dict[str, Any]]:
    with uow_factory() as uow:
        return [
            dict(e.detail)
            for e in uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action))
        ]


def _active(uow_factory: UowFactory, ref: str) -> bool:
    with uow_factory() as uow:
        person = uow.directory.practitioner_by_ref(ref)
        assert person is not None
        return person.active


def test_an_export_is_a_file_import_reads_and_reimporting_it_changes_nothing(
    flare: Flare, tmp_path: Path
) -> None:
    assert flare("directory", "import", str(EXAMPLE)).exit_code == 0
    first = flare("directory", "export")
    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    assert lines[0] == EXAMPLE.read_text().splitlines()[0]  # the same header
    assert sorted(lines[1:]) == sorted(
        EXAMPLE.read_text().splitlines()[1:]
    )  # the same rows (the example is already canonical), in the export's own order
    assert first.stderr.strip() == (
        "flare: exported 2 clients, 5 memberships, 3 organisations, 3 practitioners "
        "to standard output (csv)"
    )
    again = flare("directory", "import", str(_write(tmp_path, first.stdout, "export.csv")))
    assert again.exit_code == 0, again.output
    assert "created: nothing" in again.stdout
    assert flare("directory", "export", "-").stdout == first.stdout


def test_an_export_file_is_its_owners_alone_and_the_audit_counts_without_naming(
    flare: Flare, uow_factory: UowFactory, tmp_path: Path
) -> None:
    assert flare("directory", "import", str(EXAMPLE)).exit_code == 0
    target = tmp_path / "out.csv"
    target.write_text("old contents\n")
    target.chmod(0o644)
    result = flare("directory", "export", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "Casey Example (age 5)" in target.read_text()  # an operator's export is in clear
    [detail] = _audit(uow_factory, "directory.exported")
    assert detail == {
        "by": "cli",
        "format": "csv",
        "client": 2,
        "membership": 5,
        "organisation": 3,
        "practitioner": 3,
    }
    with uow_factory() as uow:
        every = json.dumps([e.detail for e in uow.session.scalars(select(AuditEvent))])
    for name in NAMES:
        assert name not in every


def test_a_json_export_imports_back_to_the_same_directory(flare: Flare, tmp_path: Path) -> None:
    assert flare("directory", "import", str(EXAMPLE)).exit_code == 0
    csv_before = flare("directory", "export").stdout
    exported = tmp_path / "directory.json"
    assert flare("directory", "export", str(exported)).exit_code == 0
    document = json.loads(exported.read_text())
    assert document["flare_directory"] == 1
    assert document["rows"][0] == {
        "kind": "organisation",
        "ref": "brook-cc",
        "name": "Brook Lane Children's Centre",
        "role": "children_centre",
        "slack_workspaces": "T0EXAMPLE",
    }
    result = flare("directory", "import", str(exported))
    assert result.exit_code == 0, result.output
    assert "created: nothing" in result.stdout
    assert flare("directory", "export", "--format", "csv").stdout == csv_before


def test_json_problems_are_numbered_by_row(flare: Flare, tmp_path: Path) -> None:
    rows = [
        {"kind": "organisation", "ref": "o1", "name": "Org"},
        {"kind": "organisation", "ref": "o2"},
        ["not", "an", "object"],
        {"kind": "client", "ref": "C-1", "name": "Secret Name", "colour": "red"},
        {"kind": "client", "ref": "C-2", "name": 7},
    ]
    path = _write(tmp_path, json.dumps({"rows": rows}), "bad.json")
    result = flare("directory", "import", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "row 2: an organisation needs a name",
        "row 3: is not an object of column names and text",
        "row 4: unknown column(s): colour; the columns are kind,ref,name,organisation,email,"
        "role,nhs_number,platform,slack_team,slack_user,teams_tenant,teams_user,client,"
        "slack_workspaces,entra_tenants,directory_roles,date_of_birth",
        "row 5: column(s) name must be text",
        "flare: bad.json: 4 bad row(s); nothing was imported",
    ]
    assert "Secret Name" not in result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"rows": [', "line 1: not valid JSON"),
        ('[{"kind": "organisation"}]', 'the file must be a JSON object with a list of "rows"'),
        ('{"rows": []}', "the file has no rows"),
    ],
)
def test_a_json_file_that_is_not_a_directory_is_one_clear_line(
    flare: Flare, tmp_path: Path, text: str, message: str
) -> None:
    result = flare("directory", "import", str(_write(tmp_path, text, "d.json")))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"flare: d.json: {message}")
    assert len(result.stderr.strip().splitlines()) == 1


def _without_hana(tmp_path: Path) -> Path:
    """The example as a full export after Hana left, Jo changed name and Kit joined."""
    kept = [line for line in EXAMPLE.read_text().splitlines() if ",hana," not in line]
    kept = [line.replace("Jo Lindqvist,", "Jo Lindqvist-Berg,") for line in kept]
    kept.append("practitioner,kit,Kit Adams,county-cs,,Social worker,,,,,,,,,,,")
    return _write(tmp_path, "\n".join(kept) + "\n", "full.csv")


def test_a_full_import_first_shows_what_it_would_do_by_ref_and_changes_nothing(
    flare: Flare, uow_factory: UowFactory, tmp_path: Path
) -> None:
    assert flare("directory", "import", str(EXAMPLE)).exit_code == 0
    result = flare("directory", "import", "--full", str(_without_hana(tmp_path)))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "flare: a full import of full.csv would make 1 added, 1 changed, 1 deactivated "
        "(9 rows unchanged)",
        "  added: practitioner kit",
        "  changed: practitioner jo",
        "  deactivated: practitioner hana",
        "flare: nothing was changed; run again with --yes to apply",
    ]
    for name in NAMES:
        assert name not in result.output
    assert _active(uow_factory, "hana")
    assert len(_audit(uow_factory, "directory.imported")) == 1  # the first, plain import


def test_a_full_import_with_yes_deactivates_whoever_is_missing(
    flare: Flare, uow_factory: UowFactory, tmp_path: Path
) -> None:
    assert flare("directory", "import", str(EXAMPLE)).exit_code == 0
    result = flare("directory", "import", "--full", "--yes", str(_without_hana(tmp_path)))
    assert result.exit_code == 0, result.output
    assert "  deactivated: 1 practitioner(s)" in result.stdout
    assert not _active(uow_factory, "hana") and _active(uow_factory, "kit")
    [deactivated] = _audit(uow_factory, "practitioner.deactivated")
    assert deactivated["via"] == "cli: full import"
    full = _audit(uow_factory, "directory.imported")[-1]
    assert full["full"] is True and full["deactivated"] == 1 and full["changed"] == 1
    exported = flare("directory", "export").stdout
    assert ",hana," not in exported and "practitioner,kit," in exported
    # A plain import cannot bring a leaver back; a full one that lists them can.
    back = flare("directory", "import", str(EXAMPLE))
    assert back.exit_code == 1
    assert (
        "line 5: practitioner 'hana' was deactivated; only a full import (--full) reinstates"
        in back.stderr
    )
    assert flare("directory", "import", "--full", "--yes", str(EXAMPLE)).exit_code == 0
    assert _active(uow_factory, "hana") and not _active(uow_factory, "kit")
    assert len(_audit(uow_factory, "practitioner.reactivated")) == 1


@pytest.mark.parametrize(("answer", "applied"), [("y\n", True), ("n\n", False), ("\n", False)])
def test_at_a_terminal_a_full_import_asks_before_it_applies(
    flare: Flare,
    uow_factory: UowFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
    applied: bool,
) -> None:
    assert flare("directory", "import", str(EXAMPLE)).exit_code == 0
    monkeypatch.setattr("bot.operations.directory_full.interactive", lambda: True)
    result = flare("directory", "import", "--full", str(_without_hana(tmp_path)), input=answer)
    assert result.exit_code == 0, result.output
    assert "Apply this full import? [y/N]" in result.stderr
    assert _active(uow_factory, "hana") is not applied
    assert ("imported 11 rows" in result.stdout) is applied


def test_a_full_import_with_bad_lines_shows_them_and_no_plan(
    flare: Flare, uow_factory: UowFactory, tmp_path: Path
) -> None:
    assert flare("directory", "import", str(EXAMPLE)).exit_code == 0
    text = EXAMPLE.read_text().replace("membership,jo,,,,deputy", "membership,jo,,,,boss")
    result = flare("directory", "import", "--full", "--yes", str(_write(tmp_path, text)))
    assert result.exit_code == 1
    assert "would make" not in result.stdout
    assert (
        result.stderr.splitlines()[0] == "line 11: membership role must be lead, deputy or member"
    )
    assert _active(uow_factory, "hana")


def test_a_big_export_to_stdout_keeps_its_progress_on_stderr(flare: Flare, tmp_path: Path) -> None:
    rows = ["kind,ref,name,organisation", "organisation,big,Big Org,"]
    rows += [f"practitioner,p{n:04d},Person {n},big" for n in range(1200)]
    assert (
        flare("directory", "import", str(_write(tmp_path, "\n".join(rows) + "\n"))).exit_code == 0
    )
    result = flare("directory", "export")
    assert result.exit_code == 0
    assert "flare: exported 1000 rows so far" in result.stderr
    assert len(result.stdout.splitlines()) == 1 + 1201
    assert "so far" not in result.stdout


def test_an_export_that_cannot_be_written_or_read_says_so_in_one_line_and_leaves_nothing(
    flare: Flare, uow_factory: UowFactory, tmp_path: Path
) -> None:
    assert flare("directory", "import", str(EXAMPLE)).exit_code == 0
    nowhere = flare("directory", "export", str(tmp_path / "missing" / "out.csv"))
    assert nowhere.exit_code == 1
    assert nowhere.stderr.strip().splitlines() == [
        f"flare: cannot write {tmp_path / 'missing' / 'out.csv'}: No such file or directory"
    ]
    target = tmp_path / "out.csv"
    with uow_factory() as uow:  # one client's name moved onto the other: it cannot open there
        k42, k43 = (uow.directory.client_by_reference(ref) for ref in ("K-0042", "K-0043"))
        assert k42 is not None and k43 is not None
        k42.label_ct = k43.label_ct
        uow.commit()
    unreadable = flare("directory", "export", str(target))
    assert unreadable.exit_code == 1
    assert unreadable.stderr.strip().splitlines()[-1] == (
        "flare: client 'K-0042' cannot be decrypted (a key missing from FLARE_MASTER_KEYS, "
        "or a damaged row); nothing was exported"
    )
    assert not target.exists()
    assert _audit(uow_factory, "directory.exported") == []


def test_yes_without_full_is_refused_in_one_line(flare: Flare) -> None:
    result = flare("directory", "import", "--yes", str(EXAMPLE))
    assert result.exit_code == 2
    assert (
        result.stderr == "flare: --yes goes with --full (a plain import applies without asking)\n"
    )
