"""Flare served by uvicorn on loopback, with Teams faked around it over real HTTP.

The fake OpenID issuer signs the tokens the "Bot Connector" sends with each activity; the
fake login + Bot Connector (from fake_connector.py) answer Flare's replies, member lookups
and pointers. Demo people put "on Teams" are members of the fake tenant with a personal
chat with the bot, but are not linked yet: their first activity links them by UPN.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine, func, select

from bot.app import create_app
from bot.config import Settings
from bot.demo import seed
from bot.runtime import Runtime
from bot.teams.notifier import teams_notifier
from handlers.values import Platform
from store.crypto import KeyRing, generate_master_key_spec
from store.db import session_factory
from store.models import AuditEvent, Concern, InboundEvent, OutboxMessage
from tests.conftest import FakeClock
from tests.teams.adaptive_cards import card_problems
from tests.teams.conftest import aad_id
from tests.teams.fake_connector import APP_ID, APP_PASSWORD, TENANT_ID, FakeTeams, Message
from tests.teams.fake_openid import FakeOpenId, running_openid

PUBLIC_URL = "https://flare.test"


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Run an ASGI app under uvicorn on a free loopback port; yield its base URL.

    log_config=None, as `flare serve` does: uvicorn's default log config would dictConfig
    the whole process (its own stderr handlers, propagate off), and every later test's
    records from uvicorn would bypass the root (Flare's handler, the traceback catcher)."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class TeamsWorld:
    url: str
    runtime: Runtime
    clock: FakeClock
    issuer: FakeOpenId
    teams: FakeTeams
    people: dict[str, str] = field(default_factory=dict)
    clients: dict[str, str] = field(default_factory=dict)
    aad: dict[str, str] = field(default_factory=dict)
    app: Any = None

    # Teams side

    def put_on_teams(self, *refs: str, upn: str | None = None) -> None:
        """Members of the tenant with the bot installed (a personal chat); not linked yet."""
        with self.runtime.uow() as uow:
            for ref in refs:
                person = uow.directory.practitioner(self.people[ref])
                assert person is not None
                person.preferred_platform = "teams"
            uow.commit()
        for ref in refs:
            self.aad[ref] = aad_id(ref)
            self.teams.connector.add_member(
                aad_object_id=self.aad[ref], upn=upn or f"{ref}@demo.flare.invalid"
            )
            self.teams.connector.conversations[f"a:{self.aad[ref]}"] = {
                "member": self.aad[ref],
                "tenant": TENANT_ID,
            }

    def activity(self, ref: str, kind: str, **fields: Any) -> dict[str, Any]:
        aad = self.aad.get(ref) or aad_id(ref)
        body: dict[str, Any] = {
            "type": kind,
            "id": f"f:{secrets.token_hex(8)}",
            "channelId": "msteams",
            "serviceUrl": self.teams.connector.url,
            "from": {"id": f"29:{aad}", "aadObjectId": aad, "name": "Teams user"},
            "recipient": {"id": f"28:{APP_ID}", "name": "Flare"},
            "conversation": {
                "id": f"a:{aad}",
                "conversationType": "personal",
                "tenantId": TENANT_ID,
            },
            "channelData": {"tenant": {"id": TENANT_ID}},
        }
        body.update(fields)
        return body

    def post(self, activity: dict[str, Any], *, token: str | None = None) -> httpx.Response:
        token = token if token is not None else self.issuer.token(activity["serviceUrl"])
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            f"{self.url}/api/messages", json=activity, headers=headers, timeout=20
        )
        if response.content and response.headers.get("content-type", "").startswith(
            "application/json"
        ):
            problems = card_problems(response.json())  # dialogs and Action.Execute answers
            assert not problems, f"Teams would refuse the cards Flare answered with: {problems}"
        return response

    def say(self, ref: str, text: str) -> httpx.Response:
        return self.post(self.activity(ref, "message", text=text))

    def invoke(self, ref: str, name: str, value: dict[str, Any], **fields: Any) -> httpx.Response:
        return self.post(self.activity(ref, "invoke", name=name, value=value, **fields))

    def messages(self, ref: str) -> list[Message]:
        return self.teams.connector.messages_to(self.aad[ref])

    # Flare side

    def deliver(self) -> None:
        self.runtime.deliver()

    def counts(self) -> dict[str, int]:
        """Row counts of every table an activity could change."""
        with self.runtime.uow() as uow:
            s = uow.session
            return {
                "audit": s.scalar(select(func.count()).select_from(AuditEvent)) or 0,
                "concerns": s.scalar(select(func.count()).select_from(Concern)) or 0,
                "outbox": s.scalar(select(func.count()).select_from(OutboxMessage)) or 0,
                "inbound": s.scalar(select(func.count()).select_from(InboundEvent)) or 0,
            }

    def audit_details(self, action: str) -> list[dict[str, Any]]:
        """The detail of every audit row of one kind, oldest first."""
        with self.runtime.uow() as uow:
            query = select(AuditEvent.detail).where(AuditEvent.action == action)
            return [dict(d) for d in uow.session.scalars(query.order_by(AuditEvent.seq))]

    def linked(self, ref: str) -> tuple[str | None, str | None, dict[str, Any] | None]:
        with self.runtime.uow() as uow:
            person = uow.directory.practitioner(self.people[ref])
            assert person is not None
            return person.teams_tenant_id, person.teams_aad_object_id, person.teams_conversation


def settings_for(
    engine: Engine, var_dir: Path, keys: str, issuer: FakeOpenId, teams: FakeTeams, **extra: Any
) -> Settings:
    values: dict[str, Any] = dict(
        env="test",
        public_url=PUBLIC_URL,
        database_url=engine.url.render_as_string(hide_password=False),
        master_keys=keys,
        var_dir=var_dir,
        run_worker_in_serve=False,
        teams_app_id=APP_ID,
        teams_app_password=APP_PASSWORD,
        teams_tenant_id=TENANT_ID,
        teams_authority_url=teams.login.url,
        teams_service_url=teams.connector.url,
        teams_openid_metadata_url=issuer.metadata_url,
    )
    return Settings(**(values | extra))


@contextmanager
def teams_world(
    engine: Engine,
    var_dir: Path,
    teams: FakeTeams,
    monkeypatch: pytest.MonkeyPatch,
    **extra: Any,
) -> Iterator[TeamsWorld]:
    """Flare with Teams against the fakes; `extra` settings add e.g. Slack."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(teams.login.cert_path))
    with running_openid(APP_ID) as issuer:
        issuer.app_id = APP_ID
        keys = generate_master_key_spec("teams1")
        settings = settings_for(engine, var_dir, keys, issuer, teams, **extra)
        clock = FakeClock()
        runtime = Runtime(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            ring=KeyRing.parse(keys),
            clock=clock,  # type: ignore[arg-type]
        )
        runtime.notifiers[Platform.TEAMS] = teams_notifier(settings, runtime.uow, clock)
        seed(runtime)
        app = create_app(settings, runtime)
        with serving(app) as url:
            world = TeamsWorld(url, runtime, clock, issuer, teams, app=app)
            with runtime.uow() as uow:
                world.people = {p.ref: p.id for p in uow.directory.practitioners()}
                for ref in ("C-1001", "C-1002", "C-1003"):
                    client = uow.directory.client_by_reference(ref)
                    assert client is not None
                    world.clients[ref] = client.id
            yield world
