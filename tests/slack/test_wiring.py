"""Slack is attached to the runtime exactly when the settings configure it."""

from __future__ import annotations

import ast
from pathlib import Path

import bot.runtime as runtime_module
from bot.composition import build_runtime
from bot.config import Settings
from bot.slack.notifier import SlackNotifier
from handlers.values import Platform
from store.crypto import generate_master_key_spec


def _settings(tmp_path: Path, **slack: str) -> Settings:
    return Settings(
        env="test",
        database_url=f"sqlite:///{tmp_path / 'flare.db'}",
        master_keys=generate_master_key_spec("w1"),
        var_dir=tmp_path,
        **slack,  # type: ignore[arg-type]
    )


def test_bot_token_and_signing_secret_attach_the_slack_notifier(tmp_path: Path) -> None:
    runtime = build_runtime(
        _settings(
            tmp_path,
            slack_bot_token="xoxb-1",
            slack_signing_secret="s3cret",
            slack_api_url="http://127.0.0.1:9/api/",
        )
    )
    assert isinstance(runtime.notifiers[Platform.SLACK], SlackNotifier)


def test_no_slack_settings_no_slack_notifier(tmp_path: Path) -> None:
    runtime = build_runtime(_settings(tmp_path))
    assert Platform.SLACK not in runtime.notifiers


def test_the_runtime_knows_no_platform() -> None:
    """bot/runtime.py imports no surface; the composition root attaches Slack and Teams."""
    source = Path(runtime_module.__file__ or "").read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    surfaces = ("bot.slack", "bot.teams", "bot.web", "bot.playground")
    assert not [name for name in imported if name.startswith(surfaces)]
