"""`make bench`: slash command -> views.open, Flare against a bare slack-bolt app, one run.

Two uvicorn servers on 127.0.0.1, each in its own process: Flare (`create_app`, a seeded
store on PostgreSQL if reachable, every listener it really has) and a bare slack-bolt app that
only acks and opens an empty modal, mounted on FastAPI the way Flare mounts its App. Both
call the same fake Slack Web API, which stamps the moment each `views.open` arrives. Rounds
of 50 concurrent signed `/concern` commands alternate between the two; latency is command
sent -> its `views.open` received. Prints p50 and p99 of each and Flare's p99 / bare p99
(target: at most 1.5). Bounded: a fixed number of rounds, each with a deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI

from bot.demo import SLACK_WORKSPACE
from tests.slack.fake_api import FakeSlackAPI, RecordedRequest
from tests.slack.inbound import SIGNING_SECRET, signed_headers
from tests.slack.slack_client import free_port

TEAM = SLACK_WORKSPACE  # declared by the demo directory
BOT_TOKEN = "xoxb-bench"
CONCURRENCY = 50
ROUNDS = 10
ROUND_DEADLINE = 30.0
USERS = ("amara", "ben", "chloe", "dev", "erin", "femi")


# --- the two servers (child processes) -------------------------------------------------------


def serve_bare(port: int, api_url: str) -> None:
    import uvicorn
    from slack_bolt import Ack, App
    from slack_sdk import WebClient

    from bot.slack.http import slack_router
    from bot.slack.request import SlackSignature

    bolt = App(signing_secret=SIGNING_SECRET, client=WebClient(token=BOT_TOKEN, base_url=api_url))

    @bolt.command("/concern")
    def concern(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(
            trigger_id=body["trigger_id"],
            view={  # the smallest modal Slack takes: one block (like Flare's loading view)
                "type": "modal",
                "title": {"type": "plain_text", "text": "Bare"},
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Bare"}}],
            },
        )

    # Mounted as Flare mounts its own bolt App (dispatch in the thread pool), so the ratio is
    # Flare's work alone. Bolt's stock FastAPI adapter dispatches on the event loop, which
    # serialises a burst: that baseline was ~4x slower than the same App mounted so.
    api = FastAPI()
    api.include_router(slack_router(bolt, SlackSignature(SIGNING_SECRET)))

    @api.get("/healthz")
    def healthz() -> str:
        return "ok"

    uvicorn.run(api, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def serve_flare(port: int, api_url: str, var_dir: Path, database_url: str) -> None:
    import uvicorn

    from bot.app import create_app, freeze_startup_objects
    from bot.config import Settings
    from bot.demo import seed
    from bot.logging import configure
    from bot.runtime import build_runtime
    from store.crypto import generate_master_key_spec
    from store.migrate import upgrade

    configure(json=True, level="WARNING")
    settings = Settings(
        env="test",
        public_url="https://flare.bench",
        database_url=database_url,
        master_keys=generate_master_key_spec("bench"),
        var_dir=var_dir,
        run_worker_in_serve=False,
        slack_signing_secret=SIGNING_SECRET,
        slack_bot_token=BOT_TOKEN,
        slack_api_url=api_url,
    )
    runtime = build_runtime(settings)
    upgrade(runtime.engine)
    seed(runtime)
    with runtime.uow() as uow:
        for person in uow.directory.practitioners():
            person.preferred_platform = "slack"
            person.slack_team_id, person.slack_user_id = TEAM, f"U{person.ref.upper()}"
        uow.commit()
    app = create_app(settings, runtime)
    freeze_startup_objects()  # as `flare serve` does
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )


# --- the load ---------------------------------------------------------------------------------


class Arrivals:
    """Wraps the fake's request handling to stamp when each views.open arrives."""

    def __init__(self, slack: FakeSlackAPI) -> None:
        self.at: dict[str, float] = {}
        self.filled_at: dict[str, float] = {}  # Flare: the form replaces the loading view
        self.triggers: dict[str, str] = {}
        self.form_ms: list[float] = []
        self._lock = threading.Lock()
        original = slack.handle

        def stamped(request: RecordedRequest) -> Any:
            now = time.perf_counter()
            if request.method == "views.open":
                with self._lock:
                    trigger = str(request.args.get("trigger_id"))
                    self.at[trigger] = now
                    view = request.args.get("view") or {}
                    if view.get("external_id"):
                        self.triggers[view["external_id"]] = trigger
            elif request.method == "views.update" and request.args.get("external_id"):
                with self._lock:
                    self.filled_at[str(request.args["external_id"])] = now
            return original(request)

        slack.handle = stamped  # type: ignore[method-assign]


def _command(n: int, trigger: str) -> bytes:
    user = f"U{USERS[n % len(USERS)].upper()}"
    return urlencode(
        {
            "team_id": TEAM,
            "user_id": user,
            "channel_id": "C1",
            "command": "/concern",
            "text": "",
            "response_url": "http://127.0.0.1:9/hooks/x",
            "trigger_id": trigger,
        }
    ).encode()


async def one_round(base: str, name: str, r: int, arrivals: Arrivals) -> list[float]:
    triggers = [f"{name}.{r}.{n}" for n in range(CONCURRENCY)]
    sent: dict[str, float] = {}
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:

        async def send(n: int, trigger: str) -> None:
            body = _command(n, trigger)
            headers = signed_headers(body, content_type="application/x-www-form-urlencoded")
            sent[trigger] = time.perf_counter()
            response = await client.post("/slack/events", content=body, headers=headers)
            response.raise_for_status()

        await asyncio.gather(*(send(n, t) for n, t in enumerate(triggers)))
    deadline = time.monotonic() + ROUND_DEADLINE
    while any(t not in arrivals.at for t in triggers):
        if time.monotonic() > deadline:
            missing = sum(t not in arrivals.at for t in triggers)
            raise SystemExit(f"bench: {name} round {r}: {missing} views.open never arrived")
        await asyncio.sleep(0.005)
    if name == "flare":  # also: until the form is in the modal (views.update)
        await asyncio.sleep(0)
        deadline = time.monotonic() + ROUND_DEADLINE
        by_trigger = {}
        while len(by_trigger) < len(triggers) and time.monotonic() < deadline:
            by_trigger = {
                arrivals.triggers[x]: at
                for x, at in list(arrivals.filled_at.items())
                if arrivals.triggers.get(x) in sent
            }
            await asyncio.sleep(0.005)
        arrivals.form_ms += [(by_trigger[t] - sent[t]) * 1000 for t in triggers if t in by_trigger]
    return [(arrivals.at[t] - sent[t]) * 1000 for t in triggers]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _start(
    kind: str, port: int, api_url: str, var_dir: Path, database_url: str
) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "tests.bench", "--serve", kind, "--port", str(port)]
    args += ["--api", api_url, "--var", str(var_dir), "--db", database_url]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    return subprocess.Popen(args, env=env)


def _wait_healthy(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bench: server for {base} exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"bench: {base} did not start")


@contextmanager
def flare_database(tmp: Path) -> Iterator[str]:
    """A throwaway PostgreSQL database (what production runs) if one is reachable, else SQLite.

    FLARE_BENCH_PG (default: the test suite's FLARE_TEST_PG) names the server; "" forces SQLite.
    """
    admin_url = os.environ.get(
        "FLARE_BENCH_PG",
        os.environ.get("FLARE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    sqlite = f"sqlite:///{tmp / 'flare.db'}"
    if not admin_url:
        yield sqlite
        return
    import psycopg

    name = f"flare_bench_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        yield sqlite
        return
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run() -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        flare_database(Path(tmp)) as database_url,
        FakeSlackAPI() as slack,
    ):
        slack.add_team(TEAM, token=BOT_TOKEN)
        for ref in USERS:
            slack.add_user(TEAM, f"U{ref.upper()}", email=f"{ref}@demo.flare.invalid")
        arrivals = Arrivals(slack)
        servers = {"flare": free_port(), "bare": free_port()}
        procs = [
            _start(kind, port, slack.url, Path(tmp), database_url) for kind, port in servers.items()
        ]
        try:
            bases = {kind: f"http://127.0.0.1:{port}" for kind, port in servers.items()}
            for kind, proc in zip(servers, procs, strict=True):
                _wait_healthy(bases[kind], proc)
            samples: dict[str, list[float]] = {"flare": [], "bare": []}
            for r in range(ROUNDS + 1):  # round 0 warms both up and is not counted
                for kind in ("flare", "bare") if r % 2 else ("bare", "flare"):
                    got = asyncio.run(one_round(bases[kind], kind, r, arrivals))
                    if r:
                        samples[kind] += got
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=10)
    report(samples, database_url.split(":", 1)[0], arrivals.form_ms)


def report(samples: dict[str, list[float]], backend: str, form_ms: list[float]) -> None:
    rows = {
        k: (percentile(v, 50), percentile(v, 99), statistics.mean(v)) for k, v in samples.items()
    }
    print(
        f"slash command -> views.open, {CONCURRENCY} concurrent, {ROUNDS} rounds each "
        f"(Flare on {backend})"
    )
    for kind, (p50, p99, mean) in rows.items():
        n = len(samples[kind])
        print(f"  {kind:5}  n={n}  p50={p50:7.1f} ms  p99={p99:7.1f} ms  mean={mean:7.1f} ms")
    if form_ms:
        p50, p99 = percentile(form_ms, 50), percentile(form_ms, 99)
        print(f"  flare form filled in (views.update): p50={p50:7.1f} ms  p99={p99:7.1f} ms")
    ratio = rows["flare"][1] / rows["bare"][1]
    print(f"  p99 ratio flare/bare = {ratio:.2f} (target <= 1.5)")
    print(f"  p50 ratio flare/bare = {rows['flare'][0] / rows['bare'][0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve", choices=("flare", "bare"))
    parser.add_argument("--port", type=int)
    parser.add_argument("--api")
    parser.add_argument("--var", type=Path)
    parser.add_argument("--db")
    args = parser.parse_args()
    if args.serve == "bare":
        serve_bare(args.port, args.api)
    elif args.serve == "flare":
        serve_flare(args.port, args.api, args.var, args.db)
    else:
        run()


if __name__ == "__main__":
    main()
