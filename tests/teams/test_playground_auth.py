"""Token-less activities (Microsoft 365 Agents Playground) are accepted only when ALL hold:
FLARE_ENV is demo or test, no Teams credentials are set, the request comes from loopback with
the Playground's header, and the activity's serviceUrl is on loopback. Each refusal is a 401
that changes nothing and calls nobody. Accepted ones are answered through the Playground's
connector without a bot token."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from bot.app import create_app
from bot.config import Settings
from bot.demo import ENTRA_TENANT, seed
from bot.runtime import Runtime
from bot.teams.inbound import TeamsInbound
from bot.teams.playground import (
    PLAYGROUND_HEADER,
    PlaygroundConnector,
    loopback_url,
    on_loopback,
    playground_router,
)
from store.crypto import KeyRing, generate_master_key_spec
from store.db import make_engine, session_factory
from store.migrate import upgrade
from store.models import AuditEvent, InboundEvent, OutboxMessage
from tests.conftest import FakeClock
from tests.loopback import LoopbackServer
from tests.teams.adaptive_cards import card_problems
from tests.teams.inbound_world import serving

TENANT = ENTRA_TENANT  # declared by the demo organisations
CHLOE_AAD = "0f1a7e00-0000-4000-8000-0000000000c1"
BOT = "28:flare-test-bot"


class FakePlayground:
    """The Playground's Bot Connector (`/_connector`): records what Flare sends it."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                owner.requests.append((self.command, self.path, dict(self.headers), body))
                problems = card_problems(body)
                data = json.dumps({"id": uuid.uuid4().hex} if not problems else {}).encode()
                self.send_response(400 if problems else 201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_PUT = do_POST

        self._httpd = LoopbackServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/_connector"

    def __enter__(self) -> FakePlayground:
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _settings(engine: Engine, tmp_path: Path, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "database_url": engine.url.render_as_string(hide_password=False),
        "master_keys": generate_master_key_spec("pg1"),
        "var_dir": tmp_path,
        "run_worker_in_serve": False,
    }
    values.update(extra)
    return Settings(**values)


def _runtime(settings: Settings, engine: Engine) -> Runtime:
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        ring=KeyRing.parse(settings.master_keys),
        clock=FakeClock(),  # type: ignore[arg-type]
    )
    seed(runtime)
    with runtime.uow() as uow:
        chloe = uow.directory.practitioner_by_ref("chloe")
        assert chloe is not None
        chloe.teams_tenant_id, chloe.teams_aad_object_id = TENANT, CHLOE_AAD
        chloe.preferred_platform = "teams"
        uow.commit()
    return runtime


def _activity(service_url: str, text: str = "help") -> dict[str, Any]:
    """A message as the Playground sends it (its shape, read off its traffic)."""
    return {
        "type": "message",
        "id": str(uuid.uuid4()),
        "text": text,
        "from": {"id": f"29:{CHLOE_AAD}", "aadObjectId": CHLOE_AAD},
        "serviceUrl": service_url,
        "conversation": {"conversationType": "personal", "tenantId": TENANT, "id": "pg-chloe"},
        "recipient": {"id": BOT, "name": "Flare"},
        "channelData": {"tenant": {"id": TENANT}},
        "channelId": "msteams",
    }


def _state(runtime: Runtime) -> tuple[Any, ...]:
    """Everything an activity could change: stored conversation, inbound, audit, outbox."""
    with runtime.uow() as uow:
        chloe = uow.directory.practitioner_by_ref("chloe")
        assert chloe is not None
        counts = tuple(
            uow.session.scalar(select(func.count()).select_from(model))
            for model in (InboundEvent, AuditEvent, OutboxMessage)
        )
        return (chloe.teams_conversation, *counts)


MARKED = {PLAYGROUND_HEADER: "true"}


@contextmanager
def _flare(settings: Settings, engine: Engine) -> Iterator[tuple[str, Runtime, FastAPI]]:
    runtime = _runtime(settings, engine)
    app = create_app(settings, runtime)
    with serving(app) as url:
        yield url, runtime, app


@pytest.mark.parametrize("env", ["demo", "test"])
def test_the_playground_is_answered_through_its_own_connector_without_a_token(
    engine: Engine, tmp_path: Path, env: str
) -> None:
    if env == "demo":  # the demo runs only on its own SQLite file under FLARE_VAR_DIR
        engine = make_engine(f"sqlite:///{tmp_path / 'flare.db'}")
        upgrade(engine)
    with (
        FakePlayground() as playground,
        _flare(_settings(engine, tmp_path, env=env), engine) as (
            url,
            runtime,
            _app,
        ),
    ):
        answer = httpx.post(f"{url}/api/messages", json=_activity(playground.url), headers=MARKED)
        assert answer.status_code == 200
        ((method, path, headers, body),) = playground.requests
        assert method == "POST" and path == "/_connector/v3/conversations/pg-chloe/activities"
        assert "Authorization" not in headers
        assert body["attachments"][0]["content"]["body"][0]["text"] == "Flare"
        stored = _state(runtime)[0]
        assert stored["serviceUrl"] == playground.url and stored["id"] == "pg-chloe"


@pytest.mark.parametrize(
    ("why", "headers", "service_url"),
    [
        ("no Playground header", {}, None),
        ("header says false", {PLAYGROUND_HEADER: "false"}, None),
        ("serviceUrl is the real Bot Connector", MARKED, "https://smba.trafficmanager.net/teams/"),
        ("serviceUrl only looks like loopback", MARKED, "http://127.0.0.1.nip.io:9/_connector"),
        ("serviceUrl on another machine", MARKED, "http://192.0.2.7:56150/_connector"),
    ],
)
def test_a_refused_playground_request_is_401_and_changes_nothing(
    engine: Engine, tmp_path: Path, why: str, headers: dict[str, str], service_url: str | None
) -> None:
    with (
        FakePlayground() as playground,
        _flare(_settings(engine, tmp_path), engine) as (
            url,
            runtime,
            _app,
        ),
    ):
        before = _state(runtime)
        activity = _activity(service_url or playground.url)
        answer = httpx.post(f"{url}/api/messages", json=activity, headers=headers)
        assert answer.status_code == 401, why
        assert _state(runtime) == before and playground.requests == []


def test_a_request_from_beyond_loopback_is_refused(engine: Engine, tmp_path: Path) -> None:
    with FakePlayground() as playground:
        settings = _settings(engine, tmp_path)
        runtime = _runtime(settings, engine)
        before = _state(runtime)
        app = create_app(settings, runtime)
        with TestClient(app, client=("192.0.2.7", 50000)) as remote:
            answer = remote.post("/api/messages", json=_activity(playground.url), headers=MARKED)
        assert answer.status_code == 401
        assert _state(runtime) == before and playground.requests == []


def test_teams_credentials_turn_the_playground_off(engine: Engine, tmp_path: Path) -> None:
    settings = _settings(
        engine,
        tmp_path,
        teams_app_id="00000000-0000-0000-0000-0000000000b1",
        teams_app_password="secret",
    )
    with FakePlayground() as playground, _flare(settings, engine) as (url, runtime, _app):
        before = _state(runtime)
        answer = httpx.post(f"{url}/api/messages", json=_activity(playground.url), headers=MARKED)
        assert answer.status_code == 401  # the Bot Framework's JWT check: no token, no entry
        assert _state(runtime) == before and playground.requests == []


def test_production_never_takes_a_playground_activity(engine: Engine, tmp_path: Path) -> None:
    production = _settings(engine, tmp_path, env="production", public_url="https://flare.test")
    with FakePlayground() as playground:
        runtime = _runtime(production, engine)
        before = _state(runtime)
        with TestClient(create_app(production, runtime)) as client:  # nothing mounted at all
            assert client.post("/api/messages", json={}, headers=MARKED).status_code == 404
        # and the Playground's route itself re-checks the environment on every request
        inbound = TeamsInbound(runtime.dependencies(), connector=PlaygroundConnector())
        app = FastAPI()
        app.include_router(playground_router(production, inbound))
        with serving(app) as url:
            answer = httpx.post(
                f"{url}/api/messages", json=_activity(playground.url), headers=MARKED
            )
        assert answer.status_code == 401
        assert _state(runtime) == before and playground.requests == []


def test_the_playground_connector_calls_nothing_beyond_loopback() -> None:
    connector = PlaygroundConnector(timeout=1.0)
    outcome = connector._call("POST", "https://smba.trafficmanager.net/teams/v3/x", {}, create=True)
    assert outcome.status == 0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("0.0.0.0", False),
        ("192.0.2.7", False),
        ("localhost.example", False),
        ("127.0.0.1.nip.io", False),
        ("", False),
        (None, False),
    ],
)
def test_loopback_means_the_loopback_addresses_and_localhost(
    host: str | None, loopback: bool
) -> None:
    assert on_loopback(host) is loopback
    if host:
        assert (
            loopback_url(f"http://{host if ':' not in host or '[' in host else f'[{host}]'}:8/x")
            is loopback
        )


@pytest.mark.parametrize(
    ("environment", "refusal"),
    [
        ({"FLARE_ENV": "test"}, "needs FLARE_ENV=demo and no TEAMS_APP_ID/TEAMS_APP_PASSWORD"),
        # The demo itself refuses real credentials, naming the first it meets.
        (
            {"FLARE_ENV": "demo", "TEAMS_APP_ID": "app", "TEAMS_APP_PASSWORD": "secret"},
            "flare: bad setting TEAMS_APP_ID: must not be set when FLARE_ENV=demo",
        ),
    ],
)
def test_flare_demo_teams_playground_needs_demo_mode_without_teams_credentials(
    tmp_path: Path, environment: dict[str, str], refusal: str
) -> None:
    from click.testing import CliRunner

    from bot.cli import main

    env = {"FLARE_VAR_DIR": str(tmp_path), "TEAMS_APP_ID": "", "TEAMS_APP_PASSWORD": ""}
    result = CliRunner().invoke(main, ["demo", "teams-playground"], env={**env, **environment})
    assert result.exit_code == 2
    assert refusal in result.output
    assert not (tmp_path / "teams-playground").exists()
