"""`flare directory import` declares a client's date of birth: with the name, one identifier
found through the blind index; a bad or future date, or a pair another client has, is a bad
line that never echoes the row; an empty cell keeps the date and follows a changed name."""

from __future__ import annotations

from pathlib import Path

from handlers.network.directory import find_client
from tests.cli.conftest import Flare
from tests.conftest import UowFactory

HEADER = "kind,ref,name,nhs_number,date_of_birth\n"


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "directory.csv"
    path.write_text(HEADER + text, encoding="utf-8")
    return str(path)


def _found(uow_factory: UowFactory, typed: str) -> str | None:
    with uow_factory() as uow:
        client = find_client(uow, raw=typed, kinds=["name_dob"])
        return client.reference if client else None


def test_a_date_of_birth_makes_the_name_and_date_an_identifier(
    flare: Flare, uow_factory: UowFactory, tmp_path: Path
) -> None:
    result = flare("directory", "import", _write(tmp_path, "client,C-1,Élodie Marsh,,14/02/2018\n"))

    assert result.exit_code == 0, result.output
    assert _found(uow_factory, "elodie  MARSH, 2018-02-14") == "C-1"
    assert _found(uow_factory, "Elodie Marsh, 2018-02-15") is None
    exported = flare("directory", "export").stdout.splitlines()
    assert exported[0].endswith(",date_of_birth")
    assert exported[1].startswith("client,C-1,Élodie Marsh,") and exported[1].endswith(
        ",2018-02-14"
    )


def test_an_empty_date_keeps_the_stored_one_and_follows_a_changed_name(
    flare: Flare, uow_factory: UowFactory, tmp_path: Path
) -> None:
    first = flare("directory", "import", _write(tmp_path, "client,C-1,Elodie Marsh,,2018-02-14\n"))
    assert first.exit_code == 0, first.output
    result = flare("directory", "import", _write(tmp_path, "client,C-1,Elodie Marsh-Lee,,\n"))

    assert result.exit_code == 0, result.output
    assert _found(uow_factory, "Elodie Marsh-Lee, 2018-02-14") == "C-1"
    assert _found(uow_factory, "Elodie Marsh, 2018-02-14") is None


def test_bad_dates_and_a_pair_another_client_has_are_bad_lines_that_echo_nothing(
    flare: Flare, uow_factory: UowFactory, tmp_path: Path
) -> None:
    first = flare("directory", "import", _write(tmp_path, "client,C-1,Secret Child,,2018-02-14\n"))
    assert first.exit_code == 0, first.output
    bad = (
        "client,C-2,Secret Two,,2018-02-30\n"  # line 2: not a real date
        "client,C-3,Secret Three,,2999-01-01\n"  # 3: in the future
        "client,C-4,SECRET  child,,2018-02-14\n"  # 4: C-1's name and date of birth
        "client,C-5,Secret Five,,2018-14-02\n"  # 5: no month 14
        "client,C-6,Secret Six,,2017-01-01\n"  # 6: fine
        "client,C-7,secret six,,01/01/2017\n"  # 7: the same pair as line 6
    )
    result = flare("directory", "import", _write(tmp_path, bad))

    assert result.exit_code == 1
    assert result.stderr.splitlines()[:-1] == [
        "line 2: date_of_birth: Write the date of birth as YYYY-MM-DD (for example 2019-04-23)",
        "line 3: date_of_birth: The date of birth cannot be in the future",
        "line 4: that name and date of birth are already recorded for another client",
        "line 5: date_of_birth: Write the date of birth as YYYY-MM-DD (for example 2019-04-23)",
        "line 7: that name and date of birth are already recorded for another client",
    ]
    for secret in ("Secret", "SECRET", "2018-02-30", "2999", "2017"):
        assert secret not in result.output
    assert _found(uow_factory, "Secret Six, 2017-01-01") is None  # nothing was imported


def test_a_changed_name_that_would_take_another_clients_pair_is_a_bad_line(
    flare: Flare, uow_factory: UowFactory, tmp_path: Path
) -> None:
    both = "client,C-1,Ann Lee,,2018-02-14\nclient,C-2,Bea Lee,,2018-02-14\n"
    first = flare("directory", "import", _write(tmp_path, both))
    assert first.exit_code == 0, first.output
    result = flare("directory", "import", _write(tmp_path, "client,C-2,Ann Lee,,\n"))

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "line 2: that name and date of birth are already recorded for another client"
    )
    assert _found(uow_factory, "Bea Lee, 2018-02-14") == "C-2"
