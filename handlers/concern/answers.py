"""The raise form's answers, described once: every surface renders and parses from here.

`RaiseAnswers` is what the raiser typed or picked, unchecked, as any adapter receives it (web
form, Slack modal, Teams dialog). Each of its fields carries its own description (label, hint,
kind, choices, length, whether it is required and the message when it is missing) in the
dataclass's metadata; `ANSWER_FIELDS` reads them back, so the web template, the Block Kit and
the Adaptive Cards show the same questions and the same messages. `to_command` turns the
answers into a typed `RaiseConcern`, and `validate` checks one.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from typing import Any

from handlers.invalid import MAX_TEXT
from handlers.values import (
    SPECIAL_CATEGORY_CONCERNS,
    Category,
    FamilyInformed,
    LawfulBasis,
    Severity,
    SharingDecision,
    SpecialCategoryCondition,
)

SUBMISSION_KEY_MAX = 128  # the store's column
EXPIRED = "This form has expired; start again"
NOT_IN_NETWORK = "Choose a client whose network you are in"
SPECIAL_CATEGORY_NEEDED = (
    "A concern about health is special category data: choose the Article 9 condition"
)


class FieldKind(StrEnum):
    """How an answer is given, whatever the surface draws it with."""

    CLIENT = "client"  # one of the raiser's clients, by id
    CHOICE = "choice"  # one of a closed set of values
    TEXT = "text"  # free text, stored encrypted
    KEY = "key"  # the submission key, carried with the form, never shown
    RECIPIENTS = "recipients"  # who it goes to: the policy's recommendation, maybe narrowed


@dataclass(frozen=True)
class RaiseConcern:
    """The answers, typed: what raising (or deciding not to share) takes."""

    raiser_id: str
    client_id: str
    category: Category
    severity: Severity
    noticed: str
    rationale: str
    lawful_basis: LawfulBasis
    family_informed: FamilyInformed
    submission_key: str
    family_reason: str = ""
    recipients: Collection[str] | None = None  # None: the policy's recommendation
    narrowing_reason: str = ""
    protected_identities: str = ""
    via: str = "web"
    special_category: SpecialCategoryCondition = SpecialCategoryCondition.NONE
    decision: SharingDecision = SharingDecision.SHARE
    not_sharing_reason: str = ""


@dataclass(frozen=True)
class AnswerField:
    """One question of the raise form."""

    name: str
    label: str
    kind: FieldKind
    step: int  # 1: the answers; 2: who it will reach
    hint: str = ""
    choices: type[StrEnum] | None = None
    required: bool = False
    missing: str = ""  # the message when it is required and missing (or not one of the choices)
    max_length: int = MAX_TEXT
    too_long: str = ""
    routing: bool = False  # read by the routing policy, so asked first where forms split
    show_all: bool = False  # long choices: shown all at once (radio buttons), not a drop-down

    def options(self) -> list[tuple[str, str]]:
        """The closed choice as (value, label) pairs, in the order forms show them."""
        if self.choices is None:
            return []
        return [(m.value, str(getattr(m, "label", m.value))) for m in self.choices]


def _answer(default: Any = "", **describe: Any) -> Any:
    return field(default=default, metadata={"answer": describe})


def _choice(enum: type[StrEnum], label: str, missing: str, **more: Any) -> Any:
    return _answer(
        label=label,
        kind=FieldKind.CHOICE,
        step=1,
        choices=enum,
        required=True,
        missing=missing,
        **more,
    )


def _text(
    label: str,
    *,
    step: int = 1,
    required: bool = False,
    missing: str = "",
    too_long: str = f"Keep each answer to {MAX_TEXT} characters or fewer",
    hint: str = "",
) -> Any:
    return _answer(
        label=label,
        kind=FieldKind.TEXT,
        step=step,
        hint=hint,
        required=required,
        missing=missing,
        too_long=too_long,
    )


@dataclass(frozen=True)
class RaiseAnswers:
    """What the raiser typed or picked, unchecked; the metadata describes each question."""

    client: str = _answer(
        label="Who is the concern about?",
        kind=FieldKind.CLIENT,
        step=1,
        hint="Only clients whose network you are in are listed.",
        required=True,
        missing="Choose the client your concern is about",
        routing=True,
    )
    category: str = _choice(
        Category, "What kind of concern is it?", "Choose what kind of concern it is", routing=True
    )
    severity: str = _choice(
        Severity,
        "How serious is it?",
        "Choose how serious it is",
        routing=True,
        hint="This sets how soon the lead professional must acknowledge it. "
        "If a child is in immediate danger, call 999 first.",
    )
    noticed: str = _text(
        "What did you notice?",
        hint="Say what you saw or heard, when, and who was there. Stick to facts.",
        required=True,
        missing="Enter what you noticed",
        too_long=f"What you noticed must be {MAX_TEXT} characters or fewer",
    )
    family_informed: str = _choice(
        FamilyInformed,
        "Has the family been told you are sharing this?",
        "Say whether the family has been told",
        show_all=True,
        hint="Where it is safe and practicable, tell the family what you will share, "
        "with whom and why.",
    )
    family_reason: str = _text(
        "If you have not told the family, say why",
        missing="Say why the family has not been told",  # required unless they were told
    )
    lawful_basis: str = _choice(
        LawfulBasis,
        "Lawful basis for sharing",
        "Choose the lawful basis for sharing",
        show_all=True,
        hint="Consent is not needed when a child is at risk of harm.",
    )
    special_category: str = _answer(
        label="Health or other special category data: the Article 9 condition",
        kind=FieldKind.CHOICE,
        step=1,
        choices=SpecialCategoryCondition,
        missing=SPECIAL_CATEGORY_NEEDED,
        show_all=True,
        hint="Health, sex life, ethnicity, religion and the like are special category data. "
        "Safeguarding a child or an adult at risk is usually 9(2)(g) with Schedule 1 "
        "paragraph 18. Leave blank if there is none.",
    )
    protected_identities: str = _text(
        "People whose identity must be protected",
        hint="For example a neighbour or relative who told you something and could be harmed "
        "if an abuser found out. One person per line. Only the lead professional and you can "
        "see them; everyone else sees how many people are withheld.",
    )
    submission_key: str = _answer(
        label="Submission key",
        kind=FieldKind.KEY,
        step=1,
        required=True,
        missing=EXPIRED,
        max_length=SUBMISSION_KEY_MAX,
        too_long=EXPIRED,
    )
    recipients: tuple[str, ...] = _answer(
        (),
        label="Send it to",
        kind=FieldKind.RECIPIENTS,
        step=2,
        hint="They will get a message in their chat with a link. Only they can open it.",
        required=True,
        missing="Choose at least the lead professional",
    )
    narrowing_reason: str = _text("If you changed who it goes to, say why", step=2)
    decision: str = _answer(
        label="Share it, or decide not to share?",
        kind=FieldKind.CHOICE,
        step=2,
        choices=SharingDecision,
        missing="Choose whether to share it",
        show_all=True,
        hint="Decisions not to share are recorded too. Only you, your organisation's "
        "safeguarding lead and its data protection officer can see them; nobody is told.",
    )
    rationale: str = _text(
        "Why is sharing necessary and proportionate?",
        step=2,
        hint="Say why the people chosen need to know this. Needed only when you share.",
        missing="Enter why sharing is necessary and proportionate",
        too_long=f"The reason for sharing must be {MAX_TEXT} characters or fewer",
    )
    not_sharing_reason: str = _text(
        "Why you decided not to share",
        step=2,
        hint="Needed only when you decide not to share.",
        missing="Say why you decided not to share",
        too_long=f"Keep the reason to {MAX_TEXT} characters or fewer",
    )


ANSWER_FIELDS: tuple[AnswerField, ...] = tuple(
    AnswerField(name=f.name, **f.metadata["answer"]) for f in fields(RaiseAnswers)
)
BY_NAME: dict[str, AnswerField] = {f.name: f for f in ANSWER_FIELDS}
ROUTING_FIELDS = tuple(f for f in ANSWER_FIELDS if f.routing)
STEP_ONE_FIELDS = tuple(f for f in ANSWER_FIELDS if f.step == 1)
STEP_TWO_FIELDS = tuple(f for f in ANSWER_FIELDS if f.step == 2)
# A form that shares in one step (raising about any child: no recipients to choose) asks
# step one's answers and why sharing is necessary.
ONE_STEP_FIELDS = (*STEP_ONE_FIELDS, BY_NAME["rationale"])


def choice_labels() -> dict[str, list[tuple[str, str]]]:
    """Each closed choice as (value, label) pairs, in the order forms show them."""
    return {f.name: f.options() for f in ANSWER_FIELDS if f.choices is not None}


def parse_choice(name: str, value: str) -> tuple[StrEnum | None, dict[str, str]]:
    """One closed choice (category, severity, …): its value, or its field's one error message."""
    described = BY_NAME[name]
    assert described.choices is not None, name
    try:
        return described.choices(value), {}
    except ValueError:
        return None, {name: described.missing}


def parse_routing(answers: RaiseAnswers) -> tuple[Category, Severity, dict[str, str]]:
    """Category and severity, which the routing policy reads; errors for those not chosen."""
    category, bad_category = parse_choice("category", answers.category)
    severity, bad_severity = parse_choice("severity", answers.severity)
    return (
        Category(category or Category.OTHER),
        Severity(severity or Severity.LOW),
        {**bad_category, **bad_severity},
    )


def answers_from(values: Mapping[str, object]) -> RaiseAnswers:
    """Answers from a loose mapping (form data, a card's data): strings, or lists of them."""
    given: dict[str, Any] = {}
    for described in ANSWER_FIELDS:
        value = values.get(described.name, "")
        if described.kind is FieldKind.RECIPIENTS:
            given[described.name] = _many(value)
        else:
            given[described.name] = _one(value)
    return RaiseAnswers(**given)


def _one(value: object) -> str:
    if isinstance(value, list | tuple):
        value = next((v for v in value if isinstance(v, str)), "")
    return value if isinstance(value, str) else ""


def _many(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(v for v in value.split(",") if v)
    if isinstance(value, list | tuple):
        return tuple(v for v in value if isinstance(v, str) and v)
    return ()


def to_command(
    answers: RaiseAnswers, raiser_id: str, *, with_recipients: bool, via: str = "web"
) -> tuple[RaiseConcern, dict[str, str]]:
    """Parse the answers; a missing client or choice becomes a field error, not an exception."""
    category, severity, errors = parse_routing(answers)
    family_informed, bad_family = parse_choice("family_informed", answers.family_informed)
    lawful_basis, bad_basis = parse_choice("lawful_basis", answers.lawful_basis)
    special, bad_special = _optional_choice("special_category", answers.special_category)
    decision, bad_decision = _optional_choice("decision", answers.decision)
    missing_client = {} if answers.client else {"client": BY_NAME["client"].missing}
    cmd = RaiseConcern(
        raiser_id=raiser_id,
        client_id=answers.client,
        category=category,
        severity=severity,
        noticed=answers.noticed,
        rationale=answers.rationale,
        lawful_basis=LawfulBasis(lawful_basis or LawfulBasis.PUBLIC_TASK),
        family_informed=FamilyInformed(family_informed or FamilyInformed.YES),
        family_reason=answers.family_reason,
        protected_identities=answers.protected_identities,
        submission_key=answers.submission_key,
        recipients=list(answers.recipients) if with_recipients else None,
        narrowing_reason=answers.narrowing_reason,
        via=via,
        special_category=SpecialCategoryCondition(special or SpecialCategoryCondition.NONE),
        decision=SharingDecision(decision or SharingDecision.SHARE),
        not_sharing_reason=answers.not_sharing_reason,
    )
    unparsed = {**bad_family, **bad_basis, **bad_special, **bad_decision}
    return cmd, {**missing_client, **errors, **unparsed}


def _optional_choice(name: str, value: str) -> tuple[StrEnum | None, dict[str, str]]:
    """A choice that may be left blank (the command's default then): only a wrong value errs."""
    return parse_choice(name, value) if value else (None, {})


def parse_answers(
    answers: Mapping[str, object], raiser_id: str, *, with_recipients: bool, via: str = "web"
) -> tuple[RaiseConcern, dict[str, str]]:
    """`to_command` for adapters that receive a loose mapping (a Teams card's data)."""
    return to_command(answers_from(answers), raiser_id, with_recipients=with_recipients, via=via)


def with_client(answers: RaiseAnswers, client_id: str) -> RaiseAnswers:
    """The same answers about this client (one found by identifier rather than picked)."""
    return replace(answers, client=client_id)


CHECKED_TEXTS = tuple(f.name for f in ANSWER_FIELDS if f.kind in (FieldKind.TEXT, FieldKind.KEY))


def validate(cmd: RaiseConcern) -> dict[str, str]:
    """The typed answers against their description: required, and not too long."""
    errors: dict[str, str] = {}
    for name in CHECKED_TEXTS:
        described, value = BY_NAME[name], getattr(cmd, name)
        if described.required and not value.strip():
            errors[name] = described.missing
        elif len(value) > described.max_length:
            errors[name] = described.too_long
    if cmd.family_informed is not FamilyInformed.YES and not cmd.family_reason.strip():
        errors["family_reason"] = BY_NAME["family_reason"].missing
    if cmd.category in SPECIAL_CATEGORY_CONCERNS and (
        cmd.special_category is SpecialCategoryCondition.NONE
    ):
        errors["special_category"] = SPECIAL_CATEGORY_NEEDED
    # Golden rule 7: the reasons asked are those of the decision the raiser made, only.
    needed = "rationale" if cmd.decision is SharingDecision.SHARE else "not_sharing_reason"
    if needed not in errors and not getattr(cmd, needed).strip():
        errors[needed] = BY_NAME[needed].missing
    return errors


def errors_in(errors: Mapping[str, str], described: Collection[AnswerField]) -> bool:
    """Whether any error is about one of these fields (to know which step to show again)."""
    return any(f.name in errors for f in described)
