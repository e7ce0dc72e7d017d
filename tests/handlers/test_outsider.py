"""Raising about any child from outside its network: matched, the network's lead and deputy
get it; unmatched, the raiser's own organisation's safeguarding people do; either way the
raiser gets the same answer and sees nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from handlers.child_identifier import BAD_IDENTIFIER
from handlers.concern.answers import RaiseAnswers
from handlers.concern.outsider import SENT, SentAboutChild, raise_about_child
from handlers.concern.viewing import NoAccess, view_concern
from handlers.deadlines import WorkingCalendar
from handlers.follow_through.acknowledge import acknowledge
from handlers.invalid import Invalid
from handlers.my_work.awaiting import what_awaits
from handlers.network.directory import add_identifier
from handlers.network.unconfirmed import (
    LABEL_MISSING,
    Confirmed,
    NotAllowed,
    Unconfirmed,
    confirm_client,
    unconfirmed,
)
from handlers.outbox.delivery import deliver_due
from handlers.values import Platform, PointerKind
from store.models import AuditEvent, ClientIdentifier, Delivery
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock, FakeMinter
from tests.directory import seed_directory
from tests.fakes import FakeNotifier
from tests.follow.flows import CANARY
from tests.outsiders import KNOWN_NHS, UNKNOWN_NHS, add_outside_organisation

UowFactory = Callable[[], UnitOfWork]


def answers(key: str) -> RaiseAnswers:
    return RaiseAnswers(
        category="neglect",
        severity="high",
        noticed=f"{CANARY} noticed",
        rationale=f"{CANARY} rationale",
        lawful_basis="public_task",
        family_informed="not_safe",
        family_reason=f"{CANARY} reason",
        submission_key=key,
    )


def send(
    uow_factory: UowFactory, clock: FakeClock, raiser: str, identifier: str, key: str
) -> SentAboutChild | Invalid:
    return raise_about_child(
        uow_factory(),
        answers(key),
        identifier=identifier,
        raiser_id=raiser,
        clock=clock,
        calendar=WorkingCalendar.uk(),
    )


def recipients(uow_factory: UowFactory, concern_id: str) -> dict[str, str]:
    with uow_factory() as uow:
        rows = uow.session.scalars(select(Delivery).where(Delivery.concern_id == concern_id))
        return {d.recipient_id: d.role for d in rows}


@pytest.fixture
def world(uow_factory: UowFactory, clock: FakeClock) -> dict[str, str]:
    people = seed_directory(uow_factory, clock.now()).people
    return {**people, **add_outside_organisation(uow_factory, clock.now())}


def test_a_known_nhs_number_reaches_the_networks_lead_and_deputy_only(
    uow_factory: UowFactory, clock: FakeClock, world: dict[str, str]
) -> None:
    sent = send(uow_factory, clock, world["gail"], "943 476 5919", "k1")

    assert isinstance(sent, SentAboutChild) and sent.message == SENT
    assert recipients(uow_factory, sent.concern_id) == {
        world["chloe"]: "lead",
        world["erin"]: "deputy",
        world["gail"]: "outsider",
    }
    with pytest.raises(NoAccess):
        view_concern(
            uow_factory(), concern_id=sent.concern_id, practitioner_id=world["gail"], clock=clock
        )
    mine = what_awaits(uow_factory(), practitioner_id=world["gail"], clock=clock)
    assert mine.to_acknowledge == () and mine.unread == () and mine.raised == ()


def test_a_reference_matches_too(
    uow_factory: UowFactory, clock: FakeClock, world: dict[str, str]
) -> None:
    sent = send(uow_factory, clock, world["gail"], "c-1002", "k1")
    assert isinstance(sent, SentAboutChild)
    assert set(recipients(uow_factory, sent.concern_id)) == {
        world["erin"],
        world["chloe"],
        world["gail"],
    }


def test_an_unknown_nhs_number_reaches_the_raisers_own_safeguarding_people(
    uow_factory: UowFactory, clock: FakeClock, world: dict[str, str]
) -> None:
    sent = send(uow_factory, clock, world["gail"], UNKNOWN_NHS, "k1")

    assert isinstance(sent, SentAboutChild) and sent.message == SENT
    assert recipients(uow_factory, sent.concern_id) == {
        world["hana"]: "duty",
        world["ivan"]: "duty",
        world["gail"]: "outsider",
    }
    with uow_factory() as uow:
        kinds = [i.kind for i in uow.session.scalars(select(ClientIdentifier))]
        # reported, not confirmed: another raise by the number does not "find" the child
        assert kinds.count("reported_nhs_number") == 1
        assert (
            uow.directory.client_by_blind(
                "nhs_number", uow.vault.blind_index().digest("nhs_number", UNKNOWN_NHS)
            )
            is None
        )
    again = send(uow_factory, clock, world["dev"], UNKNOWN_NHS, "k2")
    assert isinstance(again, SentAboutChild)
    with uow_factory() as uow:
        first, second = (uow.concerns.get(c.concern_id) for c in (sent, again))
        assert first is not None and second is not None
        assert first.client_id == second.client_id  # one unconfirmed child, not two


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]).split()[0].upper())

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_matched_and_unmatched_look_and_cost_the_same_to_the_raiser(
    uow_factory: UowFactory, clock: FakeClock, world: dict[str, str], engine: Engine
) -> None:
    with counted(engine) as matched_work:
        matched = send(uow_factory, clock, world["gail"], KNOWN_NHS, "k1")
    with counted(engine) as unmatched_work:
        unmatched = send(uow_factory, clock, world["gail"], UNKNOWN_NHS, "k2")

    assert isinstance(matched, SentAboutChild) and isinstance(unmatched, SentAboutChild)
    assert type(matched) is type(unmatched) and matched.message == unmatched.message
    assert matched_work.count("SELECT") == unmatched_work.count("SELECT"), (
        matched_work,
        unmatched_work,
    )
    # the first raise about an unknown child also writes its unconfirmed client and key
    assert abs(len(matched_work) - len(unmatched_work)) <= 4
    assert max(len(matched_work), len(unmatched_work)) <= 40


@pytest.mark.parametrize("typed", ["", "   ", "x" * 121])
def test_a_bad_identifier_is_refused_without_echoing_it(
    uow_factory: UowFactory, clock: FakeClock, world: dict[str, str], typed: str
) -> None:
    refused = send(uow_factory, clock, world["gail"], typed, "k1")
    assert refused == Invalid({"identifier": BAD_IDENTIFIER})


def test_the_receipt_has_no_link_and_says_only_that_the_lead_acknowledged(
    uow_factory: UowFactory, clock: FakeClock, world: dict[str, str]
) -> None:
    for identifier, acknowledger, key in ((KNOWN_NHS, "chloe", "k1"), (UNKNOWN_NHS, "hana", "k2")):
        sent = send(uow_factory, clock, world["gail"], identifier, key)
        assert isinstance(sent, SentAboutChild)
        acknowledge(
            uow_factory(),
            concern_id=sent.concern_id,
            practitioner_id=world[acknowledger],
            clock=clock,
        )
    notifier = FakeNotifier()
    deliver_due(uow_factory, dict.fromkeys(Platform, notifier), FakeMinter(), clock)
    receipts = notifier.to(world["gail"])
    assert [p.kind for p in receipts] == [PointerKind.ACK_RECEIPT] * 2
    assert all(p.link is None and p.entries == 0 and p.recipients == 0 for p in receipts)
    with uow_factory() as uow:
        details = uow.session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "concern.raised")
        )
        assert [d["matched"] for d in details] == [True, False]


def test_the_safeguarding_people_confirm_the_child_and_lead_its_new_network(
    uow_factory: UowFactory, clock: FakeClock, world: dict[str, str]
) -> None:
    sent = send(uow_factory, clock, world["gail"], UNKNOWN_NHS, "k1")
    assert isinstance(sent, SentAboutChild)
    with uow_factory() as uow:
        concern = uow.concerns.get(sent.concern_id)
        assert concern is not None
        client_id = concern.client_id
    with pytest.raises(NotAllowed):  # the raiser is not one of those it went to
        unconfirmed(uow_factory(), client_id=client_id, practitioner_id=world["gail"])
    shown = unconfirmed(uow_factory(), client_id=client_id, practitioner_id=world["hana"])
    assert shown.reported == (("nhs_number", UNKNOWN_NHS),) and shown.duplicates == ()
    assert confirm_client(
        uow_factory(), client_id=client_id, practitioner_id=world["hana"], label=" ", at=clock.now()
    ) == {"label": LABEL_MISSING}

    done = confirm_client(
        uow_factory(),
        client_id=client_id,
        practitioner_id=world["hana"],
        label="Alex Doe (age 6)",
        at=clock.now(),
    )

    assert isinstance(done, Confirmed)
    assert (done.lead_id, done.deputy_id) == (world["hana"], world["ivan"])
    again = send(uow_factory, clock, world["gail"], UNKNOWN_NHS, "k2")  # now it is known
    assert isinstance(again, SentAboutChild)
    assert recipients(uow_factory, again.concern_id) == {
        world["hana"]: "lead",
        world["ivan"]: "deputy",
        world["gail"]: "outsider",
    }
    with pytest.raises(NotAllowed):  # confirmed once
        unconfirmed(uow_factory(), client_id=client_id, practitioner_id=world["hana"])
    with uow_factory() as uow:
        actions = uow.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "client.confirmed")
        )
        assert list(actions) == ["client.confirmed"]


def test_probable_duplicates_are_shown_before_confirming(
    uow_factory: UowFactory, clock: FakeClock, world: dict[str, str]
) -> None:
    sent = send(uow_factory, clock, world["gail"], UNKNOWN_NHS, "k1")
    assert isinstance(sent, SentAboutChild)
    with uow_factory() as uow:
        concern = uow.concerns.get(sent.concern_id)
        assert concern is not None
        client_id = concern.client_id
        c1003 = uow.directory.client_by_reference("C-1003")
        assert c1003 is not None
        add_identifier(uow, c1003, "nhs_number", UNKNOWN_NHS)  # meanwhile, C-1003 got it
        uow.commit()
    kwargs: dict[str, Any] = {
        "client_id": client_id,
        "practitioner_id": world["ivan"],
        "label": "Alex Doe",
        "at": clock.now(),
    }
    warned = confirm_client(uow_factory(), **kwargs)
    assert isinstance(warned, Unconfirmed) and warned.duplicates == ("C-1003",)
    done = confirm_client(uow_factory(), **kwargs, despite_duplicates=True)
    assert isinstance(done, Confirmed) and done.deputy_id == world["hana"]
