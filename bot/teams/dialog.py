"""The Teams raise dialog (task module): two Adaptive Cards and the submit that raises.

Card 1 asks the routing choices (client, category, severity). Card 2 shows the answers to
give (what you noticed, whether the family knows, the lawful basis and any Article 9
condition, identities to protect) and then who it will reach, recommended people ticked, to
narrow with a reason, and the decision: share it (saying why sharing is necessary) or
record a decision not to share (saying why not). The questions are the ones
`handlers.concern.answers` describes, and each invoke is one call into
`handlers.concern.submission`; submit raises (or records the decision) with the submission
key minted when the dialog opened, so a redelivered submit is one concern. Nothing is posted to
any conversation. Clients are listed by their Flare reference, never by name.

The answers travel from Teams to Flare only; the one exception is a submit that needs
correcting, where card 2 comes back to the raiser's own dialog with what they typed (as the
web form does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.dependencies import Dependencies
from bot.teams.advice import ADVICE_STEP, advice_action, asked_message
from bot.teams.cards import CARD_SCHEMA, CARD_VERSION
from handlers.concern.advice import AdviceAsked, ask_for_advice
from handlers.concern.answers import (
    BY_NAME,
    ROUTING_FIELDS,
    STEP_ONE_FIELDS,
    AnswerField,
    FieldKind,
    RaiseAnswers,
    answers_from,
)
from handlers.concern.not_sharing import DecisionRecorded
from handlers.concern.raising import Raised
from handlers.concern.submission import RaiseForm, preview_raise, send_or_decide, start_raise
from handlers.values import SharingDecision

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
TITLE = "Raise a concern"
STEP = "flare_step"
CHILD_STEP = "child"  # card 1's way to raise about any child (bot/teams/child_dialog.py)
CARD_ONE = (*ROUTING_FIELDS, BY_NAME["submission_key"])  # asked (or minted) by card 1
CARD_TWO = tuple(f for f in STEP_ONE_FIELDS if f not in CARD_ONE)

NOT_SHARED = (
    "Your decision not to share was recorded. Nobody has been told; only you, your "
    "organisation's safeguarding lead and its data protection officer can see it in Flare."
)

Card = dict[str, Any]


def task_card(card: Card, *, title: str = TITLE) -> dict[str, Any]:
    """An invoke answer that shows (or replaces) the dialog with this card."""
    return {
        "task": {
            "type": "continue",
            "value": {
                "title": title,
                "height": "large",
                "width": "medium",
                "card": {"contentType": CARD_CONTENT_TYPE, "content": card},
            },
        }
    }


def task_message(text: str) -> dict[str, Any]:
    """An invoke answer that closes the dialog with a short message."""
    return {"task": {"type": "message", "value": text}}


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> Card:
    return {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "body": body,
        "actions": actions,
    }


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _choices(described: AnswerField, options: list[tuple[str, str]], value: str) -> Card:
    """A single choice: a drop-down, or radio buttons that show long answers whole."""
    choice: Card = {
        "type": "Input.ChoiceSet",
        "id": described.name,
        "label": described.label,
        "style": "expanded" if described.show_all else "compact",
        "value": value,
        "choices": [{"title": title, "value": v} for v, title in options],
    }
    if described.required or described.kind is FieldKind.CLIENT:
        choice.update(isRequired=True, errorMessage=described.missing)
    return choice


def _area(described: AnswerField, value: str) -> Card:
    field: dict[str, Any] = {
        "type": "Input.Text",
        "id": described.name,
        "label": described.label,
        "isMultiline": True,
        "maxLength": described.max_length,
        "value": value,
    }
    if described.required:
        field.update(isRequired=True, errorMessage=described.missing)
    return field


def _answer(described: AnswerField, value: str) -> Card:
    if described.kind is FieldKind.CHOICE:
        return _choices(described, described.options(), value)
    return _area(described, value)


def _errors(errors: Mapping[str, str]) -> list[dict[str, Any]]:
    if not errors:
        return []
    lines = [_text("There is a problem", weight="bolder", color="attention")]
    lines += [_text(message, color="attention") for message in errors.values()]
    return [{"type": "Container", "style": "attention", "items": lines}]


def routing_card(form: RaiseForm, *, advice_url: str) -> Card:
    """Card 1: which client, what kind of concern, how serious."""
    body = [
        _text(TITLE, size="large", weight="bolder"),
        _text(
            "What you enter goes only to Flare, encrypted. Nothing is posted to this chat. "
            "Clients are shown by their Flare reference."
        ),
        *_errors(form.errors),
    ]
    advice = {"type": "Action.OpenUrl", "title": "Seek advice first", "url": advice_url}
    if not form.clients:  # no empty drop-down (Teams' renderer refuses a choice set without one)
        body.append(
            _text(
                "You are not in any client's network yet. You can still raise a concern "
                "about any child by NHS number, client reference, or name and date of birth.",
                color="attention",
            )
        )
        key = form.answers.submission_key
        child = {
            "type": "Action.Submit",
            "title": "Raise about any child",
            "data": {STEP: CHILD_STEP, "submission_key": key},
        }
        return _card(body, [child, advice])
    clients = [(c.client_id, c.reference) for c in form.clients]
    for described in ROUTING_FIELDS:
        options = clients if described.kind is FieldKind.CLIENT else described.options()
        body.append(_choices(described, options, getattr(form.answers, described.name)))
    key = form.answers.submission_key  # minted by handlers when the form was started
    actions: list[dict[str, Any]] = [
        {
            "type": "Action.Submit",
            "title": "Next",
            "data": {STEP: "answers", "submission_key": key},
        },
        advice,
    ]
    return _card(body, actions)


def answers_card(form: RaiseForm) -> Card:
    """Card 2: the answers, then who it will reach (recommended people ticked)."""
    reach, answers = form.reach, form.answers
    assert reach is not None  # RaiseForm.back_to(CARD_ONE) sends the raiser to card 1 otherwise
    chosen = ",".join(answers.recipients) or ",".join(sorted(reach.recommended_ids))
    people = [
        (
            m.practitioner_id,
            f"{m.name}, {m.job_title or m.role.label}, {m.organisation} ({m.role.label}) - {m.why}",
        )
        for m in reach.members
    ]
    recipients, narrowing = BY_NAME["recipients"], BY_NAME["narrowing_reason"]
    body = [
        _text(f"Client {reach.client_reference}", size="large", weight="bolder"),
        *_errors(form.errors),
        *[_answer(described, getattr(answers, described.name)) for described in CARD_TWO],
        _text("Who it will reach", size="medium", weight="bolder"),
        _text("Recommended people are ticked. Share only with those who need to know."),
        {
            "type": "Input.ChoiceSet",
            "id": recipients.name,
            "label": recipients.label,
            "isMultiSelect": True,
            "style": "expanded",
            "value": chosen,
            "choices": [{"title": title, "value": pid} for pid, title in people],
        },
        _area(narrowing, answers.narrowing_reason),
        *_decision(answers),
    ]
    data = {STEP: "send", **{f.name: getattr(answers, f.name) for f in CARD_ONE}}
    submit = {"type": "Action.Submit", "title": "Submit", "data": data}
    return _card(body, [submit, advice_action(data, STEP)])


def _decision(answers: RaiseAnswers) -> list[Card]:
    """Share it (and why), or decide not to share (and why): asked where recipients are."""
    decision = BY_NAME["decision"]
    return [
        _text("Share it, or decide not to share", size="medium", weight="bolder"),
        _text(decision.hint),
        _choices(decision, decision.options(), answers.decision or SharingDecision.SHARE.value),
        _area(BY_NAME["rationale"], answers.rationale),
        _area(BY_NAME["not_sharing_reason"], answers.not_sharing_reason),
    ]


def submitted(value: Mapping[str, Any]) -> Mapping[str, object]:
    """The submitted inputs of a task/submit or composeExtension/submitAction invoke."""
    data = value.get("data")
    return data if isinstance(data, Mapping) else {}


class RaiseDialog:
    """The dialog's steps, each one call into handlers."""

    def __init__(self, deps: Dependencies, advice_url: str) -> None:
        self._uow = deps.uow
        self._clock = deps.clock
        self._calendar = deps.calendar
        self._advice_url = advice_url

    def open(self, raiser_id: str) -> dict[str, Any]:
        return self._show(start_raise(self._uow(), raiser_id=raiser_id))

    def submit(self, raiser_id: str, data: Mapping[str, object]) -> dict[str, Any]:
        answers = answers_from(data)
        if data.get(STEP) == ADVICE_STEP:
            return self._ask_for_advice(raiser_id, answers)
        if data.get(STEP) != "send":  # card 1 answered: card 2, or card 1 again to correct
            form = preview_raise(
                self._uow(), answers, raiser_id=raiser_id, via="teams", routing_only=True
            )
            return self._show(form)
        outcome = send_or_decide(
            self._uow(),
            answers,
            raiser_id=raiser_id,
            clock=self._clock,
            calendar=self._calendar,
            via="teams",
        )
        if isinstance(outcome, RaiseForm):
            return self._show(outcome)
        if isinstance(outcome, DecisionRecorded):
            return task_message(NOT_SHARED)
        return task_message(_sent(outcome))

    def _ask_for_advice(self, raiser_id: str, answers: RaiseAnswers) -> dict[str, Any]:
        """Card 2 with "Ask for advice first": keep the draft and ask, or card 2 to correct."""
        asked = ask_for_advice(
            self._uow(),
            answers,
            raiser_id=raiser_id,
            clock=self._clock,
            calendar=self._calendar,
            via="teams",
        )
        if isinstance(asked, AdviceAsked):
            return task_message(asked_message(asked))
        form = preview_raise(self._uow(), answers, raiser_id=raiser_id, via="teams")
        return self._show(replace(form, errors={**form.errors, **asked.errors}))

    def _show(self, form: RaiseForm) -> dict[str, Any]:
        if form.back_to(CARD_ONE):
            return task_card(routing_card(form, advice_url=self._advice_url))
        return task_card(answers_card(form))


def _sent(outcome: Raised) -> str:
    people = f"{outcome.recipients} {'person' if outcome.recipients == 1 else 'people'}"
    return (
        f"Concern sent to {people}. You will get a receipt in this chat when the lead "
        "professional acknowledges it."
    )
