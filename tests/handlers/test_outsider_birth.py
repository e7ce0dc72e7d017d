"""A child named by name plus date of birth: matched through its own blind-index kind whatever
the case, accents and spacing, never stored in plaintext, and refused with a clear message
when the date is not a real one or lies in the future. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, select

from handlers.child_identifier import parse_identifier
from handlers.concern.outsider import SentAboutChild
from handlers.invalid import Invalid
from handlers.name_and_birth import BAD_DATE, FUTURE, NO_NAME, BadNameAndBirth, checked
from handlers.network.client_lookup import match_client
from handlers.network.unconfirmed import Confirmed, confirm_client, unconfirmed
from store.crypto import BlindIndex
from store.models import ClientIdentifier
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock
from tests.directory import seed_directory
from tests.handlers.test_outsider import counted, recipients, send
from tests.outsiders import (
    KNOWN_BIRTH,
    KNOWN_BIRTH_TYPED,
    UNKNOWN_BIRTH,
    add_child_known_by_birth,
    add_outside_organisation,
)

UowFactory = Callable[[], UnitOfWork]


@pytest.fixture
def world(uow_factory: UowFactory, clock: FakeClock) -> dict[str, str]:
    people = seed_directory(uow_factory, clock.now()).people
    world = {**people, **add_outside_organisation(uow_factory, clock.now())}
    world["C-2001"] = add_child_known_by_birth(uow_factory, clock.now())
    return world


@pytest.mark.parametrize(
    "typed", [KNOWN_BIRTH, KNOWN_BIRTH_TYPED, "zoe o'brien,2019-04-23", "Zoë O'Brien, 23/4/2019"]
)
def test_a_known_name_and_date_of_birth_reaches_the_networks_lead_and_deputy(
    uow_factory: UowFactory, clock: FakeClock, world: dict[str, str], typed: str
) -> None:
    sent = send(uow_factory, clock, world["gail"], typed, "k1")

    assert isinstance(sent, SentAboutChild)
    assert recipients(uow_factory, sent.concern_id) == {
        world["chloe"]: "lead",
        world["erin"]: "deputy",
        world["gail"]: "outsider",
    }
    with uow_factory() as uow:
        concern = uow.concerns.get(sent.concern_id)
        assert concern is not None and concern.client_id == world["C-2001"]


def test_an_unknown_name_and_date_of_birth_goes_to_the_raisers_own_people_and_is_confirmed(
    uow_factory: UowFactory, clock: FakeClock, world: dict[str, str]
) -> None:
    sent = send(uow_factory, clock, world["gail"], UNKNOWN_BIRTH, "k1")

    assert isinstance(sent, SentAboutChild)
    assert set(recipients(uow_factory, sent.concern_id)) == {
        world["hana"],
        world["ivan"],
        world["gail"],
    }
    with uow_factory() as uow:
        concern = uow.concerns.get(sent.concern_id)
        assert concern is not None
        client_id = concern.client_id
    shown = unconfirmed(uow_factory(), client_id=client_id, practitioner_id=world["hana"])
    assert shown.reported == (("name_dob", "Zoë O'Brien, 2019-04-24"),)
    done = confirm_client(
        uow_factory(),
        client_id=client_id,
        practitioner_id=world["hana"],
        label="Zoë",
        at=clock.now(),
    )
    assert isinstance(done, Confirmed)
    again = send(uow_factory, clock, world["dev"], "zoe o'brien, 2019-04-24", "k2")
    assert isinstance(again, SentAboutChild)
    assert recipients(uow_factory, again.concern_id)[world["hana"]] == "lead"


def test_a_name_and_date_of_birth_is_stored_only_sealed_and_blind_indexed(
    uow_factory: UowFactory, clock: FakeClock, world: dict[str, str]
) -> None:
    assert isinstance(send(uow_factory, clock, world["gail"], UNKNOWN_BIRTH, "k1"), SentAboutChild)
    with uow_factory() as uow:
        rows = list(uow.session.scalars(select(ClientIdentifier)))
        stored = b"".join(r.value_ct + r.blind.encode() + r.kind.encode() for r in rows)
        kinds = {r.kind for r in rows}
    for plain in (b"Brien", b"brien", b"2019-04-2", "Zoë".encode()):
        assert plain not in stored
    assert kinds >= {"name_dob", "reported_name_dob"}


def test_matched_and_unmatched_by_birth_look_and_cost_the_same(
    uow_factory: UowFactory, clock: FakeClock, world: dict[str, str], engine: Engine
) -> None:
    with counted(engine) as matched_work:
        matched = send(uow_factory, clock, world["gail"], KNOWN_BIRTH, "k1")
    with counted(engine) as unmatched_work:
        unmatched = send(uow_factory, clock, world["gail"], UNKNOWN_BIRTH, "k2")

    assert isinstance(matched, SentAboutChild) and isinstance(unmatched, SentAboutChild)
    assert matched.message == unmatched.message
    assert matched_work.count("SELECT") == unmatched_work.count("SELECT")
    assert abs(len(matched_work) - len(unmatched_work)) <= 4


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Zoë O'Brien, 2019-02-30", BAD_DATE),
        ("Zoë O'Brien, 30/02/2019", BAD_DATE),
        ("Zoë O'Brien, 2019-13-01", BAD_DATE),
        ("Zoë O'Brien, 2026-11-25", FUTURE),  # the day after the clock's today
        (" , 2019-04-23", NO_NAME),
        ("\u0301, 2019-04-23", NO_NAME),  # only an accent: nothing left once folded
    ],
)
def test_a_bad_name_or_date_of_birth_is_refused_with_a_clear_message_that_never_echoes_it(
    uow_factory: UowFactory, clock: FakeClock, world: dict[str, str], typed: str, message: str
) -> None:
    refused = send(uow_factory, clock, world["gail"], typed, "k1")
    assert refused == Invalid({"identifier": message})
    assert "Brien" not in message


def test_today_is_a_valid_date_of_birth() -> None:
    assert checked("Baby  Doe, 2026-11-24", today=FakeClock().now().date()) == (
        "Baby Doe, 2026-11-24"
    )
    with pytest.raises(BadNameAndBirth):
        checked("Baby Doe 2026-11-24", today=None)  # no comma: not a name and date of birth


def test_only_a_date_after_the_last_comma_makes_a_name_and_date_of_birth() -> None:
    assert parse_identifier("943 476 5919").kind == "nhs_number"  # type: ignore[union-attr]
    assert parse_identifier("c-1001").kind == "reference"  # type: ignore[union-attr]
    assert parse_identifier("c-1001, b").kind == "reference"  # type: ignore[union-attr]
    assert parse_identifier("Jo Doe, 2019-04-23").kind == "name_dob"  # type: ignore[union-attr]


def test_the_index_folds_case_accents_and_spacing_but_not_the_date() -> None:
    index = BlindIndex(b"k" * 32)
    same = {index.digest("name_dob", t) for t in (KNOWN_BIRTH, KNOWN_BIRTH_TYPED)}
    assert len(same) == 1
    assert index.digest("name_dob", UNKNOWN_BIRTH) not in same
    assert index.digest("name_dob", "Zoe OBrien, 2019-04-23") not in same  # letters count


def test_a_network_member_may_name_their_client_by_name_and_date_of_birth(
    uow_factory: UowFactory, world: dict[str, str]
) -> None:
    assert match_client(uow_factory(), world["chloe"], KNOWN_BIRTH_TYPED) == world["C-2001"]
    assert match_client(uow_factory(), world["gail"], KNOWN_BIRTH_TYPED) is None
