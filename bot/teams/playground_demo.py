"""`flare demo teams-playground`: the demo people in Microsoft 365 Agents Playground.

Each demo practitioner is a user of one Playground tenant (tenant id + AAD object id, the
Playground's config file); two of them each get a Playground of their own, a Teams client
in the browser: Amara Okafor (a family support worker, who raises) and Chloe Patel (lead
professional for C-1001, who acknowledges). Their Flare pointers go to their Playground
(preferred platform Teams); the others stay on Flare's web playground. See docs/teams.md
"Try it locally".
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.demo import ENTRA_TENANT, PRACTITIONERS
from bot.dependencies import Dependencies

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools" / "teams"
CLI = TOOLS / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"
# The tenant the demo organisations declare: an identity counts only inside it.
TENANT_ID = ENTRA_TENANT
BOT_ID = "28:flare-demo-bot"
CONFIG_FILE = ".m365agentsplayground.yml"


@dataclass(frozen=True)
class PlaygroundSeat:
    """One demo practitioner with a Playground of their own."""

    ref: str
    port: int
    role: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def connector_url(self) -> str:
        return f"{self.url}/_connector"

    @property
    def conversation_id(self) -> str:
        return f"flare-demo-{self.ref}"


def seats(first_port: int = 56150) -> tuple[PlaygroundSeat, ...]:
    return (
        PlaygroundSeat("amara", first_port, "raises concerns"),
        PlaygroundSeat("chloe", first_port + 1, "lead professional for C-1001, acknowledges"),
    )


def aad_object_id(ref: str) -> str:
    """A demo practitioner's AAD object id in the Playground's tenant (stable)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://flare.invalid/demo/{ref}"))


def _user(ref: str, name: str) -> dict[str, str]:
    given, _, surname = name.partition(" ")
    upn = f"{ref}@demo.flare.invalid"
    return {
        "id": f"29:{aad_object_id(ref)}",
        "name": name,
        "userPrincipleName": upn,  # sic: the Playground's own spelling
        "aadObjectId": aad_object_id(ref),
        "givenName": given,
        "surname": surname,
        "email": upn,
    }


def playground_config(me: str) -> dict[str, Any]:
    """The Playground's config file (YAML; JSON is YAML) with `me` as its current user."""
    users = {ref: _user(ref, name) for ref, name, _org, _title in PRACTITIONERS}
    return {
        "version": "0.1.1",
        "tenantId": TENANT_ID,
        "bot": {"id": BOT_ID, "name": "Flare"},
        "currentUser": users[me],
        "users": [user for ref, user in users.items() if ref != me],
        "personalChat": {"id": f"flare-demo-{me}"},
        "groupChat": {"id": f"flare-demo-group-{me}", "name": "Group chat"},
        "team": {
            "id": "flare-demo-team",
            "name": "Flare demo team",
            "aadGroupId": str(uuid.uuid5(uuid.NAMESPACE_URL, "https://flare.invalid/demo/team")),
            "channels": [{"id": "flare-demo-channel", "name": "General"}],
        },
    }


def map_demo_people(deps: Dependencies, chosen: tuple[PlaygroundSeat, ...]) -> None:
    """Every demo practitioner gets their Playground identity; the seated ones get Teams."""
    with deps.uow() as uow:
        for person in uow.directory.practitioners():
            if person.ref not in {ref for ref, *_ in PRACTITIONERS}:
                continue
            person.teams_tenant_id = TENANT_ID
            person.teams_aad_object_id = aad_object_id(person.ref)
            seat = next((s for s in chosen if s.ref == person.ref), None)
            if seat is not None:
                person.preferred_platform = "teams"
                person.teams_conversation = {
                    "id": seat.conversation_id,
                    "serviceUrl": seat.connector_url,
                    "tenantId": TENANT_ID,
                    "userId": f"29:{aad_object_id(person.ref)}",
                    "botId": BOT_ID,
                }
        uow.commit()


PLAYGROUND_LOG = "playground.log"


class PlaygroundProcesses:
    """One `agentsplayground` per seat, pointed at Flare's /api/messages; stopped on exit."""

    def __init__(self, *, flare_url: str, var_dir: Path, chosen: tuple[PlaygroundSeat, ...]):
        self._flare_url = flare_url.rstrip("/")
        self._var_dir = var_dir
        self._seats = chosen
        self._running: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        node = shutil.which("node")
        if node is None or not CLI.exists():
            raise FileNotFoundError(
                "the Agents Playground is not installed: run `make teams-playground` "
                "(npm ci in tools/teams)"
            )
        for seat in self._seats:
            folder = self._var_dir / "teams-playground" / seat.ref
            folder.mkdir(parents=True, exist_ok=True)
            (folder / CONFIG_FILE).write_text(json.dumps(playground_config(seat.ref), indent=2))
            env = {
                **os.environ,
                "TEAMSAPPTESTER_BROWSER": "none",
                "M365_AGENTS_PLAYGROUND_CONFIG_PATH": str(folder / CONFIG_FILE),
                # Its own log keeps the traffic, typed answers included: it lives beside the
                # config and is deleted on stop. Never os.devnull: the Playground's logger
                # replaces its log file, and as root that turned /dev/null into a plain file.
                "M365_AGENTS_PLAYGROUND_LOGFILE": str(folder / PLAYGROUND_LOG),
            }
            command = [
                node,
                str(CLI),
                *("--app-endpoint", f"{self._flare_url}/api/messages"),
                *("--channel-id", "msteams"),
                *("--port", str(seat.port)),
                *("--service-url", seat.connector_url),
                *("--conversation-id", seat.conversation_id),
                "--disable-telemetry",
            ]
            with open(folder / "playground.out", "wb") as out:
                self._running.append(
                    subprocess.Popen(command, cwd=folder, env=env, stdout=out, stderr=out)  # noqa: S603
                )
        for seat in self._seats:
            _wait_for_port(seat.port)

    def stop(self) -> None:
        for process in self._running:
            if process.poll() is None:
                process.terminate()
        for process in self._running:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self._running.clear()
        for seat in self._seats:
            (self._var_dir / "teams-playground" / seat.ref / PLAYGROUND_LOG).unlink(missing_ok=True)


def _wait_for_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"the Agents Playground did not listen on port {port}")
