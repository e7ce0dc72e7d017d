"""Raising about any child from Teams: a card in the raise dialog that takes the child's NHS
number, reference, or name and date of birth, and the answers, and sends in one step
(`handlers.concern.outsider`).

The raise dialog's first card offers it to a raiser who is in no network (step "child");
its Send (step "child_send") closes the dialog with the same message whether or not the
identifier matched. Nothing typed is sent back, except into the raiser's own dialog to
correct it (as the web form does); the identifier itself never is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.dependencies import Dependencies
from bot.teams.dialog import (
    CHILD_STEP,
    STEP,
    RaiseDialog,
    _answer,
    _card,
    _errors,
    _text,
    task_card,
    task_message,
)
from handlers.child_identifier import (
    BAD_IDENTIFIER,
    IDENTIFIER_HINT,
    IDENTIFIER_LABEL,
    MAX_IDENTIFIER,
)
from handlers.concern.answers import ONE_STEP_FIELDS, FieldKind, RaiseAnswers, answers_from
from handlers.concern.outsider import SENT, raise_about_child
from handlers.invalid import Invalid

SEND_STEP = "child_send"
TITLE = "Raise about any child"
ASKED = tuple(f for f in ONE_STEP_FIELDS if f.kind in (FieldKind.CHOICE, FieldKind.TEXT))


def child_card(answers: RaiseAnswers, errors: Mapping[str, str]) -> dict[str, Any]:
    """The identifier (never prefilled) and the answers; Send carries the submission key."""
    identifier = {
        "type": "Input.Text",
        "id": "identifier",
        "label": IDENTIFIER_LABEL,
        "placeholder": "Jane Smith, 2019-04-23",
        "maxLength": MAX_IDENTIFIER,
        "isRequired": True,
        "errorMessage": BAD_IDENTIFIER,
    }
    body = [
        _text(TITLE, size="large", weight="bolder"),
        _text(
            "What you enter goes only to Flare, encrypted. It is sent to the people "
            f"responsible for this child's safety. {IDENTIFIER_HINT}"
        ),
        *_errors(errors),
        identifier,
        *[_answer(described, getattr(answers, described.name)) for described in ASKED],
    ]
    data = {STEP: SEND_STEP, "submission_key": answers.submission_key}
    return _card(body, [{"type": "Action.Submit", "title": "Send", "data": data}])


class ChildDialog:
    """The raise dialog, with the steps that raise about any child."""

    def __init__(self, deps: Dependencies, advice_url: str) -> None:
        self._raise = RaiseDialog(deps, advice_url)
        self._uow = deps.uow
        self._clock = deps.clock
        self._calendar = deps.calendar

    def open(self, raiser_id: str) -> dict[str, Any]:
        return self._raise.open(raiser_id)

    def submit(self, raiser_id: str, data: Mapping[str, object]) -> dict[str, Any]:
        step = data.get(STEP)
        if step not in (CHILD_STEP, SEND_STEP):
            return self._raise.submit(raiser_id, data)
        answers = answers_from(data)
        if step == CHILD_STEP:
            return task_card(child_card(answers, {}), title=TITLE)
        identifier = data.get("identifier")
        outcome = raise_about_child(
            self._uow(),
            answers,
            identifier=identifier if isinstance(identifier, str) else "",
            raiser_id=raiser_id,
            clock=self._clock,
            calendar=self._calendar,
            via="teams",
        )
        if isinstance(outcome, Invalid):
            return task_card(child_card(answers, outcome.errors), title=TITLE)
        return task_message(SENT + ".")
