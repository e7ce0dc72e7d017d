"""Shared set-up for the advice tests: who advises whom, and a draft with canaries in it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from handlers.concern.advice import AdviceAsked, AdviceGiven, ask_for_advice, reply_to_advice
from handlers.concern.advice_outcome import send_after_advice
from handlers.concern.answers import RaiseAnswers
from handlers.concern.raising import Raised
from handlers.deadlines import WorkingCalendar
from handlers.ports import Clock
from store.models import Concern
from store.unit_of_work import UnitOfWork
from tests.directory import Directory

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


def ask(
    uow_factory: Callable[[], UnitOfWork], clock: Clock, d: Directory, key: str = "advice-key-1"
) -> AdviceAsked:
    """Amara asks for advice on a draft about C-1001 (her safeguarding lead answers it)."""
    asked = ask_for_advice(
        uow_factory(),
        draft(d.clients["C-1001"], key),
        raiser_id=d.people["amara"],
        clock=clock,
        calendar=WorkingCalendar(),
    )
    assert isinstance(asked, AdviceAsked), asked
    return asked


def concerns_about(uow_factory: Callable[[], UnitOfWork], client_id: str) -> list[Made]:
    with uow_factory() as uow:
        rows = uow.session.scalars(select(Concern).where(Concern.client_id == client_id))
        return [Made(c.id, c.status, c.submission_key) for c in rows]


def answer_and_send(
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    *,
    request_id: str,
    adviser_id: str,
    raiser_id: str,
    reply: str,
    deliver: Callable[[], object],
) -> str:
    """The adviser replies (a pointer back), the raiser sends (pointers to the network); the
    concern's id. What the web pages do, by the same handler calls."""
    given = reply_to_advice(
        uow_factory(), request_id, adviser_id=adviser_id, reply=reply, clock=clock
    )
    assert isinstance(given, AdviceGiven), given
    deliver()
    sent = send_after_advice(
        uow_factory(),
        request_id,
        raiser_id=raiser_id,
        updates={},
        clock=clock,
        calendar=WorkingCalendar(),
    )
    assert isinstance(sent, Raised), sent
    deliver()
    return sent.concern_id


def the_request(uow_factory: Callable[[], UnitOfWork], submission_key: str) -> tuple[str, str]:
    """The advice request a raise form made: its id and its adviser's."""
    with uow_factory() as uow:
        request = uow.advice.by_submission(submission_key)
        assert request is not None
        return request.id, request.adviser_id
