"""Seek advice first: a draft concern kept sealed while the raiser asks their organisation.

`ask_for_advice` keeps the raise form's answers as a sealed draft, visible to the raiser and
the adviser only, and points the adviser to its page: the raiser's organisation's
safeguarding lead, or the duty contact when there is no lead (then its admins). The adviser
reads it and replies there (`reply_to_advice`), and the raiser is pointed back. The raiser then
sends it or records a decision not to share (`handlers.concern.advice_outcome`). Nothing
reaches the client's network before the raiser sends. Unanswered requests escalate
(`handlers.concern.advice_escalation`). Audit rows hold ids, roles and kinds, never words.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

from handlers.concern.answers import NOT_IN_NETWORK, RaiseAnswers, answers_from, to_command
from handlers.concern.answers import validate as validate_answers
from handlers.concern.outsider import own_safeguarding
from handlers.concern.raising import share_options
from handlers.deadlines import WorkingCalendar, organisation_deadline
from handlers.invalid import MAX_TEXT, Invalid
from handlers.network.access import is_active
from handlers.outbox.delivery import enqueue_notice
from handlers.partnership import deadline_policy
from handlers.ports import Clock
from handlers.values import AdviserRole, PointerKind, Severity
from store.models import AdviceRequest, Practitioner, new_id
from store.sealed import AdviceField
from store.unit_of_work import UnitOfWork

NO_ADVISER = (
    "Your organisation has no safeguarding lead or duty contact in Flare yet. "
    "Ask your Flare administrator to set one"
)
# Answers the raiser may still be unsure of when asking: the advice is about exactly these.
UNSURE_BEFORE_ADVICE = ("rationale", "lawful_basis", "family_informed", "family_reason")
ASKED, ANSWERED, SENT, NOT_SHARED = "asked", "answered", "sent", "not_shared"
NOT_YOURS = "This request for advice is not yours to answer, or it has been answered"


@dataclass(frozen=True)
class Adviser:
    person: Practitioner
    role: AdviserRole


@dataclass(frozen=True)
class AdviceAsked:
    request_id: str
    adviser_role: AdviserRole
    duplicate: bool = False


@dataclass(frozen=True)
class AdviceGiven:
    request_id: str


def advice_page(request_id: str) -> str:
    """The signed-in page where the raiser and the adviser read (and answer) a request."""
    return f"/advice/{request_id}"


def advisers(uow: UnitOfWork, raiser: Practitioner) -> list[Adviser]:
    """Whom to ask, in escalation order: safeguarding lead, duty contact, then admins."""
    organisation = raiser.organisation
    chain: list[Adviser] = []
    lead_id = organisation.safeguarding_lead_id
    lead = uow.directory.practitioner(lead_id) if lead_id else None
    if lead is not None and lead.active and lead.id != raiser.id:
        chain.append(Adviser(lead, AdviserRole.SAFEGUARDING_LEAD))
    for person in own_safeguarding(uow, raiser):
        if all(a.person.id != person.id for a in chain):
            duty = person.id == organisation.duty_contact_id
            chain.append(Adviser(person, AdviserRole.DUTY_CONTACT if duty else AdviserRole.ADMIN))
    return chain


def ask_for_advice(
    uow: UnitOfWork,
    answers: RaiseAnswers,
    *,
    raiser_id: str,
    clock: Clock,
    calendar: WorkingCalendar,
    via: str = "web",
) -> AdviceAsked | Invalid:
    """Keep the draft sealed and point the adviser to it, once per raise form."""
    errors = _check(answers, raiser_id)
    if errors:
        return Invalid(errors)
    with uow:
        earlier = _earlier(uow, answers, raiser_id)
        if earlier is not None:
            return earlier
        raiser = uow.directory.practitioner(raiser_id)
        cmd, _ = to_command(answers, raiser_id, with_recipients=False, via=via)
        if raiser is None or not raiser.active or share_options(uow, cmd) is None:
            return Invalid({"client": NOT_IN_NETWORK})
        chain = advisers(uow, raiser)
        if not chain:
            return Invalid({"advice": NO_ADVISER})
        now = clock.now()
        request = AdviceRequest(
            id=new_id(),
            raiser_id=raiser_id,
            adviser_id=chain[0].person.id,
            adviser_role=chain[0].role.value,
            client_id=cmd.client_id,
            submission_key=answers.submission_key,
            severity=cmd.severity.value,
            state=ASKED,
            escalation_level=0,
            escalate_at=respond_by(uow, raiser, cmd.severity, now, calendar),
            created_at=now,
        )
        request.data_key_id = uow.vault.create_key("advice")
        uow.sealed.advice(request).seal(AdviceField.DRAFT, _dump(answers))
        uow.advice.add(request)
        uow.flush()
        point_adviser(uow, request, chain[0].person, at=now)
        uow.audit(
            "advice.asked",
            at=now,
            actor_id=raiser_id,
            subject=request.client_id,
            detail={
                "request": request.id,
                "adviser_role": request.adviser_role,
                "category": cmd.category.value,
                "severity": cmd.severity.value,
                "via": via,
            },
        )
        uow.commit()
        return AdviceAsked(request.id, chain[0].role)


def _check(answers: RaiseAnswers, raiser_id: str) -> dict[str, str]:
    """The answers' errors, less those the raiser may leave for the advice to settle."""
    cmd, unparsed = to_command(answers, raiser_id, with_recipients=False)
    errors = {**unparsed, **validate_answers(cmd)}
    for name in UNSURE_BEFORE_ADVICE:
        if not getattr(answers, name).strip():
            errors.pop(name, None)
    return errors


def _earlier(uow: UnitOfWork, answers: RaiseAnswers, raiser_id: str) -> AdviceAsked | None:
    earlier = uow.advice.by_submission(answers.submission_key)
    if earlier is None or earlier.raiser_id != raiser_id:
        return None
    return AdviceAsked(earlier.id, AdviserRole(earlier.adviser_role), duplicate=True)


def respond_by(
    uow: UnitOfWork,
    raiser: Practitioner,
    severity: Severity,
    now: datetime,
    calendar: WorkingCalendar,
) -> datetime:
    """The same deadline as acknowledging a concern of this severity, in working time."""
    policy = deadline_policy(uow, uow.directory.organisation(raiser.organisation_id))
    return organisation_deadline(severity, now, calendar, policy)


def point_adviser(
    uow: UnitOfWork, request: AdviceRequest, adviser: Practitioner, *, at: datetime
) -> None:
    """A pointer to the request's page (title and link only), in this transaction's outbox."""
    enqueue_notice(
        uow,
        recipient_id=adviser.id,
        platform=adviser.preferred_platform,
        kind=PointerKind.ADVICE_REQUESTED,
        key=f"advice:{request.id}:{request.escalation_level}",
        at=at,
        detail={"page": advice_page(request.id), "level": request.escalation_level},
    )


def reply_to_advice(
    uow: UnitOfWork, request_id: str, *, adviser_id: str, reply: str, clock: Clock
) -> AdviceGiven | Invalid:
    """The adviser's reply, sealed; the raiser is pointed back to the page."""
    if not reply.strip():
        return Invalid({"reply": "Enter your advice"})
    if len(reply) > MAX_TEXT:
        return Invalid({"reply": f"Keep your advice to {MAX_TEXT} characters or fewer"})
    with uow:
        request = uow.advice.get(request_id)
        if (
            request is None
            or request.adviser_id != adviser_id
            or request.state != ASKED
            or not is_active(uow, adviser_id)
        ):
            return Invalid({"reply": NOT_YOURS})
        now = clock.now()
        uow.sealed.advice(request).seal(AdviceField.REPLY, reply)
        request.state = ANSWERED
        request.answered_at = now
        request.answered_by_id = adviser_id
        request.escalate_at = None
        raiser = uow.directory.practitioner(request.raiser_id)
        assert raiser is not None
        enqueue_notice(
            uow,
            recipient_id=raiser.id,
            platform=raiser.preferred_platform,
            kind=PointerKind.ADVICE_GIVEN,
            key=f"advice-given:{request.id}",
            at=now,
            detail={"page": advice_page(request.id)},
        )
        uow.audit(
            "advice.given",
            at=now,
            actor_id=adviser_id,
            subject=request.client_id,
            detail={"request": request.id, "adviser_role": request.adviser_role},
        )
        uow.commit()
        return AdviceGiven(request.id)


def open_draft(uow: UnitOfWork, request: AdviceRequest) -> RaiseAnswers:
    """The raise form's answers as the raiser left them (blank once sent or decided)."""
    text = uow.sealed.advice(request).open_or_blank(AdviceField.DRAFT)
    return answers_from(json.loads(text)) if text else RaiseAnswers()


def _dump(answers: RaiseAnswers) -> str:
    values = asdict(answers)
    values["recipients"] = list(answers.recipients)
    return json.dumps(values)
