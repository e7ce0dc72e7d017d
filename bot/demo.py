"""Demo data: three agencies, a handful of practitioners, three clients with networks."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.runtime import Runtime
from handlers.network.directory import DirectoryRow, ImportReport, import_directory
from store.models import Organisation

# The Slack workspace and Entra tenant the demo agencies share and declare (a partnership's
# own workspace and tenant); an identity from anywhere else counts for no demo practitioner.
# The test suite's fake Slack and Teams use these ids.
SLACK_WORKSPACE = "T0DEMO"
ENTRA_TENANT = "11111111-1111-1111-1111-111111111111"
ORGANISATIONS = [
    ("riverside-cc", "Riverside Children's Centre", "children_centre"),
    ("oakfield-primary", "Oakfield Primary School", "school"),
    ("council-cs", "Council Children's Services", "children_services"),
]
PRACTITIONERS = [
    ("amara", "Amara Okafor", "riverside-cc", "Family support worker"),
    ("ben", "Ben Hughes", "riverside-cc", "Children's centre manager"),
    ("chloe", "Chloe Patel", "oakfield-primary", "Designated safeguarding lead"),
    ("dev", "Dev Sharma", "oakfield-primary", "School nurse"),
    ("erin", "Erin Walsh", "council-cs", "Social worker"),
    ("femi", "Femi Adeyemi", "council-cs", "Duty manager, front door"),
]
# Fictional clients; the NHS numbers are valid by checksum but invented.
CLIENTS = [
    ("C-1001", "Jamie Rivers (age 4)", "9434765919"),
    ("C-1002", "Sky Morgan (age 7)", "9434765870"),
    ("C-1003", "Robin Ellis (age 2)", ""),
]
NETWORKS = [
    ("C-1001", "chloe", "lead"),
    ("C-1001", "erin", "deputy"),
    ("C-1001", "amara", "member"),
    ("C-1001", "dev", "member"),
    ("C-1002", "erin", "lead"),
    ("C-1002", "chloe", "deputy"),
    ("C-1002", "dev", "member"),
    ("C-1002", "ben", "member"),
    ("C-1003", "ben", "lead"),
    ("C-1003", "amara", "deputy"),
    ("C-1003", "erin", "member"),
]


def demo_rows() -> list[DirectoryRow]:
    rows: list[DirectoryRow] = []
    line = 1
    for ref, name, kind in ORGANISATIONS:
        line += 1
        rows.append(
            DirectoryRow(
                line,
                "organisation",
                ref,
                name=name,
                role=kind,
                slack_workspaces=SLACK_WORKSPACE,
                entra_tenants=ENTRA_TENANT,
            )
        )
    for ref, name, org, _title in PRACTITIONERS:
        line += 1
        rows.append(
            DirectoryRow(
                line,
                "practitioner",
                ref,
                name=name,
                organisation=org,
                email=f"{ref}@demo.flare.invalid",
                platform="playground",
            )
        )
    for ref, label, nhs in CLIENTS:
        line += 1
        rows.append(DirectoryRow(line, "client", ref, name=label, nhs_number=nhs))
    for client, person, role in NETWORKS:
        line += 1
        rows.append(DirectoryRow(line, "membership", person, client=client, role=role))
    return rows


def seed(runtime: Runtime, *, if_empty: bool = True) -> ImportReport | None:
    """Load the demo directory (titles, duty contact, safeguarding leads and admins are
    demo-only extras)."""
    with runtime.uow() as uow:
        has_orgs = uow.session.scalar(select(func.count()).select_from(Organisation)) or 0
    if if_empty and has_orgs:
        return None
    report = import_directory(runtime.uow(), demo_rows(), at=runtime.clock.now(), actor="demo")
    if not report.ok:
        return report
    with runtime.uow() as uow:
        titles = {ref: title for ref, _n, _o, title in PRACTITIONERS}
        for person in uow.directory.practitioners():
            person.job_title = titles.get(person.ref, person.job_title)
            person.is_admin = person.ref in ("ben", "femi")
            person.is_partnership_admin = person.ref == "femi"
        council = uow.directory.organisation_by_ref("council-cs")
        femi = uow.directory.practitioner_by_ref("femi")
        if council and femi:
            council.duty_contact_id = femi.id
        for organisation, lead in (("riverside-cc", "ben"), ("oakfield-primary", "chloe")):
            org = uow.directory.organisation_by_ref(organisation)
            adviser = uow.directory.practitioner_by_ref(lead)
            if org and adviser:  # whom their practitioners ask for advice before sharing
                org.safeguarding_lead_id = adviser.id
        uow.commit()
    return report
