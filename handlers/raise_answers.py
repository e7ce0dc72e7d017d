"""The raise form's answers, however they arrived (web form, Slack modal, Teams dialog).

One parser turns the submitted strings into a `RaiseConcern`; a missing or unknown choice
becomes a field error for the raiser to correct, never an exception. The rules about the
answers themselves live in `raise_concern.validate`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from handlers.raise_concern import RaiseConcern
from handlers.values import Category, FamilyInformed, LawfulBasis, Severity

CHOICES: dict[str, tuple[type[StrEnum], str]] = {
    "category": (Category, "Choose what kind of concern it is"),
    "severity": (Severity, "Choose how serious it is"),
    "family_informed": (FamilyInformed, "Say whether the family has been told"),
    "lawful_basis": (LawfulBasis, "Choose the lawful basis for sharing"),
}
TEXT_FIELDS = (
    "client",
    "noticed",
    "family_reason",
    "rationale",
    "protected_identities",
    "submission_key",
    "narrowing_reason",
)


def choice_labels() -> dict[str, list[tuple[str, str]]]:
    """Each choice's (value, label) pairs, in order, for any form to show."""
    return {
        name: [(m.value, str(getattr(m, "label", m.value))) for m in enum]
        for name, (enum, _) in CHOICES.items()
    }


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
    """Parse submitted answers; missing choices become field errors, not exceptions."""
    errors: dict[str, str] = {}
    picked: dict[str, str] = {}
    for name, (enum, message) in CHOICES.items():
        try:
            picked[name] = enum(_text(answers, name)).value
        except ValueError:
            errors[name] = message
    if not _text(answers, "client"):
        errors["client"] = "Choose the client your concern is about"
    cmd = RaiseConcern(
        raiser_id=raiser_id,
        client_id=_text(answers, "client"),
        category=Category(picked.get("category", Category.OTHER)),
        severity=Severity(picked.get("severity", Severity.LOW)),
        noticed=_text(answers, "noticed"),
        rationale=_text(answers, "rationale"),
        lawful_basis=LawfulBasis(picked.get("lawful_basis", LawfulBasis.PUBLIC_TASK)),
        family_informed=FamilyInformed(picked.get("family_informed", FamilyInformed.YES)),
        family_reason=_text(answers, "family_reason"),
        protected_identities=_text(answers, "protected_identities"),
        submission_key=_text(answers, "submission_key"),
        recipients=_recipients(answers) if with_recipients else None,
        narrowing_reason=_text(answers, "narrowing_reason"),
        via=via,
    )
    return cmd, errors
