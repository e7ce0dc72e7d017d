"""A client and a concern with a canary in every sensitive field, for the no-leak suites.

The client's name is `texts["label"]`; the concern's free text comes from `texts` under the
field names noticed, rationale, family_reason, narrowing_reason and protected.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence

from handlers.concern.raising import Raised
from handlers.deadlines import WorkingCalendar
from handlers.network.directory import DirectoryRow, find_client, import_directory
from handlers.ports import Clock
from handlers.values import Category, LawfulBasis, Severity, SpecialCategoryCondition
from store.unit_of_work import UnitOfWork
from tests.directory import Directory
from tests.raising import raise_for_test

NETWORK = (("chloe", "lead"), ("erin", "deputy"), ("dev", "member"), ("amara", "member"))


def canary_client(
    uow_factory: Callable[[], UnitOfWork], clock: Clock, *, name: str, nhs: str
) -> str:
    """A new client named `name`, in chloe's (lead), erin's, dev's and amara's network."""
    ref = f"C-{secrets.token_hex(4)}"
    rows = [DirectoryRow(2, "client", ref, name=name, nhs_number=nhs)]
    rows += [
        DirectoryRow(line, "membership", who, client=ref, role=role)
        for line, (who, role) in enumerate(NETWORK, start=3)
    ]
    report = import_directory(uow_factory(), rows, at=clock.now(), actor="test")
    assert report.ok, report.errors
    with uow_factory() as uow:
        client = find_client(uow, raw=nhs, kinds=["nhs_number"])
        assert client is not None and client.reference == ref
        return client.id


def raise_canary_concern(
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    people: Mapping[str, str],
    client_id: str,
    texts: Mapping[str, str],
    *,
    recipients: Sequence[str],
    category: Category = Category.NEGLECT,
    severity: Severity = Severity.HIGH,
    lawful_basis: LawfulBasis = LawfulBasis.PUBLIC_TASK,
    special_category: SpecialCategoryCondition = SpecialCategoryCondition.NONE,
) -> Raised:
    """Amara raises it, narrowed to `recipients` (refs), every free-text field a canary."""
    return raise_for_test(
        uow_factory,
        Directory(dict(people), {}),
        clock,
        WorkingCalendar(),
        client_id=client_id,
        key=secrets.token_hex(8),
        category=category,
        severity=severity,
        noticed=texts["noticed"],
        rationale=texts["rationale"],
        lawful_basis=lawful_basis,
        special_category=special_category,
        family_reason=texts["family_reason"],
        recipients=[people[ref] for ref in recipients],
        narrowing_reason=texts["narrowing_reason"],
        protected_identities=texts["protected"],
    )
