"""Input a person must correct, whatever they were doing: one outcome every use case returns."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_TEXT = 5000  # the longest free text Flare keeps in one field


@dataclass(frozen=True)
class Invalid:
    """Input to correct; `errors` maps a field to a message for that field."""

    errors: dict[str, str] = field(default_factory=dict)
