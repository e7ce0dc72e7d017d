"""A bad or missing setting stops every command with one line naming it (a real subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
GOOD_KEYS = "k1:" + "A" * 43 + "="
CASES = {
    "public url": ({"FLARE_PUBLIC_URL": "ftp://flare.example"}, "FLARE_PUBLIC_URL"),
    "key ring syntax": ({"FLARE_MASTER_KEYS": "just-some-text"}, "FLARE_MASTER_KEYS"),
    "short master key": ({"FLARE_MASTER_KEYS": "k1:c2hvcnQ="}, "FLARE_MASTER_KEYS"),
    "production without keys": ({"FLARE_ENV": "production"}, "FLARE_MASTER_KEYS"),
    "production over http": (
        {"FLARE_ENV": "production", "FLARE_MASTER_KEYS": GOOD_KEYS},
        "FLARE_PUBLIC_URL",
    ),
    "database url": ({"FLARE_DATABASE_URL": "not a url"}, "FLARE_DATABASE_URL"),
    "log level": ({"FLARE_LOG_LEVEL": "chatty"}, "FLARE_LOG_LEVEL"),
    "port": ({"FLARE_PORT": "eighty"}, "FLARE_PORT"),
    "slack half set": ({"FLARE_ENV": "test", "SLACK_CLIENT_ID": "1.2"}, "SLACK_CLIENT_SECRET"),
}
COMMANDS = {
    "serve": ["serve"],
    "db upgrade": ["db", "upgrade"],
    "demo seed": ["demo", "seed"],
    "directory import": ["directory", "import", "directory.csv"],
    "keys rotate": ["keys", "rotate"],
    "keys status": ["keys", "status"],
    "audit verify": ["audit", "verify"],
}


def _flare(
    tmp_path: Path, args: list[str], env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "directory.csv").write_text("kind,ref,name\norganisation,o1,Org\n")
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("FLARE_", "SLACK_", "TEAMS_"))
    }
    # A harness names its environment: without FLARE_ENV every command is in production
    # (tests/cli/test_fail_closed.py), and these cases are about one setting each.
    clean.update({"FLARE_ENV": "test", "FLARE_VAR_DIR": str(tmp_path / "var"), **env})
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _assert_one_line(result: subprocess.CompletedProcess[str], name: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert name in lines[0] and lines[0].startswith("flare: ")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("case", list(CASES))
def test_bad_setting_is_one_line(tmp_path: Path, case: str) -> None:
    env, name = CASES[case]
    _assert_one_line(_flare(tmp_path, ["audit", "verify"], env), name)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_stops_on_a_bad_key_ring(tmp_path: Path, command: str) -> None:
    result = _flare(tmp_path, COMMANDS[command], {"FLARE_MASTER_KEYS": "k1:!!!"})
    _assert_one_line(result, "FLARE_MASTER_KEYS")
    assert not (tmp_path / "var" / "flare.db").exists()  # stopped before touching the store


def test_unwritable_var_dir_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = _flare(tmp_path, ["keys", "status"], {"FLARE_VAR_DIR": str(blocker / "var")})
    _assert_one_line(result, "FLARE_VAR_DIR")


@pytest.mark.parametrize("command", ["audit verify", "db upgrade", "serve"])
def test_unreachable_database_is_one_line(tmp_path: Path, command: str) -> None:
    env = {
        "FLARE_DATABASE_URL": "postgresql://nobody:hunter2@127.0.0.1:1/none",
        "FLARE_MASTER_KEYS": GOOD_KEYS,
    }
    result = _flare(tmp_path, COMMANDS[command], env)
    _assert_one_line(result, "FLARE_DATABASE_URL")
    assert "hunter2" not in result.stderr


def test_production_refuses_a_stale_schema_until_db_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import structlog
    from click.testing import CliRunner

    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    env = {
        "FLARE_ENV": "production",
        "FLARE_PUBLIC_URL": "https://flare.example",
        "FLARE_MASTER_KEYS": GOOD_KEYS,
        "FLARE_DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}",
    }
    try:
        stale = CliRunner().invoke(main, ["audit", "verify"], env=env)
        assert stale.exit_code == 1
        assert stale.stderr.strip() == (
            "flare: the database schema is not up to date; run `flare db upgrade` first"
        )
        assert CliRunner().invoke(main, ["db", "upgrade"], env=env).exit_code == 0
        assert CliRunner().invoke(main, ["audit", "verify"], env=env).exit_code == 0
    finally:
        structlog.reset_defaults()
