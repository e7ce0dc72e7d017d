"""`flare teams package`: the Teams app package (manifest.json at schema 1.29 and two icons).

Built from TEAMS_APP_ID and FLARE_PUBLIC_URL only. The icons are drawn here (no network,
no image library): a 192x192 colour icon and a 32x32 white-on-transparent outline icon.
"""

from __future__ import annotations

import json
import re
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

MANIFEST_VERSION = "1.29"
MANIFEST_SCHEMA = (
    "https://developer.microsoft.com/en-us/json-schemas/teams/v1.29/MicrosoftTeams.schema.json"
)
ACCENT = (0xC2, 0x41, 0x0C)  # Flare orange
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
RAISE_COMMAND_ID = "raiseConcern"


class PackageError(ValueError):
    """The settings cannot make a valid package; the message names the setting."""


def manifest(
    *,
    app_id: str,
    public_url: str,
    version: str = "1.0.0",
    privacy_url: str = "",
    terms_url: str = "",
) -> dict[str, Any]:
    """The manifest for one Flare deployment (bot, message extension, SSO resource)."""
    if not GUID.match(app_id):
        raise PackageError("flare: bad setting TEAMS_APP_ID: must be the bot's GUID app id")
    parts = urlsplit(public_url)
    if parts.scheme != "https" or not parts.hostname:
        raise PackageError("flare: bad setting FLARE_PUBLIC_URL: Teams needs an https:// URL")
    host = parts.netloc
    base = public_url.rstrip("/")
    return {
        "$schema": MANIFEST_SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "developer": {
            "name": "Flare",
            "websiteUrl": f"{base}/",
            "privacyUrl": privacy_url or f"{base}/",
            "termsOfUseUrl": terms_url or f"{base}/",
        },
        "name": {"short": "Flare", "full": "Flare: raise a safeguarding concern"},
        "description": {
            "short": "Raise a safeguarding concern and reach the client's network safely.",
            "full": (
                "Flare lets practitioners raise a safeguarding concern about a client from "
                "Teams. It routes the concern to the people in the client's network, across "
                "agencies and chat platforms, and the lead professional acknowledges it. "
                "Nothing sensitive is posted into chat: Teams only ever receives a pointer, "
                "and the concern is read on Flare's own pages after signing in."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [
            {
                "botId": app_id,
                "scopes": ["personal", "team"],
                "isNotificationOnly": False,
                "supportsFiles": False,
                "commandLists": [
                    {
                        "scopes": ["personal"],
                        "commands": [
                            {"title": "help", "description": "What Flare does and how to use it"},
                            {"title": "inbox", "description": "Concerns waiting for you"},
                            {"title": "join", "description": "Ask to join a child's network"},
                        ],
                    }
                ],
            }
        ],
        "composeExtensions": [
            {
                "botId": app_id,
                "commands": [
                    {
                        "id": RAISE_COMMAND_ID,
                        "type": "action",
                        "title": "Raise a concern",
                        "description": "Raise a safeguarding concern in a private dialog",
                        "context": ["compose", "message"],
                        "fetchTask": True,
                    }
                ],
            }
        ],
        "permissions": ["identity"],
        "validDomains": [host],
        "webApplicationInfo": {"id": app_id, "resource": f"api://{host}/{app_id}"},
    }


def build_package(
    output: Path,
    *,
    app_id: str,
    public_url: str,
    version: str = "1.0.0",
    privacy_url: str = "",
    terms_url: str = "",
) -> Path:
    """Write the zip (manifest.json, color.png, outline.png) and return its path."""
    data = manifest(
        app_id=app_id,
        public_url=public_url,
        version=version,
        privacy_url=privacy_url,
        terms_url=terms_url,
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(data, indent=2) + "\n")
        archive.writestr("color.png", colour_icon())
        archive.writestr("outline.png", outline_icon())
    return output


def _flame(x: float, y: float) -> bool:
    """A flame-like drop in the unit square: a circle below, a point above."""
    cx, cy, r = 0.5, 0.62, 0.24
    if (x - cx) ** 2 + (y - cy) ** 2 <= r * r:
        return True
    # the tip: a triangle from the circle's sides up to (0.5, 0.16)
    if 0.16 <= y <= cy:
        half = r * (y - 0.16) / (cy - 0.16)
        return abs(x - cx) <= half
    return False


def _draw(size: int, paint: Callable[[bool], tuple[int, int, int, int]]) -> bytes:
    rows = []
    for j in range(size):
        row = bytearray([0])  # filter type 0 (None)
        for i in range(size):
            row.extend(paint(_flame((i + 0.5) / size, (j + 0.5) / size)))
        rows.append(bytes(row))
    return _png(size, size, b"".join(rows))


def colour_icon() -> bytes:
    """192x192: a white flame on Flare's accent colour, fully opaque."""
    return _draw(192, lambda inside: (255, 255, 255, 255) if inside else (*ACCENT, 255))


def outline_icon() -> bytes:
    """32x32: a white flame on a transparent background (Teams' outline icon rule)."""
    return _draw(32, lambda inside: (255, 255, 255, 255) if inside else (0, 0, 0, 0))


def _png(width: int, height: int, raw_rgba_rows: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw_rgba_rows, 9))
        + chunk(b"IEND", b"")
    )


@click.group()
def teams() -> None:
    """Microsoft Teams: build the app package to upload (see docs/teams.md)."""


@teams.command("package")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("flare-teams-app.zip"),
    show_default=True,
)
@click.option("--version", "app_version", default="1.0.0", show_default=True)
@click.option("--privacy-url", default="", help="Defaults to FLARE_PUBLIC_URL.")
@click.option("--terms-url", default="", help="Defaults to FLARE_PUBLIC_URL.")
def package(output: Path, app_version: str, privacy_url: str, terms_url: str) -> None:
    """Build the Teams app package from TEAMS_APP_ID and FLARE_PUBLIC_URL."""
    from bot.config import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        click.echo(exc.line, err=True)
        sys.exit(2)
    if not settings.teams_app_id:
        click.echo("flare: bad setting TEAMS_APP_ID: required to build the package", err=True)
        sys.exit(2)
    try:
        path = build_package(
            output,
            app_id=settings.teams_app_id,
            public_url=settings.public_url,
            version=app_version,
            privacy_url=privacy_url,
            terms_url=terms_url,
        )
    except PackageError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    click.echo(f"flare: Teams app package written to {path}")
