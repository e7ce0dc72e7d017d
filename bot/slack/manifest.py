"""`flare slack manifest`: manifest.yaml with its request URLs built from FLARE_PUBLIC_URL."""

from __future__ import annotations

from pathlib import Path

import click

PLACEHOLDER = "https://flare.example.org"
_CANDIDATES = (
    Path(__file__).resolve().parents[2] / "manifest.yaml",  # a checkout (and the image)
    Path(__file__).resolve().parent / "manifest.yaml",  # an installed wheel
)


def manifest_path() -> Path:
    for path in _CANDIDATES:
        if path.is_file():
            return path
    raise FileNotFoundError("manifest.yaml is missing from this installation")


def render(public_url: str, *, socket_mode: bool = False) -> str:
    """The manifest text (comments kept) with every request URL under `public_url`."""
    lines = manifest_path().read_text(encoding="utf-8").splitlines(keepends=True)
    base = public_url.rstrip("/")
    text = "".join(
        line if line.lstrip().startswith("#") else line.replace(PLACEHOLDER, base) for line in lines
    )
    if socket_mode:
        text = text.replace("socket_mode_enabled: false", "socket_mode_enabled: true")
    return text


@click.group()
def slack() -> None:
    """Slack app set-up."""


@slack.command("manifest")
@click.option(
    "--socket-mode", is_flag=True, help="Enable Socket Mode (SLACK_APP_TOKEN, no public URL)."
)
def manifest_command(socket_mode: bool) -> None:
    """Print manifest.yaml with request URLs from FLARE_PUBLIC_URL."""
    from bot.config import load_settings

    settings = load_settings()
    click.echo(render(settings.public_url, socket_mode=socket_mode), nl=False)
