"""Slack fixtures: a fake Slack Web API over loopback and a directory linked to workspace T1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest

from store.unit_of_work import UnitOfWork
from tests.directory import Directory, seed_directory
from tests.slack.fake_api import FakeSlackAPI

TEAM = "T1"
BOT_TOKEN = "xoxb-test-t1"


def slack_user(ref: str) -> str:
    """The Slack user id the tests give a demo practitioner (amara -> UAMARA)."""
    return f"U{ref.upper()}"


@pytest.fixture
def slack() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as api:
        api.add_team(TEAM, token=BOT_TOKEN)
        yield api


@dataclass(frozen=True)
class SlackDirectory:
    directory: Directory

    @property
    def people(self) -> dict[str, str]:
        return self.directory.people

    @property
    def clients(self) -> dict[str, str]:
        return self.directory.clients


def link_everyone_to_slack(
    uow_factory: Callable[[], UnitOfWork], slack: FakeSlackAPI, *, linked: bool = True
) -> None:
    """Every demo practitioner prefers Slack and exists in T1; `linked` pre-links identities."""
    with uow_factory() as uow:
        for person in uow.directory.practitioners():
            person.preferred_platform = "slack"
            slack.add_user(TEAM, slack_user(person.ref), email=person.email)
            if linked:
                person.slack_team_id, person.slack_user_id = TEAM, slack_user(person.ref)
        uow.commit()


@pytest.fixture
def slack_directory(
    uow_factory: Callable[[], UnitOfWork], slack: FakeSlackAPI, clock: object
) -> SlackDirectory:
    at: datetime = clock.now()  # type: ignore[attr-defined]
    directory = seed_directory(uow_factory, at)
    link_everyone_to_slack(uow_factory, slack)
    return SlackDirectory(directory)
