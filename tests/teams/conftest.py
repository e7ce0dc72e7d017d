"""Teams fixtures: the fake login + Bot Connector, a notifier wired to them, Teams people."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from bot.teams.connector import BotConnector
from bot.teams.notifier import TeamsNotifier
from bot.teams.tokens import BotTokens
from handlers.ports import Clock
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock, UowFactory
from tests.directory import Directory, seed_directory
from tests.teams.fake_connector import APP_ID, APP_PASSWORD, TENANT_ID, FakeTeams, fake_teams


@pytest.fixture
def teams() -> Iterator[FakeTeams]:
    with fake_teams() as fakes:
        yield fakes


def make_notifier(uow_factory: UowFactory, clock: Clock, teams: FakeTeams) -> TeamsNotifier:
    tokens = BotTokens(
        app_id=APP_ID,
        password=APP_PASSWORD,
        tenant_id=TENANT_ID,
        authority_url=teams.login.url,
        verify=str(teams.login.cert_path),
    )
    connector = BotConnector(tokens, app_id=APP_ID, timeout=5.0)
    return TeamsNotifier(
        uow_factory, clock, connector, tenant_id=TENANT_ID, service_url=teams.connector.url
    )


@pytest.fixture
def notifier(uow_factory: UowFactory, clock: FakeClock, teams: FakeTeams) -> TeamsNotifier:
    return make_notifier(uow_factory, clock, teams)


def aad_id(ref: str) -> str:
    """A stable, fake AAD object id for a demo person."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"flare-test:{ref}"))


@dataclass(frozen=True)
class TeamsPeople:
    directory: Directory
    aad: dict[str, str]


def move_to_teams(
    uow_factory: Callable[[], UnitOfWork], d: Directory, teams: FakeTeams, *refs: str
) -> dict[str, str]:
    """Put the named demo people on Teams (tenant + AAD id) and into the fake tenant."""
    ids: dict[str, str] = {}
    with uow_factory() as uow:
        for ref in refs:
            person = uow.directory.practitioner(d.people[ref])
            assert person is not None
            ids[ref] = aad_id(ref)
            person.preferred_platform = "teams"
            person.teams_tenant_id = TENANT_ID
            person.teams_aad_object_id = ids[ref]
            teams.connector.add_member(aad_object_id=ids[ref], upn=f"{ref}@school.test")
        uow.commit()
    return ids


@pytest.fixture
def on_teams(uow_factory: UowFactory, clock: FakeClock, teams: FakeTeams) -> TeamsPeople:
    """The demo directory with Chloe (lead of C-1001) and Dev (member) on Teams."""
    d = seed_directory(uow_factory, clock.now())
    return TeamsPeople(d, move_to_teams(uow_factory, d, teams, "chloe", "dev"))
