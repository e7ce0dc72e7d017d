"""Flare fails closed: without an explicit FLARE_ENV it is production, and demo stays a demo.

A matrix of FLARE_ENV (unset, production, demo, test) against credentials, databases, keys
and URLs, read the way start-up reads them; then the real `flare` command in a subprocess.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select

from bot.config import ENV_NAMES, REAL_CREDENTIALS, SettingsError, load_settings
from store.crypto import generate_master_key_spec
from store.models import Organisation, Practitioner

FLARE = Path(sys.executable).parent / "flare"
KEYS = generate_master_key_spec("fc1")
HTTPS = "https://flare.example"
PG = "postgresql://flare:secret@127.0.0.1:5432/flare"
ENTRA = {
    "ENTRA_CLIENT_ID": "00000000-0000-0000-0000-00000000c11e",
    "ENTRA_CLIENT_SECRET": "entra-secret",
    "ENTRA_AUTHORITY": "https://login.microsoftonline.com/11111111-1111-1111-1111-111111111111",
}
SLACK = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "signing"}
PLATFORM_PREFIXES = ("FLARE_", "SLACK_", "TEAMS_", "ENTRA_")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No FLARE_*, SLACK_*, TEAMS_* or ENTRA_* setting; FLARE_VAR_DIR under tmp_path."""
    for name in list(os.environ):
        if name.startswith(PLATFORM_PREFIXES):
            monkeypatch.delenv(name)
    var = tmp_path / "var"
    monkeypatch.setenv("FLARE_VAR_DIR", str(var))
    return var


def _start(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> str:
    """The resolved FLARE_ENV, or the one line start-up stops with."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        return f"starts as {load_settings().env}"
    except SettingsError as stopped:
        assert "\n" not in stopped.line
        return stopped.line


def _refused(name: str) -> str:
    return f"flare: bad setting {name}:"


# FLARE_ENV (None = unset) x what else is set -> how start-up ends.
MATRIX: dict[str, tuple[str | None, dict[str, str], str]] = {
    "unset, nothing": (None, {}, _refused("FLARE_MASTER_KEYS")),
    "unset, keys over http": (None, {"FLARE_MASTER_KEYS": KEYS}, _refused("FLARE_PUBLIC_URL")),
    "unset, keys, https": (
        None,
        {"FLARE_MASTER_KEYS": KEYS, "FLARE_PUBLIC_URL": HTTPS},
        "starts as production",
    ),
    "unset, https, no keys": (None, {"FLARE_PUBLIC_URL": HTTPS}, _refused("FLARE_MASTER_KEYS")),
    "unset, Slack token, keys, https": (
        None,
        {**SLACK, "FLARE_MASTER_KEYS": KEYS, "FLARE_PUBLIC_URL": HTTPS},
        "starts as production",
    ),
    "unset, Entra, keys, https, PostgreSQL (the issue)": (
        None,
        {**ENTRA, "FLARE_MASTER_KEYS": KEYS, "FLARE_PUBLIC_URL": HTTPS, "FLARE_DATABASE_URL": PG},
        "starts as production",
    ),
    "unset, Entra, PostgreSQL, no keys": (
        None,
        {**ENTRA, "FLARE_PUBLIC_URL": HTTPS, "FLARE_DATABASE_URL": PG},
        _refused("FLARE_MASTER_KEYS"),
    ),
    "production, nothing": ("production", {}, _refused("FLARE_MASTER_KEYS")),
    "production, keys over http": (
        "production",
        {"FLARE_MASTER_KEYS": KEYS},
        _refused("FLARE_PUBLIC_URL"),
    ),
    "production, keys, https, PostgreSQL": (
        "production",
        {"FLARE_MASTER_KEYS": KEYS, "FLARE_PUBLIC_URL": HTTPS, "FLARE_DATABASE_URL": PG},
        "starts as production",
    ),
    "demo, nothing": ("demo", {}, "starts as demo"),
    "demo, keys": ("demo", {"FLARE_MASTER_KEYS": KEYS}, "starts as demo"),
    "demo, Slack token": ("demo", {"SLACK_BOT_TOKEN": "xoxb-1"}, _refused("SLACK_BOT_TOKEN")),
    "demo, Entra sign-in": ("demo", ENTRA, _refused("ENTRA_CLIENT_ID")),
    "demo, https and keys, PostgreSQL": (
        "demo",
        {"FLARE_MASTER_KEYS": KEYS, "FLARE_PUBLIC_URL": HTTPS, "FLARE_DATABASE_URL": PG},
        _refused("FLARE_DATABASE_URL"),
    ),
    "demo, PostgreSQL": ("demo", {"FLARE_DATABASE_URL": PG}, _refused("FLARE_DATABASE_URL")),
    "demo, SQLite outside the var dir": (
        "demo",
        {"FLARE_DATABASE_URL": "sqlite:////srv/flare/flare.db"},
        _refused("FLARE_DATABASE_URL"),
    ),
    "demo, SQLite in memory": (
        "demo",
        {"FLARE_DATABASE_URL": "sqlite://"},
        _refused("FLARE_DATABASE_URL"),
    ),
    "test, nothing": ("test", {}, "starts as test"),
    "test, fakes' credentials, PostgreSQL, http": (
        "test",
        {
            **SLACK,
            **ENTRA,
            "TEAMS_APP_ID": "app",
            "TEAMS_APP_PASSWORD": "pw",
            "FLARE_DATABASE_URL": PG,
        },
        "starts as test",
    ),
}


@pytest.mark.parametrize("case", list(MATRIX))
def test_start_up_fails_closed(case: str, clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flare_env, env, outcome = MATRIX[case]
    if flare_env is not None:
        env = {"FLARE_ENV": flare_env, **env}
    assert _start(monkeypatch, env).startswith(outcome)


@pytest.mark.parametrize("field", REAL_CREDENTIALS)
def test_demo_refuses_every_real_credential_by_name(
    field: str, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"FLARE_ENV": "demo", ENV_NAMES[field]: "https://real.example/value"}
    line = _start(monkeypatch, env)
    assert line.startswith(_refused(ENV_NAMES[field])) and "FLARE_ENV=demo" in line
    assert "real.example" not in line  # the value itself is never echoed


def test_demo_accepts_sqlite_under_its_var_dir(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inside = f"sqlite:///{clean_env / 'other' / 'demo.db'}"
    assert _start(monkeypatch, {"FLARE_ENV": "demo", "FLARE_DATABASE_URL": inside}) == (
        "starts as demo"
    )
    escaping = f"sqlite:///{clean_env / '..' / 'escaped.db'}"
    assert _start(monkeypatch, {"FLARE_DATABASE_URL": escaping}).startswith(
        _refused("FLARE_DATABASE_URL")
    )


def test_the_refusal_never_shows_the_database_password(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    line = _start(monkeypatch, {"FLARE_ENV": "demo", "FLARE_DATABASE_URL": PG})
    assert "secret" not in line and "flare:secret" not in line


# --- the real command -------------------------------------------------------------------------
def _env(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(PLATFORM_PREFIXES)}
    return {**env, "FLARE_VAR_DIR": str(tmp_path / "var"), **settings}


def _flare(tmp_path: Path, args: list[str], **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(FLARE), *args],
        cwd=tmp_path,
        env=_env(tmp_path, **settings),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.slow
def test_flare_serve_with_nothing_set_is_production_and_stops_in_one_line(tmp_path: Path) -> None:
    line = _one_line(_flare(tmp_path, ["serve"]))
    assert line.startswith(_refused("FLARE_MASTER_KEYS"))
    assert not (tmp_path / "var").exists()  # no demo database, no generated key file


@pytest.mark.slow
def test_flare_serve_in_demo_with_a_slack_token_stops_naming_it(tmp_path: Path) -> None:
    result = _flare(tmp_path, ["serve"], FLARE_ENV="demo", SLACK_BOT_TOKEN="xoxb-real")
    assert _one_line(result).startswith(_refused("SLACK_BOT_TOKEN"))
    assert "xoxb-real" not in result.stderr and not (tmp_path / "var").exists()


@pytest.mark.slow
def test_flare_demo_seed_refuses_a_production_database(tmp_path: Path) -> None:
    db = tmp_path / "prod.db"
    result = _flare(
        tmp_path,
        ["demo", "seed"],
        FLARE_MASTER_KEYS=KEYS,
        FLARE_PUBLIC_URL=HTTPS,
        FLARE_DATABASE_URL=f"sqlite:///{db}",
    )
    assert _one_line(result).startswith(_refused("FLARE_ENV"))
    assert not db.exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(base: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, proc.communicate()[0]
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "flare serve did not answer /healthz"
        time.sleep(0.2)


def _people(engine: Engine) -> int:
    with engine.connect() as conn:
        organisations = conn.scalar(select(func.count()).select_from(Organisation)) or 0
        return organisations + (conn.scalar(select(func.count()).select_from(Practitioner)) or 0)


@pytest.mark.slow
def test_the_issues_settings_serve_production_without_demo_pieces(
    engine: Engine, tmp_path: Path
) -> None:
    """No FLARE_ENV; Entra sign-in, master keys, https URL, the database; no bot credentials.

    Production: no demo sign-in, no playground, no demo data (the issue's defect 3).
    """
    port = _free_port()
    env = _env(
        tmp_path,
        **ENTRA,
        FLARE_MASTER_KEYS=KEYS,
        FLARE_PUBLIC_URL=HTTPS,
        FLARE_DATABASE_URL=engine.url.render_as_string(hide_password=False),
        FLARE_SERVE_WORKER="false",
    )
    proc = subprocess.Popen(
        [str(FLARE), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, proc)
        with httpx.Client(base_url=base, timeout=5) as browser:
            assert browser.get("/playground").status_code == 404
            assert browser.post("/signin/demo", data={"practitioner_id": "x"}).status_code == 404
            signin = browser.get("/signin")
            assert signin.status_code == 200 and "/signin/demo" not in signin.text
            assert "/signin/microsoft" in signin.text  # the real sign-in is offered
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            output, _ = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
    assert proc.returncode == 0, output
    assert "demo data seeded" not in output and "demo mode" not in output
    assert "Traceback" not in output
    assert '"env": "production"' in output  # flare.started, logged as JSON in production
    assert _people(engine) == 0  # nothing seeded
