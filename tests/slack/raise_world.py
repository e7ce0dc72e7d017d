"""A running Flare (uvicorn on loopback) wired to a fake Slack Web API, for the user flows.

Flare's /slack/events is reached over real HTTP with requests signed as Slack signs them;
every call Flare makes to Slack (Web API and response_url) lands in the fake, which records
the bytes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from bot.app import create_app
from bot.config import Settings
from bot.demo import SLACK_WORKSPACE, seed
from bot.runtime import Runtime
from bot.slack.raise_modal import loading_id
from store.crypto import KeyRing, generate_master_key_spec
from store.db import session_factory
from store.models import AuditEvent, Concern, Link, OutboxMessage
from tests.conftest import FakeClock
from tests.slack.fake_api import FakeSlackAPI, RecordedRequest
from tests.slack.inbound import SIGNING_SECRET, serve
from tests.slack.slack_client import SlackSender

TEAM = SLACK_WORKSPACE  # declared by the demo directory
BOT_TOKEN = "xoxb-test-t1"
PUBLIC_URL = "https://flare.test"


def slack_user(ref: str) -> str:
    return f"U{ref.upper()}"


@dataclass
class SlackWorld:
    runtime: Runtime
    slack: FakeSlackAPI
    sender: SlackSender
    clock: FakeClock
    people: dict[str, str] = field(default_factory=dict)
    clients: dict[str, str] = field(default_factory=dict)

    def calls(self, method: str) -> list[RecordedRequest]:
        return self.slack.calls(method)

    def wait_for(self, method: str, count: int = 1, timeout: float = 15.0) -> list[RecordedRequest]:
        """Listeners run after the ack: wait until the fake has seen `count` such calls."""
        deadline = time.monotonic() + timeout
        while len(self.calls(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{method}: {len(self.calls(method))} calls, wanted {count}")
            time.sleep(0.01)
        self.slack.wait_idle()
        return self.calls(method)

    def form(self, trigger: str, timeout: float = 15.0) -> dict[str, Any]:
        """The view that filled the modal opened for `trigger` (views.update by external id)."""
        external_id = loading_id(self.sender.team, trigger)
        opened = [c for c in self.calls("views.open") if c.args.get("trigger_id") == trigger]
        deadline = time.monotonic() + timeout
        while True:
            for call in self.calls("views.update"):
                if call.args.get("external_id") == external_id:
                    assert opened and opened[0].args["view"]["external_id"] == external_id
                    view: dict[str, Any] = call.args["view"]
                    return view
            if time.monotonic() > deadline:
                raise AssertionError("the modal for that trigger was never filled in")
            time.sleep(0.01)
            opened = opened or [
                c for c in self.calls("views.open") if c.args.get("trigger_id") == trigger
            ]

    def hooks(self) -> list[RecordedRequest]:
        """Posts to response_url (ephemeral replies), which the fake also records."""
        return [r for r in self.slack.requests if "/hooks/" in r.path]

    def wait_hooks(self, count: int, timeout: float = 15.0) -> list[RecordedRequest]:
        deadline = time.monotonic() + timeout
        while len(self.hooks()) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"response_url: {len(self.hooks())} posts, wanted {count}")
            time.sleep(0.01)
        return self.hooks()

    def count(self, model: Any) -> int:
        with self.runtime.uow() as uow:
            return uow.session.scalar(select(func.count()).select_from(model)) or 0

    def state_counts(self) -> dict[str, int]:
        """Rows a refused request must not add (inbound de-dup keys are plumbing, not data)."""
        return {m.__name__: self.count(m) for m in (Concern, OutboxMessage, Link, AuditEvent)}

    def deliver(self) -> None:
        self.runtime.deliver()
        self.slack.wait_idle()


def settings_for(database_url: str, var_dir: Path, api_url: str, **extra: Any) -> Settings:
    return Settings(
        **extra,
        env="test",
        public_url=PUBLIC_URL,
        database_url=database_url,
        master_keys=generate_master_key_spec("slack1"),
        var_dir=var_dir,
        run_worker_in_serve=False,
        slack_signing_secret=SIGNING_SECRET,
        slack_bot_token=BOT_TOKEN,
        slack_api_url=api_url,
    )


@contextmanager
def slack_world(
    engine: Engine,
    var_dir: Path,
    *,
    linked: bool = True,
    api: FakeSlackAPI | None = None,
    **extra: Any,
) -> Iterator[SlackWorld]:
    """Flare served on loopback against `api` (a new fake if None); `extra`: more settings."""
    with api or FakeSlackAPI() as slack:
        slack.add_team(TEAM, token=BOT_TOKEN)
        database_url = engine.url.render_as_string(False)
        settings = settings_for(database_url, var_dir, slack.url, **extra)
        clock = FakeClock()
        runtime = Runtime(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            ring=KeyRing.parse(settings.master_keys),
            clock=clock,  # type: ignore[arg-type]
        )
        seed(runtime)
        with runtime.uow() as uow:
            for person in uow.directory.practitioners():
                person.preferred_platform = "slack"
                slack.add_user(TEAM, slack_user(person.ref), email=person.email)
                if linked:
                    person.slack_team_id, person.slack_user_id = TEAM, slack_user(person.ref)
            uow.commit()
        app = create_app(settings, runtime)
        assert app.state.slack_app is not None  # POST /slack/events is mounted
        with serve(app) as url:
            world = SlackWorld(
                runtime,
                slack,
                SlackSender(url, team=TEAM, response_base=slack.url.rstrip("/"), slack=slack),
                clock,
            )
            with runtime.uow() as uow:
                world.people = {p.ref: p.id for p in uow.directory.practitioners()}
                for ref in ("C-1001", "C-1002", "C-1003"):
                    client = uow.directory.client_by_reference(ref)
                    assert client is not None
                    world.clients[ref] = client.id
            yield world
