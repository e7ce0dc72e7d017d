"""Slack fixtures: a fake Slack Web API over loopback and a directory linked to workspace T1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.app import create_app
from bot.config import Settings
from bot.demo import SLACK_WORKSPACE
from bot.runtime import Runtime
from store.crypto import KeyRing, generate_master_key_spec
from store.db import session_factory
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock
from tests.directory import Directory, seed_directory
from tests.slack.fake_api import FakeSlackAPI
from tests.slack.inbound import SIGNING_SECRET, SlackSender, serve
from tests.web.conftest import PUBLIC_URL, World

TEAM = SLACK_WORKSPACE  # declared by the demo directory
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


@dataclass
class SlackWorld:
    """Flare with Slack configured against the fake API, served by uvicorn on loopback."""

    web: World
    slack: FakeSlackAPI
    sender: SlackSender

    @property
    def runtime(self) -> Runtime:
        return self.web.runtime

    @property
    def people(self) -> dict[str, str]:
        return self.web.people

    @property
    def clients(self) -> dict[str, str]:
        return self.web.clients

    @property
    def clock(self) -> FakeClock:
        return self.web.clock

    def audit_actions(self) -> list[str]:
        return self.web.audit_actions()


def slack_settings(engine: Engine, var_dir: Path, slack: FakeSlackAPI, **extra: Any) -> Settings:
    values: dict[str, Any] = dict(
        env="test",
        public_url=PUBLIC_URL,
        database_url=engine.url.render_as_string(False),
        master_keys=generate_master_key_spec("slack1"),
        var_dir=var_dir,
        run_worker_in_serve=False,
        slack_signing_secret=SIGNING_SECRET,
        slack_bot_token=BOT_TOKEN,
        slack_api_url=slack.url,
    )
    values.update(extra)
    return Settings(**values)


def slack_runtime(engine: Engine, settings: Settings) -> Runtime:
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        ring=KeyRing.parse(settings.master_keys),
        clock=FakeClock(),  # type: ignore[arg-type]
    )


class InlineExecutor(Executor):
    """Runs each listener to completion before bolt answers, so a test sees its whole effect
    when the HTTP response arrives (production answers at `ack()`, listeners run after)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


@contextmanager
def running_world(
    engine: Engine,
    var_dir: Path,
    slack: FakeSlackAPI,
    *,
    linked: bool = True,
    inline: bool = True,
    **extra: Any,
) -> Iterator[SlackWorld]:
    """Flare on uvicorn with Slack against `slack`; `inline`: listeners finish before the reply."""
    settings = slack_settings(engine, var_dir, slack, **extra)
    runtime = slack_runtime(engine, settings)
    clock: FakeClock = runtime.clock  # type: ignore[assignment]
    directory = seed_directory(runtime.uow, clock.now())
    link_everyone_to_slack(runtime.uow, slack, linked=linked)
    app = create_app(settings, runtime)
    if inline:
        app.state.slack_app.listener_runner.listener_executor = InlineExecutor()
    web = World(app, runtime, clock, dict(directory.people), dict(directory.clients))
    with serve(app) as url:
        yield SlackWorld(web, slack, SlackSender(url, slack=slack))


@pytest.fixture
def slack_world(engine: Engine, tmp_path: Path, slack: FakeSlackAPI) -> Iterator[SlackWorld]:
    """Parametrised over SQLite and PostgreSQL; everyone linked to Slack workspace T1."""
    with running_world(engine, tmp_path, slack) as world:
        yield world
