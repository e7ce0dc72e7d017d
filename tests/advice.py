"""Shared set-up for the advice tests: who advises whom, and a draft with canaries in it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from handlers.concern.answers import RaiseAnswers
from store.models import Concern
from store.unit_of_work import UnitOfWork

ADVICE_CANARY = "ADVICE-CANARY-7f3b"


def set_advisers(
    uow_factory: Callable[[], UnitOfWork],
    organisation: str,
    *,
    lead: str | None,
    duty: str | None = None,
) -> None:
    """Set an organisation's safeguarding lead and duty contact (practitioner refs)."""
    with uow_factory() as uow:
        org = uow.directory.organisation_by_ref(organisation)
        assert org is not None
        for attribute, ref in (("safeguarding_lead_id", lead), ("duty_contact_id", duty)):
            person = uow.directory.practitioner_by_ref(ref) if ref else None
            setattr(org, attribute, person.id if person else None)
        uow.commit()


def draft(client_id: str, key: str, *, rationale: str = "") -> RaiseAnswers:
    """A draft about a client with a canary in every text the raiser typed."""
    return RaiseAnswers(
        client=client_id,
        category="neglect",
        severity="high",
        noticed=f"{ADVICE_CANARY} noticed",
        family_informed="not_safe",
        family_reason=f"{ADVICE_CANARY} family",
        rationale=rationale,
        lawful_basis="public_task",
        protected_identities=f"{ADVICE_CANARY} protected",
        submission_key=key,
    )


@dataclass(frozen=True)
class Made:
    """A concern (or decision not to share) as the tests look at it."""

    id: str
    status: str
    submission_key: str


def concerns_about(uow_factory: Callable[[], UnitOfWork], client_id: str) -> list[Made]:
    with uow_factory() as uow:
        rows = uow.session.scalars(select(Concern).where(Concern.client_id == client_id))
        return [Made(c.id, c.status, c.submission_key) for c in rows]
