"""A raise form, from any surface: one call per step, answers in, what to show next out.

The web form, the Slack modal and the Teams dialog each call one of these per request:
`start_raise` (a blank form with the raiser's clients and a fresh submission key),
`preview_raise` (step one: check the answers, show whom it would reach; reads only),
`send_raise` (step two: raise, once per submission key), `decide_not_to_share` and
`send_or_decide` (step two, whichever of the two the raiser chose there). A step
that needs correcting comes back as a `RaiseForm` with its errors, so adapters only render.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace

from handlers.concern.answers import (
    NOT_IN_NETWORK,
    ROUTING_FIELDS,
    STEP_TWO_FIELDS,
    AnswerField,
    RaiseAnswers,
    RaiseConcern,
    errors_in,
    to_command,
    validate,
    with_client,
)
from handlers.concern.not_sharing import DecisionRecorded, record_decision_not_to_share
from handlers.concern.raising import Raised, raise_concern, share_options
from handlers.deadlines import WorkingCalendar
from handlers.invalid import Invalid
from handlers.network.client_lookup import ClientOption, client_options, match_client
from handlers.network.client_lookup import resolve_client as resolve_typed_client
from handlers.network.people import clients_of
from handlers.network.routing import ShareOptions
from handlers.ports import Clock
from handlers.values import SharingDecision
from store.unit_of_work import UnitOfWork

ROUTING = frozenset(f.name for f in ROUTING_FIELDS)
STEP_TWO = frozenset(f.name for f in STEP_TWO_FIELDS)  # asked where recipients are chosen


@dataclass(frozen=True)
class RaiseForm:
    """The raise form to show: the raiser's clients, whom it would reach, what to correct."""

    answers: RaiseAnswers
    clients: tuple[ClientOption, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)  # client id -> label (web only)
    reach: ShareOptions | None = None  # None until client, category and severity are good
    errors: Mapping[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        """Nothing to correct: show whom it will reach (and let the raiser send it)."""
        return self.reach is not None and not self.errors

    def back_to(self, fields: Collection[AnswerField]) -> bool:
        """Whether a form that asks these fields first must be shown again from the start."""
        return self.reach is None or errors_in(self.errors, fields)


def start_raise(
    uow: UnitOfWork,
    *,
    raiser_id: str,
    typed: str = "",
    labelled: bool = False,
    answers: RaiseAnswers | None = None,
) -> RaiseForm:
    """The form to fill in: blank (one client preselected if `typed` names it), or the answers
    given so far to change."""
    if answers is None:
        client = match_client(uow, raiser_id, typed) if typed else None
        answers = RaiseAnswers(client=client or "")
    return _form(uow, answers, raiser_id=raiser_id, labelled=labelled)


def preview_raise(
    uow: UnitOfWork,
    answers: RaiseAnswers,
    *,
    raiser_id: str,
    via: str = "web",
    identifier: str | None = None,
    routing_only: bool = False,
    labelled: bool = False,
) -> RaiseForm:
    """Step one: check the answers (only the routing ones if asked) and whom it would reach.

    Reads only: nothing is stored until the raiser sends. `identifier` is a client named by
    an identifier instead of picked (the Slack modal); None where a form cannot do that.
    """
    answers, bad_client = _resolve_client(uow, answers, raiser_id, identifier)
    cmd, unparsed = to_command(answers, raiser_id, with_recipients=False, via=via)
    errors = _with_client_errors({**unparsed, **validate(cmd)}, bad_client)
    errors = {name: message for name, message in errors.items() if name not in STEP_TWO}
    if routing_only:
        errors = {name: message for name, message in errors.items() if name in ROUTING}
    return _form(uow, answers, raiser_id=raiser_id, labelled=labelled, cmd=cmd, errors=errors)


def send_raise(
    uow: UnitOfWork,
    answers: RaiseAnswers,
    *,
    raiser_id: str,
    clock: Clock,
    calendar: WorkingCalendar,
    via: str = "web",
    identifier: str | None = None,
    labelled: bool = False,
) -> Raised | RaiseForm:
    """Step two: raise it (once per submission key), or the form again with what to correct."""
    answers, bad_client = _resolve_client(uow, answers, raiser_id, identifier)
    cmd, unparsed = to_command(answers, raiser_id, with_recipients=True, via=via)
    errors = _with_client_errors(unparsed, bad_client)
    if not errors:
        outcome = raise_concern(cmd, uow, clock, calendar)
        if isinstance(outcome, Raised):
            return outcome
        errors = outcome.errors
    return _form(uow, answers, raiser_id=raiser_id, labelled=labelled, cmd=cmd, errors=errors)


def decide_not_to_share(
    uow: UnitOfWork,
    answers: RaiseAnswers,
    *,
    raiser_id: str,
    clock: Clock,
    reason: str | None = None,
    via: str = "web",
    identifier: str | None = None,
    labelled: bool = False,
) -> DecisionRecorded | RaiseForm:
    """Golden rule 7 from the form: record the decision, or the form again to correct.

    The reasons are the answers' `not_sharing_reason` (`reason`, when given, replaces it).
    """
    answers = replace(answers, decision=SharingDecision.NOT_SHARE.value)
    if reason is not None:
        answers = replace(answers, not_sharing_reason=reason)
    answers, bad_client = _resolve_client(uow, answers, raiser_id, identifier)
    cmd, unparsed = to_command(answers, raiser_id, with_recipients=False, via=via)
    errors = _with_client_errors(unparsed, bad_client)
    if not errors:
        outcome = record_decision_not_to_share(cmd, uow=uow, clock=clock)
        if isinstance(outcome, DecisionRecorded):
            return outcome
        errors = outcome.errors
    return _form(uow, answers, raiser_id=raiser_id, labelled=labelled, cmd=cmd, errors=errors)


def send_or_decide(
    uow: UnitOfWork,
    answers: RaiseAnswers,
    *,
    raiser_id: str,
    clock: Clock,
    calendar: WorkingCalendar,
    via: str = "web",
    identifier: str | None = None,
    labelled: bool = False,
) -> Raised | DecisionRecorded | RaiseForm:
    """The step where recipients are chosen, submitted: share it, or record a decision not to
    share, as the raiser chose there (a blank choice is to share)."""
    if answers.decision == SharingDecision.NOT_SHARE.value:
        return decide_not_to_share(
            uow,
            answers,
            raiser_id=raiser_id,
            clock=clock,
            via=via,
            identifier=identifier,
            labelled=labelled,
        )
    return send_raise(
        uow,
        answers,
        raiser_id=raiser_id,
        clock=clock,
        calendar=calendar,
        via=via,
        identifier=identifier,
        labelled=labelled,
    )


def _resolve_client(
    uow: UnitOfWork, answers: RaiseAnswers, raiser_id: str, identifier: str | None
) -> tuple[RaiseAnswers, dict[str, str]]:
    """The client picked, or named by identifier; its errors never echo what was typed."""
    if identifier is None:
        return answers, {}
    found = resolve_typed_client(uow, raiser_id, chosen=answers.client, identifier=identifier)
    if isinstance(found, Invalid):
        return with_client(answers, ""), found.errors
    return with_client(answers, found), {}


def _with_client_errors(errors: dict[str, str], bad_client: dict[str, str]) -> dict[str, str]:
    """The answers' errors, with the client's own (which says more than "choose one")."""
    if not bad_client:
        return errors
    return {**{k: v for k, v in errors.items() if k != "client"}, **bad_client}


def _form(
    uow: UnitOfWork,
    answers: RaiseAnswers,
    *,
    raiser_id: str,
    labelled: bool,
    cmd: RaiseConcern | None = None,
    errors: Mapping[str, str] | None = None,
) -> RaiseForm:
    """The form with the raiser's clients, and whom it would reach once routing is good.

    A form without a submission key gets a new one, so it can be sent after correcting.
    """
    errors = dict(errors or {})
    if not answers.submission_key:
        answers = replace(answers, submission_key=secrets.token_urlsafe(24))
    reach = None
    if cmd is not None and cmd.client_id and not (ROUTING & set(errors)):
        reach = _reach(uow, cmd)
        if reach is None:
            errors["client"] = NOT_IN_NETWORK
    if labelled:
        choices = clients_of(uow, raiser_id)
        clients = tuple(ClientOption(c.client_id, c.reference) for c in choices)
        labels = {c.client_id: c.label for c in choices if c.label}
    else:
        clients, labels = client_options(uow, raiser_id), {}
    return RaiseForm(answers, clients, labels, reach, errors)


def _reach(uow: UnitOfWork, cmd: RaiseConcern) -> ShareOptions | None:
    with uow:
        return share_options(uow, cmd)
