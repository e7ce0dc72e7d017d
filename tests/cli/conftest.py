"""Running `flare` in-process against the test store (SQLite or PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import structlog
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from bot.cli import main
from tests.store.conftest import master_spec, ring

Flare = Callable[..., Result]
__all__ = ["Flare", "master_spec", "ring"]  # fixtures shared with tests/store


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    # The CLI configures structlog to print to the runner's stderr, which closes after.
    yield
    structlog.reset_defaults()


@pytest.fixture
def flare(
    engine: Engine, master_spec: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Flare:
    """`flare(*args, keys=..., input=...)` runs the command against the test store."""
    monkeypatch.chdir(tmp_path)
    for name in ("FLARE_PUBLIC_URL", "SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "TEAMS_APP_ID"):
        monkeypatch.delenv(name, raising=False)
    url = engine.url.render_as_string(hide_password=False)

    def run(*args: str, keys: str | None = None, input: str | None = None) -> Result:
        env = {
            "FLARE_ENV": "test",
            "FLARE_DATABASE_URL": url,
            "FLARE_MASTER_KEYS": keys or master_spec,
            "FLARE_VAR_DIR": str(tmp_path / "var"),
        }
        return CliRunner().invoke(main, list(args), env=env, input=input, catch_exceptions=False)

    return run
