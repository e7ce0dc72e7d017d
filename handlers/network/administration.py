"""Organisation and partnership administration: who may administer, and the changes they make.

An organisation admin (`Practitioner.is_admin`) manages their own organisation: its
practitioners (add, edit, deactivate a leaver), its declared Slack workspaces and Entra
tenants, its safeguarding lead, duty contact and data protection officer, and its admins. A
partnership admin (`Practitioner.is_partnership_admin`) edits the partnership's settings
(handlers.partnership). Every change is audited with its before and after values;
a refusal is audited too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NoReturn

from handlers.invalid import Invalid
from handlers.network.leavers import deactivate
from handlers.network.workspaces import Declared
from store.models import Organisation, Practitioner, new_id
from store.unit_of_work import UnitOfWork

PLATFORMS = ("slack", "teams", "playground")
EMAIL = re.compile(r"^[^@\s]{1,200}@[^@\s]{1,100}\.[^@\s]{1,20}$")


class OrganisationRole(StrEnum):
    """The people an organisation names for a job (each an `Organisation` column)."""

    SAFEGUARDING_LEAD = "safeguarding_lead_id"
    DUTY_CONTACT = "duty_contact_id"
    DPO = "dpo_id"

    @property
    def label(self) -> str:
        return {
            "safeguarding_lead_id": "Safeguarding lead",
            "duty_contact_id": "Duty contact",
            "dpo_id": "Data protection officer",
        }[self.value]


# A directory CSV practitioner row's optional `directory_roles` column: the roles it grants
# (an empty cell leaves the roles set on the admin pages as they are).
DIRECTORY_ROLES = (
    "organisation_admin",
    "partnership_admin",
    *(role.name.lower() for role in OrganisationRole),
)


def directory_roles(cell: str) -> list[str]:
    return [word for word in re.split(r"[\s;,]+", cell.strip().lower()) if word]


def grant_roles(org: Organisation, person: Practitioner, roles: list[str]) -> None:
    """A directory row's roles: admin flags, or their organisation's holder of a role."""
    if "organisation_admin" in roles:
        person.is_admin = True
    if "partnership_admin" in roles:
        person.is_partnership_admin = True
    for role in OrganisationRole:
        if role.name.lower() in roles:
            setattr(org, role.value, person.id)


def roles_of(person: Practitioner) -> list[str]:
    """The directory roles a practitioner holds, as `grant_roles` reads them back."""
    roles = ["organisation_admin"] * person.is_admin
    roles += ["partnership_admin"] * person.is_partnership_admin
    org = person.organisation
    return roles + [r.name.lower() for r in OrganisationRole if getattr(org, r.value) == person.id]


class NotAllowed(Exception):
    """The signed-in person may not administer this (audited; the page answers 403)."""


def administers_organisation(person: Practitioner | None) -> bool:
    return person is not None and person.active and person.is_admin


def administers_partnership(person: Practitioner | None) -> bool:
    return person is not None and person.active and person.is_partnership_admin


ORGANISATION_PAGE = ("/admin/organisation", "Organisation admin")
PARTNERSHIP_PAGE = ("/admin/partnership", "Partnership admin")


def admin_pages(person: Practitioner | None) -> tuple[tuple[str, str], ...]:
    """The admin pages (path, label) this person may use: what the header links to."""
    allowed = (
        (ORGANISATION_PAGE, administers_organisation(person)),
        (PARTNERSHIP_PAGE, administers_partnership(person)),
    )
    return tuple(page for page, may in allowed if may)


def organisation_admin(uow: UnitOfWork, *, actor_id: str, page: str, at: datetime) -> Organisation:
    """The organisation `actor_id` administers, or NotAllowed (audited) if they are no admin."""
    person = uow.directory.practitioner(actor_id)
    if person is None or not administers_organisation(person):
        refuse(uow, actor_id, page, at)
    return person.organisation


def partnership_admin(uow: UnitOfWork, *, actor_id: str, page: str, at: datetime) -> Practitioner:
    """The partnership admin `actor_id`, or NotAllowed (audited)."""
    person = uow.directory.practitioner(actor_id)
    if person is None or not administers_partnership(person):
        refuse(uow, actor_id, page, at)
    return person


def refuse(uow: UnitOfWork, actor_id: str, page: str, at: datetime) -> NoReturn:
    """Audit a refusal (committed on its own) and raise NotAllowed."""
    uow.audit("admin.refused", at=at, actor_id=actor_id, subject=page[:64])
    uow.commit()
    raise NotAllowed(page)


def audit_change(
    uow: UnitOfWork, *, actor_id: str, subject: str, before: object, after: object, at: datetime
) -> None:
    """One admin change, with its before and after values (non-sensitive values only)."""
    uow.audit(
        "admin.changed",
        at=at,
        actor_id=actor_id,
        subject=subject[:64],
        detail={"before": before, "after": after},
    )


@dataclass(frozen=True)
class PersonDetails:
    """What an organisation admin types about a practitioner."""

    name: str
    job_title: str
    email: str
    platform: str

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> PersonDetails | Invalid:
        details = cls(
            name=form.get("name", "").strip(),
            job_title=form.get("job_title", "").strip(),
            email=form.get("email", "").strip().lower(),
            platform=form.get("platform", "").strip() or "playground",
        )
        errors = {}
        if not details.name or len(details.name) > 200:
            errors["name"] = "Enter the practitioner's full name (up to 200 characters)"
        if len(details.job_title) > 200:
            errors["job_title"] = "Job title must be 200 characters or fewer"
        if details.email and not EMAIL.match(details.email):
            errors["email"] = "Enter an email address like name@example.org"
        if details.platform not in PLATFORMS:
            errors["platform"] = "Choose Slack, Teams or the playground"
        return Invalid(errors) if errors else details


def _email_taken(uow: UnitOfWork, email: str, except_id: str | None) -> bool:
    return bool(email) and any(
        p.id != except_id for p in uow.directory.practitioner_by_email(email)
    )


def add_practitioner(
    uow: UnitOfWork,
    *,
    organisation: Organisation,
    actor_id: str,
    details: PersonDetails,
    at: datetime,
) -> Practitioner | Invalid:
    if _email_taken(uow, details.email, None):
        return Invalid({"email": "Someone in the directory already has this email address"})
    person = Practitioner(
        id=new_id(),
        ref=f"{organisation.ref[:40]}-{new_id()[:12]}",
        organisation_id=organisation.id,
        name=details.name,
        job_title=details.job_title,
        email=details.email or None,
        preferred_platform=details.platform,
        created_at=at,
    )
    uow.directory.add(person)
    uow.flush()
    audit_change(
        uow,
        actor_id=actor_id,
        subject=f"practitioner:{person.id}",
        before=None,
        after={"ref": person.ref, "platform": person.preferred_platform},
        at=at,
    )
    return person


def member_of(
    uow: UnitOfWork,
    organisation: Organisation,
    practitioner_id: str,
    *,
    actor_id: str,
    at: datetime,
) -> Practitioner:
    """A practitioner of this organisation, or NotAllowed (audited): not the admin's to change."""
    person = uow.directory.practitioner(practitioner_id)
    if person is None or person.organisation_id != organisation.id:
        refuse(uow, actor_id, f"practitioner:{practitioner_id}", at)
    return person


def edit_practitioner(
    uow: UnitOfWork, *, person: Practitioner, actor_id: str, details: PersonDetails, at: datetime
) -> Invalid | None:
    if _email_taken(uow, details.email, person.id):
        return Invalid({"email": "Someone in the directory already has this email address"})
    before = {"job_title": person.job_title, "platform": person.preferred_platform}
    changed_personal = person.name != details.name or (person.email or "") != details.email
    person.name, person.job_title = details.name, details.job_title
    person.email, person.preferred_platform = details.email or None, details.platform
    after = {"job_title": person.job_title, "platform": person.preferred_platform}
    if before != after or changed_personal:
        # name and e-mail are personal data: the audit says that they changed, not what to.
        audit_change(
            uow,
            actor_id=actor_id,
            subject=f"practitioner:{person.id}",
            before=before,
            after={**after, "name_or_email_changed": changed_personal},
            at=at,
        )
    return None


def deactivate_leaver(
    uow: UnitOfWork, *, person: Practitioner, actor_id: str, at: datetime
) -> None:
    """A leaver stops at once, by the one leavers rule: sessions end, links and queued
    pointers stop, follow-ups go back to the lead. Audited as an admin change too."""
    if not person.active:
        return
    deactivate(uow, person, at=at, actor_id=actor_id, via="admin page")
    audit_change(
        uow,
        actor_id=actor_id,
        subject=f"practitioner:{person.id}",
        before={"active": True},
        after={"active": False},
        at=at,
    )


def set_roles(
    uow: UnitOfWork,
    *,
    organisation: Organisation,
    actor_id: str,
    holders: Mapping[OrganisationRole, str | None],
    admin_ids: Sequence[str],
    at: datetime,
) -> Invalid | None:
    """Name the organisation's safeguarding lead, duty contact, DPO and admins."""
    people = {
        p.id: p for p in uow.directory.practitioners() if p.organisation_id == organisation.id
    }
    active = {pid for pid, p in people.items() if p.active}
    errors = {
        role.name.lower(): f"Choose the {role.label.lower()} from your organisation's people"
        for role, holder in holders.items()
        if holder is not None and holder not in active
    }
    admins = set(admin_ids)
    if not admins or not admins <= active:
        errors["admins"] = "Choose at least one active person from your organisation as admin"
    if errors:
        return Invalid(errors)
    for role, holder in holders.items():
        before = getattr(organisation, role.value)
        if before != holder:
            setattr(organisation, role.value, holder)
            audit_change(
                uow,
                actor_id=actor_id,
                subject=f"organisation:{organisation.id}:{role.name.lower()}",
                before=before,
                after=holder,
                at=at,
            )
    before_admins = sorted(pid for pid, p in people.items() if p.is_admin)
    for pid, person in people.items():
        person.is_admin = pid in admins
    if before_admins != sorted(admins):
        audit_change(
            uow,
            actor_id=actor_id,
            subject=f"organisation:{organisation.id}:admins",
            before=before_admins,
            after=sorted(admins),
            at=at,
        )
    return None


def set_workspaces(
    uow: UnitOfWork,
    *,
    organisation: Organisation,
    actor_id: str,
    slack: str,
    entra: str,
    at: datetime,
) -> Invalid | None:
    """Replace the organisation's declared Slack workspaces and Entra tenants."""
    declared = Declared.from_cells(slack, entra)
    problem = declared.problem()
    if problem:
        return Invalid(
            {"slack_workspaces" if problem.startswith("slack") else "entra_tenants": problem}
        )
    for provider, ids in (("slack", declared.slack), ("entra", declared.entra)):
        before = sorted(uow.directory.declared_workspaces(organisation.id, provider))
        if before != sorted(ids):
            uow.directory.declare_workspaces(organisation.id, provider, ids, at=at)
            audit_change(
                uow,
                actor_id=actor_id,
                subject=f"organisation:{organisation.id}:{provider}",
                before=before,
                after=sorted(ids),
                at=at,
            )
    return None


LAST_PARTNERSHIP_ADMIN = "The partnership needs at least one partnership admin"
NOT_GRANTABLE = "Choose an active practitioner who is not a partnership admin yet"


def partnership_admins(uow: UnitOfWork) -> list[Practitioner]:
    """The active partnership admins, by name."""
    people = uow.directory.practitioners()
    return sorted((p for p in people if p.active and p.is_partnership_admin), key=_by_name)


def _by_name(person: Practitioner) -> str:
    return person.name.casefold()


def set_partnership_admin(
    uow: UnitOfWork, *, actor_id: str, practitioner_id: str, grant: bool, at: datetime
) -> Invalid | None:
    """Grant or remove the partnership admin role (never the last one), audited before/after."""
    before = sorted(p.id for p in partnership_admins(uow))
    person = uow.directory.practitioner(practitioner_id)
    if grant and (person is None or not person.active or person.is_partnership_admin):
        return Invalid({"practitioner_id": NOT_GRANTABLE})
    if not grant and (person is None or person.id not in before):
        return Invalid({"practitioner_id": "Choose one of the partnership admins"})
    if not grant and before == [practitioner_id]:
        return Invalid({"practitioner_id": LAST_PARTNERSHIP_ADMIN})
    assert person is not None
    person.is_partnership_admin = grant
    after = sorted({*before, person.id} if grant else set(before) - {person.id})
    audit_change(
        uow, actor_id=actor_id, subject="partnership:admins", before=before, after=after, at=at
    )
    return None
