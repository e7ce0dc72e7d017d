"""After asking for advice: read the request, then send the draft or decide not to share.

Only the raiser and the current adviser read a request (`read_advice`, audited). Sending
goes through the one raising use case (`raise_concern`, with the routing policy's
recipients) and then notes on the concern whom advice was sought from; deciding not to share
goes through `record_decision_not_to_share`. Either way the draft is emptied: it lives on in
the concern. The submission key makes both safe to repeat.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from handlers.concern.advice import (
    ANSWERED,
    ASKED,
    NOT_SHARED,
    SENT,
    UNSURE_BEFORE_ADVICE,
    open_draft,
)
from handlers.concern.answers import RaiseAnswers, to_command
from handlers.concern.not_sharing import DecisionRecorded, record_decision_not_to_share
from handlers.concern.raising import Raised, add_entry, raise_concern, share_options
from handlers.deadlines import WorkingCalendar
from handlers.invalid import Invalid
from handlers.network.access import is_active
from handlers.ports import Clock
from handlers.values import AdviserRole
from store.models import AdviceRequest
from store.sealed import AdviceField, ClientField
from store.unit_of_work import UnitOfWork

GONE = "This request for advice has already been sent or decided"


@dataclass(frozen=True)
class AdviceView:
    """A request for advice as its raiser or its adviser sees it."""

    request_id: str
    state: str
    as_raiser: bool
    raiser: str
    adviser: str
    adviser_role: AdviserRole
    client_reference: str
    client_label: str
    answers: RaiseAnswers
    reply: str
    asked_at: datetime
    answered_at: datetime | None
    respond_by: datetime | None
    concern_id: str | None
    reach: tuple[str, ...]  # who a send would reach (the routing policy's recommendation)

    @property
    def open(self) -> bool:
        """Neither sent nor decided yet: the raiser may still do either."""
        return self.state in (ASKED, ANSWERED)


def read_advice(
    uow: UnitOfWork, request_id: str, *, reader_id: str, clock: Clock
) -> AdviceView | None:
    """The request for its raiser or its current adviser (audited); None for anyone else."""
    with uow:
        request = uow.advice.get(request_id)
        if request is None or reader_id not in (request.raiser_id, request.adviser_id):
            return None
        if not is_active(uow, reader_id):
            return None
        view = _view(uow, request, as_raiser=reader_id == request.raiser_id)
        uow.audit(
            "advice.viewed",
            at=clock.now(),
            actor_id=reader_id,
            subject=request.client_id,
            detail={"request": request.id, "as": "raiser" if view.as_raiser else "adviser"},
        )
        uow.commit()
        return view


def _view(uow: UnitOfWork, request: AdviceRequest, *, as_raiser: bool) -> AdviceView:
    raiser = uow.directory.practitioner(request.raiser_id)
    adviser = uow.directory.practitioner(request.adviser_id)
    client = uow.directory.client(request.client_id)
    assert raiser is not None and adviser is not None and client is not None
    answers = open_draft(uow, request)
    reach: tuple[str, ...] = ()
    if as_raiser and request.state in (ASKED, ANSWERED):
        cmd, _ = to_command(answers, request.raiser_id, with_recipients=False)
        options = share_options(uow, cmd)
        if options is not None:
            chosen = options.recommended_ids
            reach = tuple(
                f"{m.name}, {m.organisation} ({m.role.label})"
                for m in options.members
                if m.practitioner_id in chosen
            )
    return AdviceView(
        request_id=request.id,
        state=request.state,
        as_raiser=as_raiser,
        raiser=f"{raiser.name}, {raiser.job_title}".strip(", "),
        adviser=adviser.name,
        adviser_role=AdviserRole(request.adviser_role),
        client_reference=client.reference,
        client_label=uow.sealed.client(client).open_or_blank(ClientField.LABEL),
        answers=answers,
        reply=uow.sealed.advice(request).open_or_blank(AdviceField.REPLY),
        asked_at=request.created_at,
        answered_at=request.answered_at,
        respond_by=request.escalate_at,
        concern_id=request.concern_id,
        reach=reach,
    )


def send_after_advice(
    uow: UnitOfWork,
    request_id: str,
    *,
    raiser_id: str,
    updates: Mapping[str, str],
    clock: Clock,
    calendar: WorkingCalendar,
    via: str = "web",
) -> Raised | Invalid:
    """Raise the draft (with the answers settled after advice) to whom the policy recommends."""
    draft = _draft(uow, request_id, raiser_id)
    if isinstance(draft, Invalid):
        return draft
    settled: dict[str, Any] = {k: v for k, v in updates.items() if k in UNSURE_BEFORE_ADVICE}
    answers = replace(draft, **settled)
    cmd, errors = to_command(answers, raiser_id, with_recipients=False, via=via)
    if errors:
        return Invalid(errors)
    outcome = raise_concern(cmd, uow, clock, calendar)
    if isinstance(outcome, Raised):
        _settle(uow, request_id, outcome.concern_id, state=SENT, clock=clock, via=via)
    return outcome


def decide_after_advice(
    uow: UnitOfWork,
    request_id: str,
    *,
    raiser_id: str,
    reason: str,
    clock: Clock,
    via: str = "web",
) -> DecisionRecorded | Invalid:
    """Record the draft as a decision not to share, with its reasons; tell no one."""
    draft = _draft(uow, request_id, raiser_id)
    if isinstance(draft, Invalid):
        return draft
    cmd, errors = to_command(draft, raiser_id, with_recipients=False, via=via)
    errors.pop("lawful_basis", None)  # no basis for sharing is needed to not share
    errors.pop("family_informed", None)
    if errors:
        return Invalid(errors)
    outcome = record_decision_not_to_share(cmd, reason=reason, uow=uow, clock=clock)
    if isinstance(outcome, DecisionRecorded):
        _settle(uow, request_id, outcome.concern_id, state=NOT_SHARED, clock=clock, via=via)
    return outcome


def _draft(uow: UnitOfWork, request_id: str, raiser_id: str) -> RaiseAnswers | Invalid:
    """The raiser's draft, or why it can no longer be sent or decided."""
    with uow:
        request = uow.advice.get(request_id)
        if request is None or request.raiser_id != raiser_id:
            return Invalid({"advice": GONE})
        if request.state not in (ASKED, ANSWERED) or not is_active(uow, raiser_id):
            return Invalid({"advice": GONE})
        return open_draft(uow, request)


def _settle(
    uow: UnitOfWork, request_id: str, concern_id: str, *, state: str, clock: Clock, via: str
) -> None:
    """Note the advice on the concern it became, once, and empty the draft."""
    with uow:
        request = uow.advice.get(request_id)
        concern = uow.concerns.get(concern_id)
        if request is None or concern is None or request.concern_id is not None:
            return
        now = clock.now()
        role = AdviserRole(request.adviser_role).label
        given = "and given" if request.state == ANSWERED else "but none was given before this"
        note = f"Advice was sought from the raiser's organisation's {role} {given}."
        add_entry(uow, concern, author_id=request.raiser_id, kind="advice", text=note, at=now)
        request.concern_id = concern.id
        request.state = state
        request.closed_at = now
        request.escalate_at = None
        request.draft_ct = None
        uow.audit(
            f"advice.{state}",
            at=now,
            actor_id=request.raiser_id,
            concern_id=concern.id,
            subject=request.client_id,
            detail={"request": request.id, "adviser_role": request.adviser_role, "via": via},
        )
        uow.commit()
