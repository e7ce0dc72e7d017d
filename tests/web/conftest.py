"""A Flare app on a real store (SQLite or PostgreSQL) with a fake clock and demo data."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, func, select

from bot.app import create_app
from bot.config import Settings
from bot.demo import seed
from bot.playground.chat import ChatMessage, messages_for
from bot.runtime import Runtime
from store.crypto import KeyRing, generate_master_key_spec
from store.db import make_engine, session_factory
from store.migrate import upgrade
from store.models import AuditEvent, Delivery
from tests.conftest import FakeClock
from tests.web.browser import Browser, Visit

# Debian's chromium, headless, as the machine notes say to run it.
CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PHONE = {"width": 375, "height": 812}
HEADLESS_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

PUBLIC_URL = "http://testserver"


@dataclass
class World:
    app: FastAPI
    runtime: Runtime
    clock: FakeClock
    people: dict[str, str] = field(default_factory=dict)
    clients: dict[str, str] = field(default_factory=dict)
    visits: list[Visit] = field(default_factory=list)

    def browser(self, who: str, *, address: str = "testclient") -> Browser:
        base = self.runtime.settings.public_url  # https in production: Secure cookies come back
        return Browser(self.app, who, self.visits, base_url=base, address=address)

    def deliver(self) -> None:
        self.runtime.deliver()

    def chat(self, ref: str) -> list[ChatMessage]:
        return list(messages_for(self.runtime.uow(), self.people[ref]))

    def audit_count(self) -> int:
        with self.runtime.uow() as uow:
            return uow.session.scalar(select(func.count()).select_from(AuditEvent)) or 0

    def audit_actions(self) -> list[str]:
        with self.runtime.uow() as uow:
            return list(uow.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))

    def audit_details(self, action: str) -> list[dict[str, Any]]:
        """The detail of every audit row of one kind, oldest first."""
        with self.runtime.uow() as uow:
            rows = uow.session.scalars(
                select(AuditEvent.detail)
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.seq)
            )
            return [dict(detail) for detail in rows]

    def delivery(self, concern_id: str, ref: str) -> Delivery:
        """A detached copy of the delivery row, to read its times after the request."""
        with self.runtime.uow() as uow:
            found = uow.concerns.delivery_for(concern_id, self.people[ref])
            assert found is not None
            uow.session.expunge(found)
            return found


def settings_for(
    env: str, var_dir: Path, database_url: str, keys: str, **extra: object
) -> Settings:
    public = PUBLIC_URL if env != "production" else "https://flare.example"
    return Settings(
        env=env,  # type: ignore[arg-type]
        public_url=public,
        database_url=database_url,
        master_keys=keys,
        var_dir=var_dir,
        run_worker_in_serve=False,
        **extra,  # type: ignore[arg-type]
    )


def make_world(
    engine: Engine,
    var_dir: Path,
    env: str = "test",
    *,
    clock: FakeClock | None = None,
    **extra: object,
) -> World:
    """`extra`: more Settings fields (sign-in providers, timeouts, limits)."""
    keys = generate_master_key_spec("web1")
    settings = settings_for(env, var_dir, engine.url.render_as_string(False), keys, **extra)
    clock = clock or FakeClock()
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        ring=KeyRing.parse(keys),
        clock=clock,  # type: ignore[arg-type]
    )
    seed(runtime)
    world = World(create_app(settings, runtime), runtime, clock)
    with runtime.uow() as uow:
        world.people = {p.ref: p.id for p in uow.directory.practitioners()}
        world.clients = {c.reference: c.id for c in uow.directory.clients_of(world.people["amara"])}
        world.clients |= {c.reference: c.id for c in uow.directory.clients_of(world.people["erin"])}
    return world


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    """Parametrised over SQLite and PostgreSQL by the shared `engine` fixture."""
    return make_world(engine, tmp_path)


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "db" / "flare.db"


@pytest.fixture
def sqlite_world(sqlite_path: Path, tmp_path: Path) -> Iterator[World]:
    engine = make_engine(f"sqlite:///{sqlite_path}")
    upgrade(engine)
    yield make_world(engine, tmp_path)
    engine.dispose()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=HEADLESS_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def served(sqlite_world: World) -> Iterator[tuple[World, str]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    config = uvicorn.Config(sqlite_world.app, host="127.0.0.1", port=port, log_config=None)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    # Links in chat point at FLARE_PUBLIC_URL: make it this server.
    sqlite_world.runtime.settings.public_url = f"http://127.0.0.1:{port}"
    yield sqlite_world, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
