"""Reading a typed child identifier: a comma makes a name and date of birth only when the part
after the last comma is written like a date (digits with - or / between them); otherwise the
comma belongs to a client reference. A date-shaped part that is not a real date, or lies in the
future, is still refused, and no message echoes what was typed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.child_identifier import ChildIdentifier, parse_identifier
from handlers.invalid import Invalid
from handlers.name_and_birth import BAD_DATE, FUTURE

TODAY = date(2026, 11, 24)

# A name may hold commas too ("Smith, Jane"): only the last comma separates the date.
name_words = st.text("abcdefghijklmnopqrstuvwxyzéö'- ", min_size=1, max_size=12).filter(
    lambda w: any(c.isalpha() for c in w)
)
names = st.lists(name_words, min_size=1, max_size=3).map(", ".join)
births = st.dates(min_value=date(1990, 1, 1), max_value=TODAY)
# A reference's parts; the last always has a letter and no month's name, so it never reads as
# a date or an attempt at one.
reference_parts = st.text("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-/ ", min_size=1, max_size=10)
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
last_parts = reference_parts.filter(
    lambda p: any(c.isalpha() for c in p) and not any(m in p for m in MONTHS)
)


def written(born: date, style: str) -> str:
    return born.isoformat() if style == "iso" else f"{born.day}/{born.month}/{born.year}"


@given(name=names, born=births, style=st.sampled_from(["iso", "uk"]))
def test_a_date_after_the_last_comma_makes_a_name_and_date_of_birth(
    name: str, born: date, style: str
) -> None:
    parsed = parse_identifier(f"{name}, {written(born, style)}", today=TODAY)
    assert isinstance(parsed, ChildIdentifier) and parsed.kind == "name_dob"
    assert parsed.raw == f"{' '.join(name.split())}, {born.isoformat()}"


@given(parts=st.lists(reference_parts, max_size=3), last=last_parts)
def test_anything_else_with_a_comma_is_a_client_reference_commas_included(
    parts: list[str], last: str
) -> None:
    typed = ",".join([*parts, last])
    parsed = parse_identifier(typed, today=TODAY)
    assert parsed == ChildIdentifier("reference", typed.strip().upper())


@given(
    name=names,
    year=st.integers(1990, 2026),
    month=st.integers(13, 99),
    day=st.integers(1, 28),
    sep=st.sampled_from("-/"),
)
def test_a_date_shaped_part_that_is_no_real_date_is_the_clear_date_error(
    name: str, year: int, month: int, day: int, sep: str
) -> None:
    shaped = f"{year}-{month:02d}-{day:02d}" if sep == "-" else f"{day}/{month}/{year}"
    refused = parse_identifier(f"{name}, {shaped}", today=TODAY)
    assert refused == Invalid({"identifier": BAD_DATE})


@given(name=names, later=st.integers(1, 3650), style=st.sampled_from(["iso", "uk"]))
def test_a_future_date_of_birth_is_refused(name: str, later: int, style: str) -> None:
    typed = f"{name}, {written(TODAY + timedelta(days=later), style)}"
    assert parse_identifier(typed, today=TODAY) == Invalid({"identifier": FUTURE})


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("Jo Doe, 2019-04-23", "name_dob"),
        ("Jo Doe, 23/04/2019", "name_dob"),
        ("Doe, Jo, 2019-04-23", "name_dob"),
        ("SMITH, J", "reference"),
        ("Ref 12, block B", "reference"),
        ("Ref 12, block 7B", "reference"),
        ("943 476 5919", "nhs_number"),
    ],
)
def test_what_each_shape_is_read_as(typed: str, kind: str) -> None:
    parsed = parse_identifier(typed, today=TODAY)
    assert isinstance(parsed, ChildIdentifier) and parsed.kind == kind


@pytest.mark.parametrize(
    "typed",
    [
        "Jo Doe, 2019-02-30",
        "Jo Doe, 30/02/2019",
        "SMITH, 12-345",
        "Jo Doe, 23 April 2019",  # a date in words: told the one way to write it, not misread
        "Jo Doe, 2019",
    ],
)
def test_an_impossible_date_is_refused_without_echoing_it(typed: str) -> None:
    assert parse_identifier(typed, today=TODAY) == Invalid({"identifier": BAD_DATE})
