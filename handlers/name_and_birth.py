"""A child named by name plus date of birth: one identifier, of its own kind, blind-indexed.

Typed as `Name, YYYY-MM-DD` (the last comma separates them; `DD/MM/YYYY` is read too) on every
raise form, and read so only when a date follows that comma (otherwise the comma belongs to a
client reference); or given as a client row's `name` and `date_of_birth` in the directory.
Both become the same value, `Name, YYYY-MM-DD`: sealed as the identifier's value (never stored in
plaintext) and found again only through the blind index, which folds case, accents and
spacing in the name. The date must be a real one and not in the future. Messages never echo
what was typed.
"""

from __future__ import annotations

import re
from datetime import date

from store.crypto import NAME_AND_BIRTH, InvalidIdentifier, fold_name, parse_date_of_birth
from store.models import Client
from store.sealed import IdentifierField
from store.unit_of_work import UnitOfWork

__all__ = [
    "NAME_AND_BIRTH",
    "BadNameAndBirth",
    "born_on",
    "checked",
    "date_of_birth",
    "joined",
    "looks_like_name_and_birth",
    "stored_birth",
]

NO_NAME = "Write the child's name, a comma, then their date of birth (Jane Smith, 2019-04-23)"
BAD_DATE = "Write the date of birth as YYYY-MM-DD (for example 2019-04-23)"
FUTURE = "The date of birth cannot be in the future"


# What a date of birth is written as, or an attempt at one that deserves the date error rather
# than a silent reading as a client reference: digits with - or / between them (2019-04-23,
# 23/04/2019, impossible ones like 2019-02-30), a year alone, or a date in words (23 April 2019).
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE_SHAPE = re.compile(
    rf"\d+(?:[-/]\d+)+|\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\s+\d{{2,4}}",
    re.IGNORECASE,
)


class BadNameAndBirth(ValueError):
    """Why a name and date of birth cannot be used (the message never holds the value)."""


def date_of_birth(raw: str, *, today: date | None) -> date:
    """A real date of birth, not after `today` (when given)."""
    try:
        born = parse_date_of_birth(raw)
    except InvalidIdentifier:
        raise BadNameAndBirth(BAD_DATE) from None
    if today is not None and born > today:
        raise BadNameAndBirth(FUTURE)
    return born


def joined(name: str, raw_date: str, *, today: date | None) -> str:
    """The one value for a name and a date of birth: `Name, YYYY-MM-DD`."""
    spoken = " ".join(name.split())
    if not fold_name(spoken):
        raise BadNameAndBirth(NO_NAME)
    return f"{spoken}, {date_of_birth(raw_date, today=today).isoformat()}"


def looks_like_name_and_birth(typed: str) -> bool:
    """Whether what follows the last comma is written like a date (or an attempt at one): only
    then is `typed` a name and date of birth (checked, and refused if not a real date written
    the one way); otherwise a comma is part of a client reference."""
    _name, comma, after = typed.rpartition(",")
    return bool(comma) and _DATE_SHAPE.fullmatch(after.strip()) is not None


def checked(typed: str, *, today: date | None) -> str:
    """`Name, date of birth` as typed, checked and written the one way."""
    name, comma, born = typed.rpartition(",")
    if not comma:
        raise BadNameAndBirth(NO_NAME)
    return joined(name, born, today=today)


def born_on(value: str) -> str:
    """The date of birth (YYYY-MM-DD) back from a stored value."""
    return value.rpartition(",")[2].strip()


def stored_birth(uow: UnitOfWork, client: Client) -> str:
    """The date of birth a client already has (YYYY-MM-DD), or ""."""
    for ident in uow.directory.identifiers(client.id):
        if ident.kind == NAME_AND_BIRTH:
            return born_on(uow.sealed.identifier(client, ident).open(IdentifierField.VALUE))
    return ""
