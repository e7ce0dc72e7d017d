"""The store at a council's scale, on PostgreSQL: look-ups, raising, the inbox, the sweeps.

Two throwaway databases (see store_world): one seeded at 1x, one at 10x (at scale 1: 1M
clients, 5M memberships, 2M concerns, 10M audit events). Every measurement is taken on both,
interleaved, so that the load of a shared machine falls on both sides alike: each look-up
and each inbox read is timed on one database then the other (A B, then B A), each raise
likewise, and each sweep runs on both back to back, with the same number of due items made
in each beforehand (`samples` raises through Flare's handler, which become the outbox's and
the escalation sweep's due items; follow-ups due; concerns past retention). Every store
figure is the 10x value against the 1x value; a sweep's target is a ratio of at most 1.2,
because its cost should follow due items, not table size. `flare audit verify` runs over the
1x chain whole and over as many of the 10x chain's events from a checkpoint.

Every SELECT a sweep runs is explained (EXPLAIN ANALYZE, BUFFERS) on its own connection
right before it runs, on both databases alike; that time is left out of the sweep's time,
and the plans (at 10x) of each sweep's costliest statements are in the results.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from handlers.concern.raising import RaiseConcern, Raised, raise_concern
from handlers.my_work.awaiting import what_awaits
from handlers.retention.concerns import run_retention
from handlers.values import Category, FamilyInformed, LawfulBasis, Severity
from store import audit
from store.models import new_id
from tests.bench.results import BenchResult
from tests.bench.store_plans import Statement
from tests.bench.store_report import REPEATS, SWEEPS, report
from tests.bench.store_seed import Sizes, identifier, rid, seed_range
from tests.bench.store_world import World, add_inbox_person, bench_database, build


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def turns(pair: tuple[World, World], n: int) -> tuple[World, World]:
    """The two databases in the n-th turn's order: A B, then B A (the load falls on both)."""
    small, large = pair
    return (small, large) if n % 2 == 0 else (large, small)


# --- the measurements, each on both databases in turn --------------------------------------------


def raise_one(world: World, i: int, rep: int, count: int) -> tuple[float, str]:
    """One raise through the handler: three per client, from three of its members (other
    clients in each repetition)."""
    runtime, sizes, stop = world.runtime, world.sizes, world.clients
    client = ((rep * count + i) // 3 * 7919) % stop
    if client in world.inbox_clients:  # one more recipient there: keep due items equal
        client = client + 1 if client + 1 < stop else client - 1
    cmd = RaiseConcern(
        raiser_id=rid("0b", sizes.member(client, 2 + i % 3)),
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
    ms = (time.perf_counter() - started) * 1000
    if not isinstance(outcome, Raised):
        raise SystemExit(f"bench: a raise was refused: {outcome}")
    return ms, outcome.concern_id


def raise_many(pair: tuple[World, World], count: int, rep: int) -> dict[str, list[str]]:
    """`count` raises on each database, one here, one there; their concern ids by database."""
    raised: dict[str, list[str]] = {w.label: [] for w in pair}
    for world in pair:
        world.clock.at = datetime.now(UTC)
    for i in range(count):
        for world in turns(pair, i):
            ms, concern = raise_one(world, i, rep, count)
            world.result["raise"].append(ms)
            raised[world.label].append(concern)
    return raised


def lookups(pair: tuple[World, World], count: int) -> None:
    for i in range(count):
        for world in turns(pair, i):
            n = (i * 104729) % world.clients

            def find(world: World = world, n: int = n) -> None:
                with world.runtime.uow() as uow:
                    digest = uow.vault.blind_index().digest("reference", identifier(n))
                    if uow.directory.client_by_blind("reference", digest) is None:
                        raise SystemExit("bench: a seeded identifier was not found")

            world.result["lookup"].append(timed(find))


def inbox(pair: tuple[World, World], count: int) -> None:
    for world in pair:
        world.clock.at = datetime.now(UTC)
        with world.runtime.uow() as uow:
            if not uow.concerns.received_by(world.inbox_person):
                raise SystemExit("bench: the 200-network inbox is empty")
    for i in range(count):
        for world in turns(pair, i):
            # The filler concerns are closed history: the read walks all of them, none waits.
            def read(world: World = world) -> None:
                what_awaits(
                    world.runtime.uow(),
                    practitioner_id=world.inbox_person,
                    clock=world.runtime.clock,
                )

            world.result["inbox"].append(timed(read))


def make_due(world: World, raised: list[str], count: int, rep: int) -> None:
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
        rid("0e", ((rep * count + i) * 7919) % world.clients * per + 1) for i in range(count)
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


SweepRun = tuple[float, dict[str, int], list[Statement]]


def sweep_plan(world: World) -> dict[str, tuple[timedelta, Callable[[], dict[str, Any]]]]:
    """Each sweep, and how far ahead of now the clock stands when it runs."""
    runtime, clock = world.runtime, world.clock

    def outbox() -> dict[str, int]:
        sent = 0
        while (report := runtime.deliver()).claimed:
            sent += report.sent
        return {"sent": sent}

    def retention() -> dict[str, int]:
        reports = list(run_retention(runtime.uow, clock))
        return {"shredded": sum(r.shredded for r in reports)}

    return {
        "outbox": (timedelta(0), outbox),
        "patterns": (timedelta(0), lambda: vars(runtime.detect_patterns())),
        "reminders": (timedelta(0), lambda: vars(runtime.remind())),
        "escalation": (timedelta(days=10), lambda: vars(runtime.escalate())),
        "retention": (timedelta(0), retention),
    }


def sweep_once(world: World, at: datetime, sweep: Callable[[], dict[str, Any]]) -> SweepRun:
    world.clock.at = at
    with world.explainer.watching():
        started = time.perf_counter()
        report = sweep()
        elapsed = time.perf_counter() - started - world.explainer.explain_seconds
    numbers = {k: v for k, v in report.items() if isinstance(v, int)}
    return elapsed * 1000, numbers, world.explainer.costliest()


def sweeps(pair: tuple[World, World], rep: int) -> None:
    """Each sweep on both databases back to back (in turns across sweeps and repetitions)."""
    now = datetime.now(UTC)
    plans = {w.label: sweep_plan(w) for w in pair}
    for k, name in enumerate(SWEEPS):
        for world in turns(pair, rep + k):
            ahead, sweep = plans[world.label][name]
            world.result["sweep_runs"].setdefault(name, []).append(
                sweep_once(world, now + ahead, sweep)
            )


def median_run(
    runs: list[tuple[float, dict[str, int], list[Statement]]],
) -> tuple[float, dict[str, int], list[Statement], list[float]]:
    """The median run of a sweep (its time, counts and plans), with every run's time."""
    ordered = sorted(runs, key=lambda r: r[0])
    middle = ordered[len(ordered) // 2]
    return (*middle, [r[0] for r in runs])


def settle(world: World) -> None:
    """Leave nothing due for the next round: what this round raised becomes old history."""
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


# --- the bench -----------------------------------------------------------------------------------


def seed(world: World, clients: int, inbox_clients: int) -> None:
    """Clients 0 .. clients - 1 and their history, then the 200-network practitioner among
    the first `inbox_clients` (the same networks in both databases)."""
    world.clients = clients
    seeded_at = time.perf_counter()
    with world.psycopg() as conn:
        rows = seed_range(conn, world.sizes, world.filler, 0, clients, f"seeding {world.label}")
        conn.autocommit = True
        conn.execute("ANALYZE")
    world.result.update(rows=rows, seed_seconds=time.perf_counter() - seeded_at)
    world.result.update({"raise": [], "lookup": [], "inbox": [], "sweep_runs": {}})
    add_inbox_person(world, inbox_clients)


def measure(pair: tuple[World, World], samples: int) -> None:
    lookups(pair, samples)
    inbox(pair, max(3, samples // 10))
    for rep in range(REPEATS):  # the machine is shared: each sweep's median
        raised = raise_many(pair, samples, rep)
        for world in pair:
            make_due(world, raised[world.label], samples, rep)
        sweeps(pair, rep)
        for world in pair:
            settle(world)
    for world in pair:
        runs = world.result.pop("sweep_runs")
        world.result["sweeps"] = {name: median_run(runs[name]) for name in SWEEPS}
    small, large = pair
    small.result["verify"] = verify_rate(small, 0, from_checkpoint=False)
    large.result["verify"] = verify_rate(
        large, small.result["verify"]["events"], from_checkpoint=True
    )
    for world in pair:
        with world.psycopg() as conn:
            world.result["tables"] = {
                t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])  # type: ignore[index]
                for t in TABLES
            }


TABLES = ("clients", "memberships", "concerns", "deliveries", "outbox", "audit_events")


def run(*, scale: float, samples: int) -> BenchResult:
    sizes = Sizes.at(scale)
    first = max(5, sizes.clients // 10)
    with (
        tempfile.TemporaryDirectory() as tmp,
        bench_database() as small_url,
        bench_database() as large_url,
    ):
        small = build(small_url, sizes, Path(tmp) / "1x", "1x")
        large = build(large_url, sizes, Path(tmp) / "10x", "10x")
        try:
            seed(small, first, first)
            seed(large, sizes.clients, first)
            measure((small, large), samples)
        finally:
            for world in (small, large):
                world.explainer.close()
                world.runtime.engine.dispose()
    return report(sizes, scale, samples, small.result, large.result)
