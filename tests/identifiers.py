"""Fresh client identifiers for tests that need a value seen nowhere else (canaries)."""

from __future__ import annotations

import secrets

from store.crypto import InvalidIdentifier, normalise_nhs_number


def fresh_nhs_number() -> str:
    """A random NHS number the store accepts (its own check-digit rule decides), never a
    run of one digit, so finding it in captured bytes cannot be a coincidence."""
    while True:
        nine = f"{secrets.randbelow(10**9):09d}"
        if len(set(nine)) < 4:
            continue
        for check in "0123456789":  # one digit fits, or none when the remainder is 10
            try:
                return normalise_nhs_number(nine + check)
            except InvalidIdentifier:
                pass
