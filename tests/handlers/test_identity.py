"""Chat identity: linked by team/tenant + user, first contact by verified email only."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from handlers.identity import (
    Ambiguous,
    ChatIdentity,
    Known,
    Unknown,
    chat_identity_of,
    explain,
    identify,
)
from handlers.values import Platform
from store.models import AuditEvent, Practitioner
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock
from tests.directory import Directory, seed_directory

Factory = Callable[[], UnitOfWork]


@pytest.fixture
def directory(uow_factory: Factory, clock: FakeClock) -> Directory:
    return seed_directory(uow_factory, clock.now())


def _audit_actions(uow_factory: Factory) -> list[str]:
    with uow_factory() as uow:
        return [e.action for e in uow.session.query(AuditEvent).order_by(AuditEvent.seq)]


@pytest.mark.parametrize("platform", [Platform.SLACK, Platform.TEAMS])
def test_first_contact_links_by_verified_email_then_by_id(
    uow_factory: Factory, clock: FakeClock, directory: Directory, platform: Platform
) -> None:
    who = ChatIdentity(platform, "T-ONE", "U-AMARA", "Amara@Demo.Flare.Invalid ")
    first = identify(uow_factory(), who, clock=clock)
    assert isinstance(first, Known) and first.newly_linked
    assert first.practitioner_id == directory.people["amara"]
    again = identify(uow_factory(), ChatIdentity(platform, "T-ONE", "U-AMARA"), clock=clock)
    assert isinstance(again, Known) and again.practitioner_id == directory.people["amara"]
    assert not again.newly_linked
    assert _audit_actions(uow_factory).count("identity.linked") == 1
    linked = chat_identity_of(uow_factory(), directory.people["amara"], platform)
    assert linked == ChatIdentity(platform, "T-ONE", "U-AMARA")
    assert chat_identity_of(uow_factory(), directory.people["ben"], platform) is None


def test_unknown_and_unverified_users_are_refused_and_nothing_is_stored(
    uow_factory: Factory, clock: FakeClock, directory: Directory
) -> None:
    before = _audit_actions(uow_factory)
    stranger = ChatIdentity(Platform.SLACK, "T-ONE", "U-X", "nobody@elsewhere.invalid")
    assert identify(uow_factory(), stranger, clock=clock) == Unknown("no_match")
    no_email = ChatIdentity(Platform.SLACK, "T-ONE", "U-Y")
    assert identify(uow_factory(), no_email, clock=clock) == Unknown("no_email")
    assert _audit_actions(uow_factory) == before
    with uow_factory() as uow:
        assert uow.directory.practitioner_by_slack("T-ONE", "U-X") is None
    assert "administrator" in explain(Unknown("no_match"))


def test_a_second_account_with_the_same_email_is_refused(
    uow_factory: Factory, clock: FakeClock, directory: Directory
) -> None:
    email = "ben@demo.flare.invalid"
    assert isinstance(
        identify(uow_factory(), ChatIdentity(Platform.SLACK, "T1", "U1", email), clock=clock),
        Known,
    )
    other = identify(uow_factory(), ChatIdentity(Platform.SLACK, "T2", "U2", email), clock=clock)
    assert other == Ambiguous("linked_elsewhere")
    assert "identity.link_refused" in _audit_actions(uow_factory)


def test_an_inactive_practitioner_is_not_recognised(
    uow_factory: Factory, clock: FakeClock, directory: Directory
) -> None:
    who = ChatIdentity(Platform.TEAMS, "tenant", "oid", "chloe@demo.flare.invalid")
    assert isinstance(identify(uow_factory(), who, clock=clock), Known)
    with uow_factory() as uow:
        person = uow.session.get(Practitioner, directory.people["chloe"])
        assert person is not None
        person.active = False
        uow.commit()
    assert identify(uow_factory(), who, clock=clock) == Unknown("inactive")
