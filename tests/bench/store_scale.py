"""The store at a council's scale, on PostgreSQL: look-ups, raising, the inbox, the sweeps.

One throwaway database on 127.0.0.1 (FLARE_BENCH_PG names the server), dropped at the end.
Two phases: "1x" seeds a tenth of the sizes, "10x" seeds the rest (at scale 1: 1M clients,
5M memberships, 2M concerns, 10M audit events in all). In each phase the same work is done
and timed, with the same number of due items: `samples` raises through Flare's handler
(which become the outbox's and the escalation sweep's due items), `samples` blind-index
look-ups, the inbox of one practitioner who is in 200 networks, each sweep once, and
`flare audit verify` over the same number of events (from a checkpoint in the 10x phase).
Every store figure is the 10x value against the 1x value of the same run; a sweep's target
is a ratio of at most 1.2, because its cost should follow due items, not table size.

Every SELECT a sweep runs is explained (EXPLAIN ANALYZE, BUFFERS) on its own connection
right before it runs; that time is left out of the sweep's time, and the plans of each
sweep's costliest statements are in the results.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import insert

from bot.composition import build_runtime
from bot.config import Settings
from bot.playground.notifier import PlaygroundNotifier
from bot.runtime import Runtime
from handlers.concern.raising import RaiseConcern, Raised, raise_concern
from handlers.my_work.awaiting import what_awaits
from handlers.retention.concerns import run_retention
from handlers.values import Category, FamilyInformed, LawfulBasis, Platform, Severity
from store import audit
from store.crypto import generate_master_key_spec
from store.migrate import upgrade
from store.models import Client, Organisation, new_id
from store.sealed import ClientField
from tests.bench.results import BenchResult
from tests.bench.store_plans import Explainer, Statement
from tests.bench.store_report import NETWORKS_OF_ONE, SWEEPS, report
from tests.bench.store_seed import (
    ORGANISATIONS,
    Filler,
    Sizes,
    identifier,
    renice_backend,
    rid,
    seed_range,
)

REPEATS = 3  # each phase's raises and sweeps, to take each sweep's median


@dataclass
class BenchClock:
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def now(self) -> datetime:
        return self.at


@contextmanager
def bench_database() -> Iterator[str]:
    admin = os.environ.get(
        "FLARE_BENCH_PG",
        os.environ.get("FLARE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    name = f"flare_bench_store_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the world ---------------------------------------------------------------------------------


@dataclass
class World:
    runtime: Runtime
    url: str
    sizes: Sizes
    clock: BenchClock
    filler: Filler
    explainer: Explainer
    inbox_person: str = ""
    inbox_clients: frozenset[int] = frozenset()  # the networks that practitioner is in
    phases: dict[str, dict[str, Any]] = field(default_factory=dict)

    def psycopg(self) -> psycopg.Connection[Any]:
        conn = psycopg.connect(self.url)
        renice_backend(conn)
        return conn


def build(url: str, sizes: Sizes, var_dir: Path) -> World:
    settings = Settings(
        env="test",
        public_url="https://flare.bench",
        database_url=url,
        master_keys=generate_master_key_spec("bench"),
        var_dir=var_dir,
        run_worker_in_serve=False,
    )
    runtime = build_runtime(settings)
    upgrade(runtime.engine)
    clock = BenchClock()
    runtime.clock = clock  # type: ignore[assignment]
    runtime.notifiers[Platform.PLAYGROUND] = PlaygroundNotifier(runtime.uow, clock)
    organisations = [new_id() for _ in range(ORGANISATIONS)]
    with runtime.uow() as uow:
        uow.session.execute(
            insert(Organisation),
            [
                {"id": o, "ref": f"org-{n}", "name": f"Agency {n}", "kind": "school", "policy": {}}
                for n, o in enumerate(organisations)
            ],
        )
        key_id = uow.vault.create_key("bench-filler")
        filler_row = Client(id="filler", data_key_id=key_id)
        uow.sealed.client(filler_row).seal(ClientField.LABEL, "filler")
        blob = filler_row.label_ct
        blind = uow.vault.blind_index()
        uow.commit()
    filler = Filler(key_id, "\\\\x" + blob.hex(), blind, tuple(organisations))
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cols = "id, ref, organisation_id, name, job_title, preferred_platform, is_admin, active"
        with cur.copy(f"COPY practitioners ({cols}, created_at) FROM STDIN") as copy:
            for n in range(sizes.practitioners):
                org = organisations[n % ORGANISATIONS]
                person = f"{rid('0b', n)}\tbench-p{n}\t{org}\tP {n}\t\tplayground\tf\tt"
                copy.write(f"{person}\t2025-01-01T00:00:00+00:00\n")
        for n, org in enumerate(organisations):  # escalation's last step
            cur.execute(
                "UPDATE organisations SET duty_contact_id = %s WHERE id = %s", (rid("0b", n), org)
            )
        conn.commit()
    explainer = Explainer(runtime.engine, url)
    return World(runtime, url, sizes, clock, filler, explainer)


def add_inbox_person(world: World, clients: int) -> None:
    """A practitioner in 200 networks (fewer at toy sizes), with two delivered concerns in
    each (half unread), among the first `clients` clients."""
    networks = min(NETWORKS_OF_ONE, clients)
    person = rid("0b", world.sizes.practitioners + 1)
    with world.psycopg() as conn:
        conn.execute(
            "INSERT INTO practitioners (id, ref, organisation_id, name, job_title, "
            "preferred_platform, is_admin, active, created_at) VALUES "
            "(%s, 'bench-inbox', %s, 'Inbox', '', 'playground', false, true, now())",
            (person, world.filler.organisation_ids[0]),
        )
        per = world.sizes.concerns_per_client
        for n in range(networks):
            client = n * (clients // networks)
            conn.execute(
                "INSERT INTO memberships (id, client_id, practitioner_id, role, created_at) "
                "VALUES (%s, %s, %s, 'member', now())",
                (new_id(), rid("0c", client), person),
            )
            for k in range(per):
                concern = rid("0e", client * per + k)
                conn.execute(
                    "INSERT INTO deliveries (id, concern_id, recipient_id, role, platform, "
                    "created_at, delivered_at, viewed_at) VALUES (%s, %s, %s, 'member', "
                    "'playground', now(), now(), CASE WHEN %s THEN now() END)",
                    (new_id(), concern, person, k % 2 == 0),
                )
        conn.commit()
    world.inbox_person = person
    world.inbox_clients = frozenset(n * (clients // networks) for n in range(networks))


# --- one phase ---------------------------------------------------------------------------------


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def raise_many(
    world: World, start: int, stop: int, count: int, rep: int
) -> tuple[list[float], list[str]]:
    """`count` raises through the handler: three per client, from three of its members
    (other clients in each repetition)."""
    runtime, sizes = world.runtime, world.sizes
    world.clock.at = datetime.now(UTC)
    ms: list[float] = []
    ids: list[str] = []
    for i in range(count):
        client = start + ((rep * count + i) // 3 * 7919) % (stop - start)
        if client in world.inbox_clients:  # one more recipient there: keep due items equal
            client = client + 1 if client + 1 < stop else client - 1
        raiser = rid("0b", sizes.member(client, 2 + i % 3))
        cmd = RaiseConcern(
            raiser_id=raiser,
            client_id=rid("0c", client),
            category=Category.NEGLECT,
            severity=Severity.HIGH,
            noticed="Always hungry at pick-up, same clothes all week. " * 8,
            rationale="A pattern that the school and social care need to see.",
            lawful_basis=LawfulBasis.PUBLIC_TASK,
            family_informed=FamilyInformed.NOT_SAFE,
            family_reason="Telling them could raise the risk at home.",
            submission_key=new_id(),
        )
        started = time.perf_counter()
        outcome = raise_concern(cmd, runtime.uow(), runtime.clock, runtime.calendar)
        ms.append((time.perf_counter() - started) * 1000)
        if not isinstance(outcome, Raised):
            raise SystemExit(f"bench: a raise was refused: {outcome}")
        ids.append(outcome.concern_id)
    return ms, ids


def lookups(world: World, stop: int, count: int) -> list[float]:
    ms = []
    for i in range(count):
        n = (i * 104729) % stop

        def find(n: int = n) -> None:
            with world.runtime.uow() as uow:
                digest = uow.vault.blind_index().digest("reference", identifier(n))
                if uow.directory.client_by_blind("reference", digest) is None:
                    raise SystemExit("bench: a seeded identifier was not found")

        ms.append(timed(find))
    return ms


def inbox(world: World, count: int) -> list[float]:
    world.clock.at = datetime.now(UTC)

    with world.runtime.uow() as uow:
        if not uow.concerns.received_by(world.inbox_person):
            raise SystemExit("bench: the 200-network inbox is empty")

    def read() -> None:
        # The filler concerns are closed history: the read walks all of them, none waits.
        what_awaits(
            world.runtime.uow(), practitioner_id=world.inbox_person, clock=world.runtime.clock
        )

    return [timed(read) for _ in range(count)]


def make_due(world: World, raised: list[str], start: int, stop: int, count: int, rep: int) -> None:
    """Follow-ups due for a reminder, and closed concerns past retention, `count` of each."""
    now = datetime.now(UTC)
    per = world.sizes.concerns_per_client
    with world.psycopg() as conn:
        for i, concern in enumerate(raised[:count]):
            lead = conn.execute(
                "SELECT practitioner_id FROM memberships m JOIN concerns c ON c.client_id = "
                "m.client_id WHERE c.id = %s AND m.role = 'lead'",
                (concern,),
            ).fetchone()
            assert lead is not None
            conn.execute(
                "INSERT INTO follow_ups (id, concern_id, owner_id, created_by_id, due_at, state, "
                "reminders_sent, created_at) VALUES (%s, %s, %s, %s, %s, 'open', 0, %s)",
                (new_id(), concern, lead[0], lead[0], now - timedelta(hours=1 + i % 5), now),
            )
        conn.commit()
    # Retention shreds each concern's own data key: give the victims theirs (filler shares one).
    old = now - timedelta(days=7 * 365)
    victims = [
        rid("0e", (start + ((rep * count + i) * 7919) % (stop - start)) * per + 1)
        for i in range(count)
    ]
    with world.runtime.uow() as uow:
        keys = [uow.vault.create_key("concern") for _ in victims]
        uow.commit()
    with world.psycopg() as conn:
        for victim, key in zip(victims, keys, strict=True):
            conn.execute(
                "UPDATE concerns SET created_at = %s, closed_at = %s, data_key_id = %s "
                "WHERE id = %s",
                (old, old + timedelta(days=20), key, victim),
            )
        conn.commit()


def sweeps(world: World) -> dict[str, tuple[float, dict[str, int], list[Statement]]]:
    runtime, clock = world.runtime, world.clock
    now = datetime.now(UTC)

    def outbox() -> dict[str, int]:
        sent = 0
        while (report := runtime.deliver()).claimed:
            sent += report.sent
        return {"sent": sent}

    def retention() -> dict[str, int]:
        reports = list(run_retention(runtime.uow, clock))
        return {"shredded": sum(r.shredded for r in reports)}

    plan: dict[str, tuple[timedelta, Callable[[], Any]]] = {
        "outbox": (timedelta(0), outbox),
        "patterns": (timedelta(0), lambda: vars(runtime.detect_patterns())),
        "reminders": (timedelta(0), lambda: vars(runtime.remind())),
        "escalation": (timedelta(days=10), lambda: vars(runtime.escalate())),
        "retention": (timedelta(0), retention),
    }
    out = {}
    for name in SWEEPS:
        ahead, sweep = plan[name]
        clock.at = now + ahead
        with world.explainer.watching():
            started = time.perf_counter()
            report = sweep()
            elapsed = time.perf_counter() - started - world.explainer.explain_seconds
        numbers = {k: v for k, v in report.items() if isinstance(v, int)}
        out[name] = (elapsed * 1000, numbers, world.explainer.costliest())
    return out


def median_run(
    runs: list[tuple[float, dict[str, int], list[Statement]]],
) -> tuple[float, dict[str, int], list[Statement], list[float]]:
    """The median run of a sweep (its time, counts and plans), with every run's time."""
    ordered = sorted(runs, key=lambda r: r[0])
    middle = ordered[len(ordered) // 2]
    return (*middle, [r[0] for r in runs])


def settle(world: World) -> None:
    """Leave nothing due for the next phase: what this phase raised becomes old history."""
    with world.psycopg() as conn:
        conn.execute(
            "UPDATE concerns SET status = 'closed', closed_at = %s, created_at = created_at - "
            "interval '90 days' WHERE created_at > %s",
            (datetime.now(UTC), datetime.now(UTC) - timedelta(days=30)),
        )
        conn.execute("UPDATE outbox SET state = 'sent' WHERE state <> 'sent'")
        conn.execute("UPDATE follow_ups SET state = 'done' WHERE state = 'open'")
        conn.commit()


def verify_rate(world: World, events: int, *, from_checkpoint: bool) -> dict[str, float]:
    """`flare audit verify` over the newest `events` events, and a plain read of the same."""
    with world.psycopg() as conn:
        head = conn.execute("SELECT seq FROM audit_head WHERE id = 1").fetchone()
        top = int(head[0]) if head else 0
        start_seq = max(0, top - events) if from_checkpoint else 0
        start_hash = conn.execute(
            "SELECT hash FROM audit_events WHERE seq = %s", (start_seq,)
        ).fetchone()
        started = time.perf_counter()
        with conn.cursor(name="read") as cur:
            cur.itersize = 2000
            cur.execute("SELECT * FROM audit_events WHERE seq > %s ORDER BY seq", (start_seq,))
            read = sum(1 for _ in cur)
        read_rate = read / (time.perf_counter() - started)
        conn.rollback()
    start = f"{start_seq}:{start_hash[0]}" if start_hash else None
    started = time.perf_counter()
    with world.runtime.sessions() as session:
        result = audit.verify(session, start=start)
    elapsed = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"bench: the seeded audit chain does not verify: {result.reason}")
    return {"events": result.checked, "verify": result.checked / elapsed, "read": read_rate}


def phase(world: World, label: str, start: int, stop: int, samples: int) -> dict[str, Any]:
    seeded_at = time.perf_counter()
    with world.psycopg() as conn:
        rows = seed_range(conn, world.sizes, world.filler, start, stop, f"seeding {label}")
        conn.autocommit = True
        conn.execute("ANALYZE")
    seed_seconds = time.perf_counter() - seeded_at
    if not world.inbox_person:
        add_inbox_person(world, stop)
    result: dict[str, Any] = {
        "rows": rows,
        "seed_seconds": seed_seconds,
        "raise": [],
        "lookup": lookups(world, stop, samples),
        "inbox": inbox(world, max(3, samples // 10)),
        "sweep_runs": [],
    }
    for rep in range(REPEATS):  # the machine is shared: each sweep's median of three
        raise_ms, raised = raise_many(world, start, stop, samples, rep)
        make_due(world, raised, start, stop, samples, rep)
        result["raise"] += raise_ms
        result["sweep_runs"].append(sweeps(world))
        settle(world)
    runs = result.pop("sweep_runs")
    result["sweeps"] = {name: median_run([run[name] for run in runs]) for name in SWEEPS}
    first = world.phases.get("1x")
    result["verify"] = verify_rate(
        world, first["verify"]["events"] if first else 0, from_checkpoint=first is not None
    )
    with world.psycopg() as conn:
        result["tables"] = {
            t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])  # type: ignore[index]
            for t in ("clients", "memberships", "concerns", "deliveries", "outbox", "audit_events")
        }
    world.phases[label] = result
    return result


# --- the bench -----------------------------------------------------------------------------------


def run(*, scale: float, samples: int) -> BenchResult:
    sizes = Sizes.at(scale)
    first = max(5, sizes.clients // 10)
    with tempfile.TemporaryDirectory() as tmp, bench_database() as url:
        world = build(url, sizes, Path(tmp))
        try:
            small = phase(world, "1x", 0, first, samples)
            large = phase(world, "10x", first, sizes.clients, samples)
        finally:
            world.explainer.close()
            world.runtime.engine.dispose()
    return report(sizes, scale, samples, small, large)
