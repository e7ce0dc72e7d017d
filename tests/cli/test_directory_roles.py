"""`flare directory import` reads the optional directory_roles column of practitioner rows."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Flare
from tests.conftest import UowFactory

ROLES_CSV = """kind,ref,name,organisation,role,directory_roles
organisation,north,North Family Hub,,children_centre,
practitioner,nia,Nia Brown,north,Hub manager,organisation_admin; safeguarding_lead
practitioner,olu,Olu Bello,north,Duty worker,duty_contact dpo partnership_admin
practitioner,pat,Pat Kerr,north,Family worker,
"""


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "roles.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_directory_roles_grant_admins_and_name_role_holders(
    flare: Flare, uow_factory: UowFactory, tmp_path: Path
) -> None:
    result = flare("directory", "import", _write(tmp_path, ROLES_CSV))
    assert result.exit_code == 0, result.output
    with uow_factory() as uow:
        org = uow.directory.organisation_by_ref("north")
        people = {p.ref: p for p in uow.directory.practitioners()}
        assert org is not None
        assert (org.safeguarding_lead_id, org.duty_contact_id, org.dpo_id) == (
            people["nia"].id,
            people["olu"].id,
            people["olu"].id,
        )
        assert [r for r, p in sorted(people.items()) if p.is_admin] == ["nia"]
        assert [r for r, p in sorted(people.items()) if p.is_partnership_admin] == ["olu"]
    # an empty cell on re-import leaves roles as they are (set on the admin pages, say)
    again = ROLES_CSV.replace("organisation_admin; safeguarding_lead", "")
    assert flare("directory", "import", _write(tmp_path, again)).exit_code == 0
    with uow_factory() as uow:
        nia = uow.directory.practitioner_by_ref("nia")
        assert nia is not None and nia.is_admin


def test_an_unknown_directory_role_is_a_numbered_error(flare: Flare, tmp_path: Path) -> None:
    bad = ROLES_CSV.replace("duty_contact dpo", "duty_contact chief")
    result = flare("directory", "import", _write(tmp_path, bad))
    assert result.exit_code != 0
    assert "line 4: directory_roles must be among" in result.output
