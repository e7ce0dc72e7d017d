"""A raise from outside that matches no child goes to the raiser's own organisation's
safeguarding lead and duty contact: not to its admins, unless it names neither (so that it
never goes nowhere). On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from handlers.concern.outsider import SentAboutChild
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock
from tests.directory import seed_directory
from tests.handlers.test_outsider import recipients, send
from tests.outsiders import UNKNOWN_NHS, add_outside_admin, add_outside_organisation

UowFactory = Callable[[], UnitOfWork]


@pytest.fixture
def world(uow_factory: UowFactory, clock: FakeClock) -> dict[str, str]:
    people = seed_directory(uow_factory, clock.now()).people
    world = {**people, **add_outside_organisation(uow_factory, clock.now())}
    world["jun"] = add_outside_admin(uow_factory, clock.now())
    return world


def _unmatched(uow_factory: UowFactory, clock: FakeClock, raiser: str) -> dict[str, str]:
    sent = send(uow_factory, clock, raiser, UNKNOWN_NHS, "k1")
    assert isinstance(sent, SentAboutChild)
    return recipients(uow_factory, sent.concern_id)


def _set(uow_factory: UowFactory, **holders: str | None) -> None:
    with uow_factory() as uow:
        org = uow.directory.organisation_by_ref("library-svc")
        assert org is not None
        for column, holder in holders.items():
            setattr(org, column, holder)
        uow.commit()


def test_it_goes_to_the_safeguarding_lead_and_duty_contact_not_the_admins(
    uow_factory: UowFactory, clock: FakeClock, world: dict[str, str]
) -> None:
    assert _unmatched(uow_factory, clock, world["gail"]) == {
        world["ivan"]: "duty",  # the safeguarding lead
        world["hana"]: "duty",  # the duty contact
        world["gail"]: "outsider",
    }


def test_one_person_holding_both_roles_gets_it_once(
    uow_factory: UowFactory, clock: FakeClock, world: dict[str, str]
) -> None:
    _set(uow_factory, safeguarding_lead_id=world["hana"])
    assert _unmatched(uow_factory, clock, world["gail"]) == {
        world["hana"]: "duty",
        world["gail"]: "outsider",
    }


def test_a_deactivated_lead_is_passed_over_and_the_duty_contact_still_gets_it(
    uow_factory: UowFactory, clock: FakeClock, world: dict[str, str]
) -> None:
    with uow_factory() as uow:
        ivan = uow.directory.practitioner(world["ivan"])
        assert ivan is not None
        ivan.active = False
        uow.commit()
    assert set(_unmatched(uow_factory, clock, world["gail"])) == {world["hana"], world["gail"]}


def test_an_organisation_that_names_neither_falls_back_to_its_admins(
    uow_factory: UowFactory, clock: FakeClock, world: dict[str, str]
) -> None:
    _set(uow_factory, safeguarding_lead_id=None, duty_contact_id=None)
    assert _unmatched(uow_factory, clock, world["gail"]) == {
        world["jun"]: "duty",
        world["gail"]: "outsider",
    }


def test_the_raiser_who_is_their_own_safeguarding_lead_is_not_sent_their_own_concern(
    uow_factory: UowFactory, clock: FakeClock, world: dict[str, str]
) -> None:
    assert _unmatched(uow_factory, clock, world["ivan"]) == {
        world["hana"]: "duty",
        world["ivan"]: "outsider",
    }
