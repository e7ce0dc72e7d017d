"""build_runtime wires the Teams notifier from the environment; bad Teams settings stop start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from sqlalchemy import Engine

from bot.composition import attached_teams_connector, build_runtime
from bot.config import Settings, SettingsError, load_settings
from bot.teams.notifier import TeamsNotifier
from bot.teams.playground import PlaygroundConnector
from handlers.concern.raising import Raised, raise_concern
from handlers.deadlines import WorkingCalendar
from handlers.values import Platform
from store.crypto import generate_master_key_spec
from tests.conftest import FakeClock
from tests.directory import seed_directory
from tests.fakes import FakeNotifier
from tests.raising import raise_command
from tests.teams.conftest import move_to_teams
from tests.teams.fake_connector import APP_ID, APP_PASSWORD, TENANT_ID, FakeTeams


def test_teams_credentials_wire_a_working_notifier(
    engine: Engine,
    tmp_path: Path,
    clock: FakeClock,
    calendar: WorkingCalendar,
    teams: FakeTeams,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # msal's own HTTP session trusts the fake login's certificate through the environment
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(teams.login.cert_path))
    settings = Settings(
        env="test",
        database_url=engine.url.render_as_string(hide_password=False),
        master_keys=generate_master_key_spec("t1"),
        var_dir=tmp_path,
        teams_app_id=APP_ID,
        teams_app_password=APP_PASSWORD,
        teams_tenant_id=TENANT_ID,
        teams_authority_url=teams.login.url,
        teams_service_url=teams.connector.url,
    )
    runtime = build_runtime(settings)
    try:
        assert isinstance(runtime.notifiers[Platform.TEAMS], TeamsNotifier)
        runtime.notifiers[Platform.PLAYGROUND] = FakeNotifier()
        d = seed_directory(runtime.uow, clock.now())
        aad = move_to_teams(runtime.uow, d, teams, "chloe")
        assert isinstance(raise_concern(raise_command(d), runtime.uow(), clock, calendar), Raised)
        report = runtime.deliver()
        assert report.sent == 3 and report.dead == 0
        assert len(teams.connector.messages_to(aad["chloe"])) == 1
        assert len(teams.login.token_requests) == 1
        # the inbound endpoint talks through the same connector, so the same token cache
        notifier = runtime.notifiers[Platform.TEAMS]
        assert isinstance(notifier, TeamsNotifier)
        assert attached_teams_connector(runtime) is notifier.connector
    finally:
        runtime.engine.dispose()


def test_without_teams_credentials_production_has_no_teams_notifier(tmp_path: Path) -> None:
    settings = Settings(
        env="production",
        var_dir=tmp_path,
        master_keys=generate_master_key_spec("t2"),
        public_url="https://flare.test",
    )
    runtime = build_runtime(settings)
    try:
        assert Platform.TEAMS not in runtime.notifiers
    finally:
        runtime.engine.dispose()


@pytest.mark.parametrize("env", ["demo", "test"])
def test_without_teams_credentials_demo_and_test_talk_to_the_agents_playground(
    tmp_path: Path, env: Literal["demo", "test"]
) -> None:
    settings = Settings(env=env, var_dir=tmp_path, master_keys=generate_master_key_spec("t3"))
    runtime = build_runtime(settings)
    try:
        notifier = runtime.notifiers[Platform.TEAMS]
        assert isinstance(notifier, TeamsNotifier)
        assert isinstance(notifier.connector, PlaygroundConnector)  # no token, loopback only
    finally:
        runtime.engine.dispose()


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("TEAMS_AUTHORITY_URL", "http://login.example", "https://"),
        ("TEAMS_SERVICE_URL", "smba.example/teams", "http://"),
    ],
)
def test_a_bad_teams_url_is_named_in_one_line(
    name: str, value: str, says: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FLARE_ENV", "test")
    monkeypatch.setenv("FLARE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert caught.value.line.startswith(f"flare: bad setting {name}:")
    assert says in caught.value.line
