"""`flare teams package`: a zip whose manifest validates against the vendored 1.29 schema."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.teams.fake_connector import APP_ID

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "teams-app-manifest-v1.29.schema.json"


def _env(tmp_path: Path, **over: str) -> dict[str, str]:
    env = {
        "FLARE_ENV": "test",
        "FLARE_VAR_DIR": str(tmp_path / "var"),
        "FLARE_PUBLIC_URL": "https://flare.example.org",
        "TEAMS_APP_ID": APP_ID,
        "TEAMS_APP_PASSWORD": "secret",
    }
    env.update(over)
    return env


def _pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    assert (depth, colour) == (8, 6)  # 8-bit RGBA
    data, at = b"", 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind = png[at + 4 : at + 8]
        if kind == b"IDAT":
            data += png[at + 8 : at + 8 + length]
        at += 12 + length
    raw = zlib.decompress(data)
    stride = 1 + width * 4
    rows = [raw[r * stride + 1 : (r + 1) * stride] for r in range(height)]
    assert all(raw[r * stride] == 0 for r in range(height))
    pixels = [row[i : i + 4] for row in rows for i in range(0, len(row), 4)]
    return width, height, pixels


def test_package_validates_against_the_teams_schema(tmp_path: Path) -> None:
    out = tmp_path / "flare.zip"
    result = CliRunner().invoke(
        main, ["teams", "package", "--output", str(out)], env=_env(tmp_path)
    )
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        colour = archive.read("color.png")
        outline = archive.read("outline.png")

    schema = json.loads(SCHEMA.read_text())
    # the schema uses ECMA-only \p{L} patterns (in parts Flare does not use): skip "format"
    jsonschema.Draft4Validator.check_schema(schema, format_checker=None)
    assert _errors(schema, manifest) == []
    assert manifest["manifestVersion"] == "1.29"
    assert manifest["validDomains"] == ["flare.example.org"]
    assert manifest["webApplicationInfo"] == {
        "id": APP_ID,
        "resource": f"api://flare.example.org/{APP_ID}",
    }
    (bot,) = manifest["bots"]
    assert bot["botId"] == APP_ID and bot["scopes"] == ["personal", "team"]
    (command,) = manifest["composeExtensions"][0]["commands"]
    assert command["type"] == "action" and command["title"] == "Raise a concern"
    assert command["context"] == ["compose", "message"] and command["fetchTask"] is True

    width, height, pixels = _pixels(colour)
    assert (width, height) == (192, 192)
    assert all(p[3] == 255 for p in pixels)  # opaque, full colour
    assert len(set(pixels)) >= 2
    width, height, pixels = _pixels(outline)
    assert (width, height) == (32, 32)
    assert {p for p in pixels if p[3]} == {b"\xff\xff\xff\xff"}  # white only
    assert any(p[3] == 0 for p in pixels)  # on a transparent background


def test_a_schema_violation_would_be_caught(tmp_path: Path) -> None:
    """The positive control: the same check fails a manifest that breaks the schema."""
    from bot.teams.package import manifest

    broken = manifest(app_id=APP_ID, public_url="https://flare.example.org")
    broken["manifestVersion"] = "1.17"
    del broken["icons"]["outline"]
    schema = json.loads(SCHEMA.read_text())
    messages = _errors(schema, broken)
    assert any("'outline' is a required property" in m for m in messages)
    assert any("'1.29' was expected" in m for m in messages)


def _errors(schema: dict[str, object], instance: dict[str, object]) -> list[str]:
    """Errors under draft-04 (the schema's own dialect) and draft-07.

    The schema declares draft-04 but pins manifestVersion with `const`, which draft-04
    ignores; draft-07 enforces it, and the schema uses no keyword whose meaning differs.
    """
    found: list[str] = []
    for validator in (jsonschema.Draft4Validator, jsonschema.Draft7Validator):
        found += [e.message for e in validator(schema).iter_errors(instance)]
    return found


@pytest.mark.parametrize(
    ("over", "says"),
    [
        ({"TEAMS_APP_ID": "not-a-guid"}, "flare: bad setting TEAMS_APP_ID:"),
        ({"TEAMS_APP_ID": "", "TEAMS_APP_PASSWORD": ""}, "flare: bad setting TEAMS_APP_ID:"),
        ({"FLARE_PUBLIC_URL": "http://127.0.0.1:8000"}, "flare: bad setting FLARE_PUBLIC_URL:"),
    ],
)
def test_bad_settings_are_named_in_one_line(
    tmp_path: Path, over: dict[str, str], says: str
) -> None:
    out = tmp_path / "flare.zip"
    result = CliRunner().invoke(
        main, ["teams", "package", "--output", str(out)], env=_env(tmp_path, **over)
    )
    assert result.exit_code == 2
    assert result.output.strip().startswith(says) and len(result.output.strip().splitlines()) == 1
    assert not out.exists()
