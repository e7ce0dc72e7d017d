"""An organisation with no membership in any network: its people raise from outside.

Gail works at the library service; Hana is its duty contact and Ivan its safeguarding lead
(the organisation's safeguarding people, who receive what matches no child).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.demo import ENTRA_TENANT, SLACK_WORKSPACE
from handlers.network.directory import import_directory
from handlers.network.directory_rows import DirectoryRow
from store.unit_of_work import UnitOfWork

KNOWN_NHS = "9434765919"  # C-1001's (Chloe leads, Erin deputises)
UNKNOWN_NHS = "9434765927"  # valid by checksum, no client has it
OUTSIDERS = (("gail", "Gail Burns"), ("hana", "Hana Ito"), ("ivan", "Ivan Lund"))


def add_outside_organisation(
    uow_factory: Callable[[], UnitOfWork], at: datetime, platform: str = "playground"
) -> dict[str, str]:
    """The library service and its three people; their ids by ref."""
    rows = [
        DirectoryRow(
            2,
            "organisation",
            "library-svc",
            name="Library Service",
            role="agency",
            slack_workspaces=SLACK_WORKSPACE,
            entra_tenants=ENTRA_TENANT,
        )
    ]
    for line, (ref, name) in enumerate(OUTSIDERS, start=3):
        rows.append(
            DirectoryRow(
                line,
                "practitioner",
                ref,
                name=name,
                organisation="library-svc",
                email=f"{ref}@library.flare.invalid",
                platform=platform,
            )
        )
    report = import_directory(uow_factory(), rows, at=at, actor="test")
    assert report.ok, report.errors
    with uow_factory() as uow:
        people = {
            ref: p.id for ref, _ in OUTSIDERS if (p := uow.directory.practitioner_by_ref(ref))
        }
        org = uow.directory.organisation_by_ref("library-svc")
        assert org is not None
        org.duty_contact_id = people["hana"]
        org.safeguarding_lead_id = people["ivan"]
        uow.commit()
    return people


KNOWN_BIRTH = "Zoë  O'Brien, 2019-04-23"  # C-2001's name and date of birth, as imported
KNOWN_BIRTH_TYPED = "ZOE O'BRIEN , 23/04/2019"  # the same child, typed another way
UNKNOWN_BIRTH = "Zoë O'Brien, 2019-04-24"  # a day apart: no client has it


def add_child_known_by_birth(uow_factory: Callable[[], UnitOfWork], at: datetime) -> str:
    """C-2001, known by name and date of birth only (Chloe leads, Erin deputises); its id."""
    name, _, born = KNOWN_BIRTH.rpartition(",")
    rows = [
        DirectoryRow(2, "client", "C-2001", name=name, date_of_birth=born.strip()),
        DirectoryRow(3, "membership", "chloe", client="C-2001", role="lead"),
        DirectoryRow(4, "membership", "erin", client="C-2001", role="deputy"),
    ]
    report = import_directory(uow_factory(), rows, at=at, actor="test")
    assert report.ok, report.errors
    with uow_factory() as uow:
        client = uow.directory.client_by_reference("C-2001")
        assert client is not None
        return client.id


def add_outside_admin(uow_factory: Callable[[], UnitOfWork], at: datetime) -> str:
    """Jun, the library service's organisation admin (neither its lead nor its duty contact)."""
    row = DirectoryRow(
        2,
        "practitioner",
        "jun",
        name="Jun Park",
        organisation="library-svc",
        email="jun@library.flare.invalid",
        platform="playground",
        directory_roles="organisation_admin",
    )
    report = import_directory(uow_factory(), [row], at=at, actor="test")
    assert report.ok, report.errors
    with uow_factory() as uow:
        jun = uow.directory.practitioner_by_ref("jun")
        assert jun is not None and jun.is_admin
        return jun.id
