"""The raise form's answers as any adapter receives them (web form, Slack modal, Teams dialog).

Every adapter hands over plain strings; this turns them into a `RaiseConcern`, and a missing
or unknown choice into a field error, so the rule is written once for every platform.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from handlers.concern.raising import RaiseConcern
from handlers.values import Category, FamilyInformed, LawfulBasis, Severity

CHOICES: dict[str, tuple[type[StrEnum], str]] = {
    "category": (Category, "Choose what kind of concern it is"),
    "severity": (Severity, "Choose how serious it is"),
    "family_informed": (FamilyInformed, "Say whether the family has been told"),
    "lawful_basis": (LawfulBasis, "Choose the lawful basis for sharing"),
}


@dataclass(frozen=True)
class RaiseAnswers:
    """What the raiser typed or picked, unchecked."""

    client: str = ""
    category: str = ""
    severity: str = ""
    noticed: str = ""
    family_informed: str = ""
    family_reason: str = ""
    rationale: str = ""
    lawful_basis: str = ""
    protected_identities: str = ""
    submission_key: str = ""
    recipients: Sequence[str] = ()
    narrowing_reason: str = ""


def choice_labels() -> dict[str, list[tuple[str, str]]]:
    """Each closed choice as (value, label) pairs, in the order forms show them."""
    return {
        name: [(m.value, str(getattr(m, "label", m.value))) for m in enum]
        for name, (enum, _) in CHOICES.items()
    }


def to_command(
    answers: RaiseAnswers, raiser_id: str, *, with_recipients: bool, via: str = "web"
) -> tuple[RaiseConcern, dict[str, str]]:
    """Parse the answers; missing choices become field errors, not exceptions."""
    errors: dict[str, str] = {}
    picked: dict[str, StrEnum] = {}
    for name, (enum, message) in CHOICES.items():
        try:
            picked[name] = enum(getattr(answers, name))
        except ValueError:
            errors[name] = message
    if not answers.client:
        errors["client"] = "Choose the client your concern is about"
    cmd = RaiseConcern(
        raiser_id=raiser_id,
        client_id=answers.client,
        category=Category(picked.get("category", Category.OTHER)),
        severity=Severity(picked.get("severity", Severity.LOW)),
        noticed=answers.noticed,
        rationale=answers.rationale,
        lawful_basis=LawfulBasis(picked.get("lawful_basis", LawfulBasis.PUBLIC_TASK)),
        family_informed=FamilyInformed(picked.get("family_informed", FamilyInformed.YES)),
        family_reason=answers.family_reason,
        protected_identities=answers.protected_identities,
        submission_key=answers.submission_key,
        recipients=list(answers.recipients) if with_recipients else None,
        narrowing_reason=answers.narrowing_reason,
        via=via,
    )
    return cmd, errors


def _text(answers: Mapping[str, object], name: str) -> str:
    value = answers.get(name, "")
    return value if isinstance(value, str) else ""


def _recipients(answers: Mapping[str, object]) -> list[str]:
    value = answers.get("recipients", [])
    if isinstance(value, str):
        return [v for v in value.split(",") if v]
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str) and v]
    return []


def parse_answers(
    answers: Mapping[str, object], raiser_id: str, *, with_recipients: bool, via: str = "web"
) -> tuple[RaiseConcern, dict[str, str]]:
    """The same parse for adapters that receive a loose mapping (a Teams card's data)."""
    texts = {
        name: _text(answers, name)
        for name in RaiseAnswers.__dataclass_fields__
        if name != "recipients"
    }
    typed = RaiseAnswers(**texts, recipients=_recipients(answers))
    return to_command(typed, raiser_id, with_recipients=with_recipients, via=via)
