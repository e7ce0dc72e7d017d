"""Who is a data protection officer: the one rule the DPO's pages and use cases call.

An organisation names its DPO on the organisation admin page or with the directory CSV's
`directory_roles` column (`dpo`); it is `Organisation.dpo_id`. A practitioner is a DPO while
they are active and their own organisation names them. Being an admin is not enough.
"""

from __future__ import annotations

from store.models import Practitioner
from store.unit_of_work import UnitOfWork


def data_protection_officer(uow: UnitOfWork, practitioner_id: str) -> Practitioner | None:
    """The practitioner, when they are an active DPO of their organisation; else None."""
    person = uow.directory.practitioner(practitioner_id)
    if person is None or not person.active or person.organisation.dpo_id != person.id:
        return None
    return person
