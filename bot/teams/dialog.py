"""The Teams raise dialog (task module): two Adaptive Cards and the submit that raises.

Card 1 asks the routing choices (client, category, severity). Card 2 shows the answers to
give (what you noticed, whether the family knows, why sharing is necessary and the lawful
basis, identities to protect) and then who it will reach, recommended people ticked, to
narrow with a reason. Submit raises through `handlers.concern.raising` with the submission key
minted when the dialog opened, so a redelivered submit is one concern. Nothing is posted to
any conversation. Clients are listed by their Flare reference, never by name.

The answers travel from Teams to Flare only; the one exception is a submit that needs
correcting, where card 2 comes back to the raiser's own dialog with what they typed (as the
web form does).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from bot.dependencies import Dependencies
from bot.teams.cards import CARD_SCHEMA, CARD_VERSION
from handlers.concern.answers import choice_labels, parse_answers
from handlers.concern.preview import preview_recipients
from handlers.concern.raising import Raised, raise_concern
from handlers.invalid import Invalid
from handlers.network.people import clients_of
from handlers.network.routing import ShareOptions
from handlers.values import Category, Severity
from store.unit_of_work import UnitOfWork

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
TITLE = "Raise a concern"
STEP = "flare_step"
ROUTING = ("client", "category", "severity", "submission_key")
MAX_TEXT = 5000

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


def _choices(
    input_id: str,
    label: str,
    options: list[tuple[str, str]],
    value: str = "",
    *,
    style: str = "compact",
) -> dict[str, Any]:
    """A required single choice: a drop-down, or (`expanded`) radio buttons that show long
    answers whole."""
    return {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": label,
        "isRequired": True,
        "errorMessage": f"{label} is required",
        "style": style,
        "value": value,
        "choices": [{"title": title, "value": v} for v, title in options],
    }


def _area(input_id: str, label: str, value: str, *, required: bool) -> dict[str, Any]:
    field: dict[str, Any] = {
        "type": "Input.Text",
        "id": input_id,
        "label": label,
        "isMultiline": True,
        "maxLength": MAX_TEXT,
        "value": value,
    }
    if required:
        field.update(isRequired=True, errorMessage=f"{label} is required")
    return field


def _errors(errors: Mapping[str, str]) -> list[dict[str, Any]]:
    if not errors:
        return []
    lines = [_text("There is a problem", weight="bolder", color="attention")]
    lines += [_text(message, color="attention") for message in errors.values()]
    return [{"type": "Container", "style": "attention", "items": lines}]


def routing_card(
    uow: UnitOfWork,
    *,
    raiser_id: str,
    advice_url: str,
    submission_key: str = "",
    answers: Mapping[str, object] | None = None,
    errors: Mapping[str, str] | None = None,
) -> Card:
    """Card 1: which client, what kind of concern, how serious."""
    answers = answers or {}
    labels = choice_labels()
    clients = [(c.client_id, c.reference) for c in clients_of(uow, raiser_id)]
    body = [
        _text(TITLE, size="large", weight="bolder"),
        _text(
            "What you enter goes only to Flare, encrypted. Nothing is posted to this chat. "
            "Clients are shown by their Flare reference."
        ),
        *_errors(errors or {}),
    ]
    advice = {"type": "Action.OpenUrl", "title": "Seek advice first", "url": advice_url}
    if not clients:  # no empty drop-down (Teams' renderer refuses a choice set without choices)
        body.append(
            _text(
                "You are not in any client's network yet, so there is no one to raise a "
                "concern about. Ask your Flare administrator to add you.",
                color="attention",
            )
        )
        return _card(body, [advice])
    body += [
        _choices("client", "Client", clients, str(answers.get("client", ""))),
        _choices(
            "category", "What kind of concern", labels["category"], str(answers.get("category", ""))
        ),
        _choices("severity", "How serious", labels["severity"], str(answers.get("severity", ""))),
    ]
    key = submission_key or secrets.token_urlsafe(24)
    actions: list[dict[str, Any]] = [
        {
            "type": "Action.Submit",
            "title": "Next",
            "data": {STEP: "answers", "submission_key": key},
        },
        advice,
    ]
    return _card(body, actions)


def answers_card(
    options: ShareOptions,
    routing: Mapping[str, str],
    *,
    answers: Mapping[str, object] | None = None,
    errors: Mapping[str, str] | None = None,
) -> Card:
    """Card 2: the answers, then who it will reach (recommended people ticked)."""
    answers = answers or {}
    labels = choice_labels()

    def said(name: str) -> str:
        value = answers.get(name, "")
        return value if isinstance(value, str) else ""

    chosen = said("recipients") or ",".join(sorted(options.recommended_ids))
    people = [
        (
            m.practitioner_id,
            f"{m.name}, {m.job_title or m.role.label}, {m.organisation} ({m.role.label}) - {m.why}",
        )
        for m in options.members
    ]
    body = [
        _text(f"Client {options.client_reference}", size="large", weight="bolder"),
        *_errors(errors or {}),
        _area("noticed", "What you noticed", said("noticed"), required=True),
        _choices(
            "family_informed",
            "Has the family been told you are sharing this?",
            labels["family_informed"],
            said("family_informed"),
            style="expanded",
        ),
        _area("family_reason", "If not, why not", said("family_reason"), required=False),
        _area(
            "rationale",
            "Why sharing is necessary and proportionate",
            said("rationale"),
            required=True,
        ),
        _choices(
            "lawful_basis",
            "Lawful basis",
            labels["lawful_basis"],
            said("lawful_basis"),
            style="expanded",
        ),
        _area(
            "protected_identities",
            "People whose identity must be protected (optional)",
            said("protected_identities"),
            required=False,
        ),
        _text("Who it will reach", size="medium", weight="bolder"),
        _text("Recommended people are ticked. Share only with those who need to know."),
        {
            "type": "Input.ChoiceSet",
            "id": "recipients",
            "isMultiSelect": True,
            "style": "expanded",
            "value": chosen,
            "choices": [{"title": title, "value": pid} for pid, title in people],
        },
        _area(
            "narrowing_reason",
            "If you changed who it goes to, why",
            said("narrowing_reason"),
            required=False,
        ),
    ]
    data = {STEP: "send", **{k: routing.get(k, "") for k in ROUTING}}
    return _card(body, [{"type": "Action.Submit", "title": "Send", "data": data}])


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
        return task_card(
            routing_card(self._uow(), raiser_id=raiser_id, advice_url=self._advice_url)
        )

    def submit(self, raiser_id: str, data: Mapping[str, object]) -> dict[str, Any]:
        if data.get(STEP) == "send":
            return self._send(raiser_id, data)
        return self._answers(raiser_id, data)

    def _routing(
        self, raiser_id: str, data: Mapping[str, object]
    ) -> tuple[ShareOptions | None, dict[str, str]]:
        errors: dict[str, str] = {}
        try:
            category = Category(str(data.get("category", "")))
        except ValueError:
            errors["category"] = "Choose what kind of concern it is"
        try:
            severity = Severity(str(data.get("severity", "")))
        except ValueError:
            errors["severity"] = "Choose how serious it is"
        if errors:
            return None, errors
        options = preview_recipients(
            self._uow(),
            raiser_id=raiser_id,
            client_id=str(data.get("client", "")),
            category=category,
            severity=severity,
        )
        if options is None:
            return None, {"client": "Choose a client whose network you are in"}
        return options, {}

    def _back_to_routing(
        self, raiser_id: str, data: Mapping[str, object], errors: dict[str, str]
    ) -> dict[str, Any]:
        card = routing_card(
            self._uow(),
            raiser_id=raiser_id,
            advice_url=self._advice_url,
            submission_key=str(data.get("submission_key", "")),
            answers=data,
            errors=errors,
        )
        return task_card(card)

    def _answers(self, raiser_id: str, data: Mapping[str, object]) -> dict[str, Any]:
        options, errors = self._routing(raiser_id, data)
        if options is None:
            return self._back_to_routing(raiser_id, data, errors)
        routing = {k: str(data.get(k, "")) for k in ROUTING}
        return task_card(answers_card(options, routing))

    def _send(self, raiser_id: str, data: Mapping[str, object]) -> dict[str, Any]:
        cmd, errors = parse_answers(data, raiser_id, with_recipients=True, via="teams")
        if errors:
            return self._again(raiser_id, data, errors)
        outcome = raise_concern(cmd, self._uow(), self._clock, self._calendar)
        if isinstance(outcome, Invalid):
            return self._again(raiser_id, data, outcome.errors)
        return task_message(_sent(outcome))

    def _again(
        self, raiser_id: str, data: Mapping[str, object], errors: dict[str, str]
    ) -> dict[str, Any]:
        options, routing_errors = self._routing(raiser_id, data)
        if options is None or "client" in errors or "submission_key" in errors:
            return self._back_to_routing(raiser_id, data, {**routing_errors, **errors})
        routing = {k: str(data.get(k, "")) for k in ROUTING}
        return task_card(answers_card(options, routing, answers=data, errors=errors))


def _sent(outcome: Raised) -> str:
    people = f"{outcome.recipients} {'person' if outcome.recipients == 1 else 'people'}"
    return (
        f"Concern sent to {people}. You will get a receipt in this chat when the lead "
        "professional acknowledges it."
    )
