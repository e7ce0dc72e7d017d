"""Link page: the signed-in view of a concern against a bare FastAPI page of the same size.

Two uvicorn servers on 127.0.0.1, each in its own process. Flare (`create_app` on a
throwaway PostgreSQL database, demo directory, one concern raised and delivered) serves a
recipient who signed in and opened their link (`POST /l/{token}`); the figure is
`GET /concerns/{id}`, which checks the session and the recipient's entitlement, decrypts the
concern, renders it and appends `concern.viewed` to the audit chain. The bare app is a
FastAPI route returning an HTML page of the same number of bytes. Rounds of concurrent
requests alternate between the two. Target: Flare's p99 at most 2x the bare page's.
The signed-in `POST /l/{token}` (check the token, open, audit, redirect) is reported too.
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from fastapi import FastAPI

from tests.bench.ingress import flare_database, start_server, stop, wait_healthy
from tests.bench.results import BenchResult, Figure, latency, round_p99
from tests.slack.slack_client import free_port

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def serve(kind: str, port: int, var_dir: Path, database_url: str) -> None:
    import uvicorn

    from bot.app import freeze_startup_objects

    app = _flare_app(port, var_dir, database_url) if kind == "web-flare" else _bare_app(var_dir)
    freeze_startup_objects()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _flare_app(port: int, var_dir: Path, database_url: str) -> FastAPI:
    from bot.app import create_app
    from bot.composition import build_runtime
    from bot.config import Settings
    from bot.demo import seed
    from bot.logging import configure
    from bot.playground.chat import messages_for
    from handlers.concern.raising import RaiseConcern, Raised, raise_concern
    from handlers.values import Category, FamilyInformed, LawfulBasis, Severity
    from store.crypto import generate_master_key_spec
    from store.migrate import upgrade

    configure(json=True, level="WARNING")
    settings = Settings(
        env="test",
        public_url=f"http://127.0.0.1:{port}",
        database_url=database_url,
        master_keys=generate_master_key_spec("bench"),
        var_dir=var_dir,
        run_worker_in_serve=False,
    )
    runtime = build_runtime(settings)
    upgrade(runtime.engine)
    seed(runtime)
    with runtime.uow() as uow:
        people = {p.ref: p.id for p in uow.directory.practitioners()}
        client = uow.directory.client_by_reference("C-1001")
        assert client is not None
        client_id = client.id
    outcome = raise_concern(
        RaiseConcern(
            raiser_id=people["amara"],
            client_id=client_id,
            category=Category.NEGLECT,
            severity=Severity.HIGH,
            noticed="Always hungry at pick-up, same clothes all week. " * 10,
            rationale="A pattern that the school and social care need to see.",
            lawful_basis=LawfulBasis.PUBLIC_TASK,
            family_informed=FamilyInformed.NOT_SAFE,
            family_reason="Telling them could raise the risk at home.",
            submission_key="bench-link-page",
        ),
        runtime.uow(),
        runtime.clock,
        runtime.calendar,
    )
    assert isinstance(outcome, Raised)
    app = create_app(settings, runtime)  # attaches the playground chat the pointers go to
    runtime.deliver()
    link = next(
        m.link
        for m in messages_for(runtime.uow(), people["chloe"])
        if m.concern_id == outcome.concern_id and m.link
    )
    info = {"concern": outcome.concern_id, "person": people["chloe"], "link": link}
    (var_dir / "link-page.json").write_text(json.dumps(info))
    return app


def _bare_app(var_dir: Path) -> FastAPI:
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    body: list[str] = []  # read at the first request: the size is known once Flare is up
    api = FastAPI()

    @api.get("/page")
    def page() -> HTMLResponse:
        if not body:
            body.append((var_dir / "bare.html").read_text())
        return HTMLResponse(body[0])

    @api.get("/healthz")
    def healthz() -> str:
        return "ok"

    return api


def sign_in_and_open(base: str, info: dict[str, str]) -> tuple[httpx.Cookies, int]:
    """Sign in as the recipient (demo sign-in) and open the link; the page's size in bytes."""
    with httpx.Client(base_url=base, timeout=30) as client:
        page = client.get("/signin")
        csrf = CSRF.search(page.text)
        assert csrf, "no CSRF field on /signin"
        signed = client.post(
            "/signin/demo", data={"csrf": csrf.group(1), "practitioner_id": info["person"]}
        )
        assert signed.status_code in (200, 303), signed.status_code
        path = httpx.URL(info["link"]).path
        opened = client.post(path, data={"csrf": _csrf(client, path)})
        assert opened.status_code == 303, opened.status_code
        shown = client.get(f"/concerns/{info['concern']}")
        assert shown.status_code == 200, shown.status_code
        return client.cookies, len(shown.content)


def _csrf(client: httpx.Client, path: str) -> str:
    found = CSRF.search(client.get(path).text)
    assert found, f"no CSRF field on {path}"
    return found.group(1)


async def one_round(
    base: str,
    path: str,
    cookies: httpx.Cookies,
    count: int,
    concurrency: int,
    data: dict[str, str] | None = None,
) -> list[float]:
    limits = httpx.Limits(max_connections=concurrency)
    ms: list[float] = []
    async with httpx.AsyncClient(
        base_url=base, cookies=cookies, limits=limits, timeout=30
    ) as client:

        async def worker(n: int) -> None:
            for _ in range(n):
                started = time.perf_counter()
                if data is None:
                    response = await client.get(path)
                else:
                    response = await client.post(path, data=data)
                ms.append((time.perf_counter() - started) * 1000)
                if response.status_code not in (200, 303):
                    raise SystemExit(f"bench: {path} answered {response.status_code}")

        share = max(1, count // concurrency)
        await asyncio.gather(*(worker(share) for _ in range(concurrency)))
    return ms


def run(*, concurrency: int, requests: int, rounds: int = 10) -> BenchResult:
    with tempfile.TemporaryDirectory() as tmp, flare_database(Path(tmp)) as database_url:
        var = Path(tmp)
        ports = {"web-flare": free_port(), "web-bare": free_port()}
        bases = {k: f"http://127.0.0.1:{p}" for k, p in ports.items()}
        procs = [start_server(k, port, var=tmp, db=database_url) for k, port in ports.items()]
        try:
            for kind, proc in zip(ports, procs, strict=True):
                wait_healthy(bases[kind], proc)
            info = json.loads((var / "link-page.json").read_text())
            cookies, size = sign_in_and_open(bases["web-flare"], info)
            (var / "bare.html").write_text(_page_of(size))
            with httpx.Client(base_url=bases["web-flare"], cookies=cookies) as client:
                link_path = httpx.URL(info["link"]).path
                link_form = {"csrf": _csrf(client, link_path)}
            paths = {"web-flare": f"/concerns/{info['concern']}", "web-bare": "/page"}
            samples: dict[str, list[float]] = {"web-flare": [], "web-bare": [], "open": []}
            by_round: dict[str, list[list[float]]] = {}
            per_round = max(concurrency, requests // rounds)
            for r in range(rounds + 1):  # round 0 warms up and is not counted
                for kind in ("web-flare", "web-bare") if r % 2 else ("web-bare", "web-flare"):
                    got = asyncio.run(
                        one_round(bases[kind], paths[kind], cookies, per_round, concurrency)
                    )
                    if r:
                        samples[kind] += got
                        by_round.setdefault(kind, []).append(got)
                opened = asyncio.run(
                    one_round(
                        bases["web-flare"], link_path, cookies, per_round // 4, concurrency,
                        data=link_form,
                    )
                )  # fmt: skip
                if r:
                    samples["open"] += opened
        finally:
            stop(procs)
    db = database_url.split(":", 1)[0]
    return report(samples, by_round, size, concurrency, rounds, db)


def _page_of(size: int) -> str:
    head, tail = "<!doctype html><html><body><p>", "</p></body></html>"
    return head + "x" * max(0, size - len(head) - len(tail)) + tail


def report(
    samples: dict[str, list[float]],
    by_round: dict[str, list[list[float]]],
    size: int,
    concurrency: int,
    rounds: int,
    db: str,
) -> BenchResult:
    result = BenchResult(
        "link",
        "Link page: the signed-in view of a concern against a bare FastAPI page of the same size",
        params={"concurrency": concurrency, "rounds": rounds, "page_bytes": size, "db": db},
    )
    flare, bare, opened = (latency(samples[k]) for k in ("web-flare", "web-bare", "open"))
    base = "bare FastAPI HTML page, same size"
    result.add(Figure("concern page (decrypt, render, audit) p99", flare["p99"], "ms",
                      bare["p99"], base, "ratio <= 2", 2.0))  # fmt: skip
    result.add(Figure("concern page p50", flare["p50"], "ms", bare["p50"], base))
    result.add(Figure("POST /l/{token} signed in (check, open, audit, 303) p99", opened["p99"],
                      "ms", bare["p99"], base))  # fmt: skip
    result.add(Figure("concern page p99, median of rounds", round_p99(by_round["web-flare"]),
                      "ms", round_p99(by_round["web-bare"]), "bare, same statistic"))  # fmt: skip
    result.tables["latency (ms)"] = [
        {"what": name, **{k: float(v) for k, v in row.items()}}
        for name, row in (("Flare concern page", flare), ("bare page", bare),
                          ("Flare POST /l/{token}", opened))
    ]  # fmt: skip
    result.notes.append(
        f"{rounds} rounds per app, alternating, after a warm-up round; {concurrency} concurrent "
        "connections; latency measured by the client from request sent to response read."
    )
    return result
