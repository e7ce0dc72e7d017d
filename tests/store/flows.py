"""Small flows on a real store, shared by the store tests."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from handlers.concern.information import InformationAdded, add_information
from handlers.deadlines import WorkingCalendar
from handlers.network.directory import add_identifier
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock
from tests.directory import Directory
from tests.raising import raise_for_test

UowFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True)
class Texts:
    noticed: str = "Always hungry at pick-up"
    rationale: str = "A pattern of neglect that the school should know about"
    family_reason: str = "Telling the family could raise the risk at home"
    narrowing_reason: str = "The nurse has no role in this"
    protected: str = "The neighbour who told us"
    information: str = "Also seen without a coat in the rain"


def raise_full(
    uow_factory: UowFactory,
    d: Directory,
    clock: FakeClock,
    *,
    client: str = "C-1001",
    texts: Texts = Texts(),
) -> str:
    """Raise a concern with every sensitive field filled, narrowed to lead and deputy."""
    network = {"C-1001": ("chloe", "erin"), "C-1002": ("erin", "chloe")}[client]
    raised = raise_for_test(
        uow_factory,
        d,
        clock,
        WorkingCalendar(),
        raiser="dev",
        client=client,
        key=secrets.token_hex(8),
        noticed=texts.noticed,
        rationale=texts.rationale,
        family_reason=texts.family_reason,
        recipients=[d.people[ref] for ref in network],
        narrowing_reason=texts.narrowing_reason,
        protected_identities=texts.protected,
    )
    return raised.concern_id


def add_info(
    uow_factory: UowFactory, d: Directory, clock: FakeClock, concern_id: str, text: str
) -> str:
    added = add_information(
        uow_factory(),
        concern_id=concern_id,
        author_id=d.people["chloe"],
        text=text,
        submission_key=secrets.token_hex(8),
        clock=clock,
    )
    assert isinstance(added, InformationAdded), added
    return added.entry_id


def add_name_identifier(uow_factory: UowFactory, client_id: str, name: str) -> None:
    with uow_factory() as uow:
        client = uow.directory.client(client_id)
        assert client is not None
        add_identifier(uow, client, "name", name)
        uow.commit()
