"""manifest.yaml: valid, its URLs are real routes, it declares every listener, minimal scopes."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from fastapi import FastAPI
from slack_bolt import App
from sqlalchemy import Engine

from bot.app import create_app
from bot.cli import main
from bot.slack.app import LISTENER_MODULES
from bot.slack.installation import BOT_SCOPES
from bot.slack.manifest import PLACEHOLDER, render
from tests.slack.conftest import slack_runtime, slack_settings
from tests.slack.fake_api import FakeSlackAPI

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tests/data/slack-app-manifest-v1.schema.json").read_text())
PUBLIC = "https://flare.council.example"


def _manifest(socket_mode: bool = False) -> dict[str, Any]:
    return yaml.safe_load(render(PUBLIC, socket_mode=socket_mode))  # type: ignore[no-any-return]


def _urls(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """(HTTP method Slack uses, URL) for every request URL in the manifest."""
    settings, features = manifest["settings"], manifest["features"]
    urls = [("POST", command["url"]) for command in features["slash_commands"]]
    urls.append(("POST", settings["event_subscriptions"]["request_url"]))
    urls.append(("POST", settings["interactivity"]["request_url"]))
    urls.append(("POST", settings["interactivity"]["message_menu_options_url"]))
    urls += [("GET", url) for url in manifest["oauth_config"]["redirect_urls"]]
    return urls


def test_manifest_parses_and_validates_against_slacks_schema() -> None:
    for socket_mode in (False, True):
        manifest = _manifest(socket_mode)
        jsonschema.validate(manifest, SCHEMA)
        assert manifest["settings"]["socket_mode_enabled"] is socket_mode
    raw = yaml.safe_load((ROOT / "manifest.yaml").read_text())
    jsonschema.validate(raw, SCHEMA)


def test_flare_slack_manifest_builds_urls_from_flare_public_url() -> None:
    result = CliRunner().invoke(
        main, ["slack", "manifest"], env={"FLARE_PUBLIC_URL": PUBLIC, "FLARE_ENV": "demo"}
    )
    assert result.exit_code == 0, result.output
    printed = yaml.safe_load(result.output)
    assert printed == _manifest()
    urls = [url for _method, url in _urls(printed)]
    assert urls and all(url.startswith(f"{PUBLIC}/") for url in urls)
    assert PLACEHOLDER not in "\n".join(
        line for line in result.output.splitlines() if not line.lstrip().startswith("#")
    )


def _routes(app: FastAPI) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()

    def walk(routes: list[Any]) -> None:
        for route in routes:
            if hasattr(route, "original_router"):  # an included router
                walk(route.original_router.routes)
            for method in getattr(route, "methods", None) or ():
                found.add((method, getattr(route, "path", "")))

    walk(list(app.routes))
    return found


def test_every_request_url_is_a_real_route(engine: Engine, tmp_path: Path) -> None:
    with FakeSlackAPI() as slack:
        settings = slack_settings(
            engine,
            tmp_path,
            slack,
            slack_bot_token="",
            slack_client_id="1.2",
            slack_client_secret="client-secret",
        )
        app = create_app(settings, slack_runtime(engine, settings))
    routes = _routes(app)
    for method, url in _urls(_manifest()):
        path = url.removeprefix(PUBLIC)
        assert (method, path) in routes, f"{method} {url} is not served"
    assert ("GET", "/slack/install") in routes


class RecordingApp(App):
    """A bolt App that remembers what each listener was registered for."""

    def __init__(self) -> None:
        super().__init__(
            token="xoxb-recording", signing_secret="s", token_verification_enabled=False
        )
        self.seen: dict[str, list[Any]] = defaultdict(list)

    def _record(self, kind: str, constraint: Any) -> None:
        self.seen[kind].append(constraint)

    def event(self, event: Any, *args: Any, **kwargs: Any) -> Any:
        self._record("event", event)
        return super().event(event, *args, **kwargs)

    def command(self, command: Any, *args: Any, **kwargs: Any) -> Any:
        self._record("command", command)
        return super().command(command, *args, **kwargs)

    def shortcut(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self._record("shortcut", constraints)
        return super().shortcut(constraints, *args, **kwargs)

    def global_shortcut(self, callback_id: Any, *args: Any, **kwargs: Any) -> Any:
        self._record("shortcut", callback_id)
        return super().global_shortcut(callback_id, *args, **kwargs)

    def message_shortcut(self, callback_id: Any, *args: Any, **kwargs: Any) -> Any:
        self._record("shortcut", callback_id)
        return super().message_shortcut(callback_id, *args, **kwargs)

    def action(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self._record("interactivity", constraints)
        return super().action(constraints, *args, **kwargs)

    def block_action(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self._record("interactivity", constraints)
        return super().block_action(constraints, *args, **kwargs)

    def view(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self._record("interactivity", constraints)
        return super().view(constraints, *args, **kwargs)

    def view_submission(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self._record("interactivity", constraints)
        return super().view_submission(constraints, *args, **kwargs)

    def view_closed(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self._record("interactivity", constraints)
        return super().view_closed(constraints, *args, **kwargs)

    def options(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self._record("options", constraints)
        return super().options(constraints, *args, **kwargs)

    def block_suggestion(self, action_id: Any, *args: Any, **kwargs: Any) -> Any:
        self._record("options", action_id)
        return super().block_suggestion(action_id, *args, **kwargs)

    def message(self, *args: Any, **kwargs: Any) -> Any:
        self._record("event", "message")
        return super().message(*args, **kwargs)


def _name(constraint: Any, key: str) -> str:
    """A listener's concrete id: a string, or the `key` of a dict constraint (no patterns)."""
    if isinstance(constraint, dict):
        constraint = constraint.get(key) or constraint.get("type")
    assert isinstance(constraint, str), f"declare listeners by a concrete id: {constraint!r}"
    return constraint


def test_every_registered_listener_is_declared_in_the_manifest(
    engine: Engine, tmp_path: Path
) -> None:
    with FakeSlackAPI() as slack:
        runtime = slack_runtime(engine, slack_settings(engine, tmp_path, slack))
    app = RecordingApp()
    for module in LISTENER_MODULES:
        module.register(app, runtime.dependencies())
    manifest = _manifest()
    features, settings = manifest["features"], manifest["settings"]
    assert app.seen, "the listener modules registered nothing"

    events = {_name(e, "type") for e in app.seen["event"]}
    assert events <= set(settings["event_subscriptions"]["bot_events"])
    commands = {_name(c, "command") for c in app.seen["command"]}
    assert commands <= {c["command"] for c in features["slash_commands"]}
    shortcuts = {_name(s, "callback_id") for s in app.seen["shortcut"]}
    assert shortcuts <= {s["callback_id"] for s in features["shortcuts"]}
    if app.seen["interactivity"] or app.seen["options"]:
        assert settings["interactivity"]["is_enabled"] is True
    if app.seen["options"]:
        assert settings["interactivity"]["message_menu_options_url"]
    if "app_home_opened" in events:
        assert features["app_home"]["home_tab_enabled"] is True


def test_scopes_are_the_documented_minimum_each_with_its_reason() -> None:
    manifest = _manifest()
    assert manifest["oauth_config"]["scopes"] == {"bot": list(BOT_SCOPES)}
    lines = (ROOT / "manifest.yaml").read_text().splitlines()
    for scope in BOT_SCOPES:
        (line,) = [x for x in lines if re.fullmatch(rf"\s+- {re.escape(scope)} # .{{10,}}", x)]
        assert line
    docs = (ROOT / "docs/slack.md").read_text()
    for scope in BOT_SCOPES:
        assert f"`{scope}`" in docs, f"docs/slack.md does not explain {scope}"


@pytest.mark.parametrize("path", ["/slack/events"])
def test_slack_routes_absent_without_slack_settings(
    engine: Engine, tmp_path: Path, path: str
) -> None:
    with FakeSlackAPI() as slack:
        settings = slack_settings(
            engine, tmp_path, slack, slack_bot_token="", slack_signing_secret=""
        )
        app = create_app(settings, slack_runtime(engine, settings))
    assert ("POST", path) not in _routes(app)
