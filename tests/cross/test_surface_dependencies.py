"""Slack, Teams and the web pages get the same typed dependencies, and nothing more."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bot.app import create_app
from bot.config import Settings
from bot.dependencies import Dependencies
from bot.runtime import Runtime
from bot.slack.app import LISTENER_MODULES, build_slack_app
from bot.teams.dialog import RaiseDialog
from bot.teams.endpoint import mount_teams
from bot.teams.inbound import TeamsInbound
from bot.teams.playground import mount_playground
from bot.web.rendering import Page
from bot.web.sessions import Browser
from store.crypto import KeyRing, generate_master_key_spec
from store.db import session_factory


def _annotation(entry: Callable[..., object], position: int) -> object:
    return list(inspect.signature(entry).parameters.values())[position].annotation


def test_every_surface_entry_point_takes_the_one_dependencies_object() -> None:
    entries: list[tuple[Callable[..., object], int]] = [
        (build_slack_app, 0),
        *((module.register, 1) for module in LISTENER_MODULES),  # register(app, deps)
        (mount_teams, 1),
        (mount_playground, 1),
        (TeamsInbound.__init__, 1),
        (RaiseDialog.__init__, 1),
        (Browser.__init__, 1),
    ]
    for entry, position in entries:
        assert _annotation(entry, position) == "Dependencies", entry.__qualname__
    assert {f.name: f.type for f in dataclasses.fields(Page)}["deps"] == "Dependencies"


def test_dependencies_are_typed_and_hold_no_engine_key_ring_or_notifiers() -> None:
    fields = {f.name: f.type for f in dataclasses.fields(Dependencies) if f.init}
    assert set(fields) == {"settings", "uow", "clock", "calendar", "minter", "deliver"}
    # Besides them only a cache of named system keys (read through the unit of work).
    private = {f.name for f in dataclasses.fields(Dependencies) if not f.init}
    assert private == {"_system_keys"}
    assert "Any" not in " ".join(str(t) for t in fields.values())


def test_the_web_pages_get_the_runtimes_dependencies(engine: Engine, tmp_path: Path) -> None:
    settings = Settings(
        env="test",
        database_url=str(engine.url),
        master_keys=generate_master_key_spec("deps"),
        var_dir=tmp_path,
        public_url="https://flare.test",
    )
    ring = KeyRing.parse(settings.master_keys)
    runtime = Runtime(settings=settings, engine=engine, sessions=session_factory(engine), ring=ring)
    app = create_app(settings, runtime)
    with TestClient(app):
        deps = app.state.dependencies
        assert isinstance(deps, Dependencies)
        assert deps.settings is settings and deps.clock is runtime.clock
        assert deps.minter.url("t") == "https://flare.test/l/t"
        with deps.uow() as uow:
            assert uow.audit_head_seq() >= 0
