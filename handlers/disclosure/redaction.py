"""What an export leaves out, and the list of what it left out.

- Protected identities (the names a raiser asked to protect): the field itself, and each
  name wherever it recurs in the same concern's free text, unless the officer chose to
  include them (a choice that is audited).
- Other clients' data: another client's reference, and any NHS number that is not this
  client's, wherever they appear in free text. (Free text can still describe other people in
  words; the officer reads the export before releasing it, as the DPO guide says.)

Each redaction is listed by kind and where it was, never by what it hid.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

PROTECTED_IDENTITY = "protected_identity"
OTHER_CLIENT = "other_client"
WITHHELD = "[withheld: a protected identity]"
OTHER = "[removed: another person's data]"

NHS_NUMBER = re.compile(r"(?<![\d])\d{3}[ -]?\d{3}[ -]?\d{4}(?![\d])")
REFERENCE = re.compile(r"\b[A-Za-z]{1,5}-[A-Za-z0-9]{2,12}\b")
NAME_SEPARATORS = re.compile(r"[\n,;]+")
MIN_NAME = 3


@dataclass(frozen=True)
class Redaction:
    kind: str  # PROTECTED_IDENTITY or OTHER_CLIENT
    where: str  # e.g. "concern 3F9A12BC, entry 1"

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "where": self.where}


def protected_names(protected: str) -> list[str]:
    """The names in a concern's protected-identities field, longest first."""
    names = {part.strip() for part in NAME_SEPARATORS.split(protected)}
    return sorted((n for n in names if len(n) >= MIN_NAME), key=len, reverse=True)


class Redactor:
    """Redacts free text for one client's export and keeps the list of redactions."""

    def __init__(
        self,
        *,
        own_reference: str,
        own_nhs_numbers: set[str],
        is_other_client: Callable[[str], bool],
    ) -> None:
        self._own_reference = own_reference.upper()
        self._own_nhs = own_nhs_numbers
        self._is_other_client = is_other_client
        self.redactions: list[Redaction] = []

    def note(self, kind: str, where: str) -> None:
        self.redactions.append(Redaction(kind, where))

    def text(self, text: str, *, where: str, protected: Sequence[str] = ()) -> str:
        """`text` with protected names and other clients' data replaced; each one listed."""
        for name in protected:
            pattern = re.compile(re.escape(name), re.IGNORECASE)
            text, count = pattern.subn(WITHHELD, text)
            self.redactions.extend(Redaction(PROTECTED_IDENTITY, where) for _ in range(count))
        text = NHS_NUMBER.sub(lambda m: self._nhs(m, where), text)
        return REFERENCE.sub(lambda m: self._reference(m, where), text)

    def _nhs(self, match: re.Match[str], where: str) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if digits in self._own_nhs:
            return match.group(0)
        self.note(OTHER_CLIENT, where)
        return OTHER

    def _reference(self, match: re.Match[str], where: str) -> str:
        token = match.group(0).upper()
        if token == self._own_reference or not self._is_other_client(token):
            return match.group(0)
        self.note(OTHER_CLIENT, where)
        return OTHER
