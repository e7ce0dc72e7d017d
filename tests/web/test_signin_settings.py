"""Sign-in and session settings: validated at start-up, one line naming the setting."""

from __future__ import annotations

import pytest

from bot.config import SettingsError, load_settings

BASE = {"FLARE_ENV": "test"}


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ENTRA_CLIENT_ID": "abc"}, "ENTRA_CLIENT_SECRET and ENTRA_AUTHORITY"),
        (
            {
                "ENTRA_CLIENT_ID": "a",
                "ENTRA_CLIENT_SECRET": "b",
                "ENTRA_AUTHORITY": "http://login.example/tenant",
            },
            "ENTRA_AUTHORITY must be an https:// URL",
        ),
        ({"SLACK_OIDC_URL": "slack.com"}, "SLACK_OIDC_URL"),
        ({"FLARE_SESSION_IDLE_MINUTES": "0"}, "FLARE_SESSION_IDLE_MINUTES"),
        ({"FLARE_SESSION_ABSOLUTE_HOURS": "many"}, "FLARE_SESSION_ABSOLUTE_HOURS"),
        ({"FLARE_LINK_GUESSES_PER_MINUTE": "-1"}, "FLARE_LINK_GUESSES_PER_MINUTE"),
        ({"FLARE_LINK_GUESSES_GLOBAL_PER_MINUTE": "0"}, "FLARE_LINK_GUESSES_GLOBAL_PER_MINUTE"),
    ],
)
def test_a_bad_sign_in_setting_stops_start_up_naming_it(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], named: str
) -> None:
    for name, value in (BASE | env).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as stopped:
        load_settings()
    assert named in stopped.value.line and "\n" not in stopped.value.line


def test_defaults_and_which_sign_ins_are_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLARE_ENV", "test")
    settings = load_settings()
    assert settings.slack_oidc_url == "https://slack.com"
    assert (settings.session_idle_minutes, settings.session_absolute_hours) == (15, 8)
    assert not settings.slack_signin_enabled and not settings.entra_signin_enabled
    monkeypatch.setenv("SLACK_CLIENT_ID", "1.2")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "s")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "x")
    monkeypatch.setenv("SLACK_OIDC_URL", "http://127.0.0.1:9999/")
    monkeypatch.setenv("ENTRA_CLIENT_ID", "c")
    monkeypatch.setenv("ENTRA_CLIENT_SECRET", "s")
    monkeypatch.setenv("ENTRA_AUTHORITY", "https://login.microsoftonline.com/contoso.example")
    settings = load_settings()
    assert settings.slack_signin_enabled and settings.entra_signin_enabled
    assert settings.slack_oidc_url == "http://127.0.0.1:9999"
