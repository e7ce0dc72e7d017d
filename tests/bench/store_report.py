"""The store bench's figures, tables and plans, from its two databases (1x and 10x)."""

from __future__ import annotations

import statistics
from typing import Any

from tests.bench.results import BenchResult, Figure, latency
from tests.bench.store_plans import seq_scans
from tests.bench.store_seed import Sizes

NETWORKS_OF_ONE = 200  # the practitioner whose inbox is measured is in this many networks
SWEEPS = ("outbox", "patterns", "reminders", "escalation", "retention")
REPEATS = 7  # runs of each sweep on each database; the median is the figure


def report(
    sizes: Sizes, scale: float, samples: int, small: dict[str, Any], large: dict[str, Any]
) -> BenchResult:
    result = BenchResult(
        "store",
        "The store at scale on PostgreSQL: look-ups, raising, the inbox, sweeps, audit verify",
        params={"scale": scale, "samples": samples, "clients": sizes.clients},
    )
    for name, what in (
        ("lookup", "blind-index look-up of a client"),
        ("raise", "raise a concern (handler, one commit)"),
        ("inbox", f"inbox of a practitioner in {NETWORKS_OF_ONE} networks"),
    ):
        result.add(
            Figure(
                f"{what}, p99",
                latency(large[name])["p99"],
                "ms",
                latency(small[name])["p99"],
                "same at 1x",
            )
        )
    for name in SWEEPS:
        ms_large, numbers, _, _ = large["sweeps"][name]
        ms_small, numbers_small, _, _ = small["sweeps"][name]
        result.add(
            Figure(
                f"sweep: {name} {numbers}",
                ms_large,
                "ms",
                ms_small,
                f"same due items at 1x {numbers_small}",
                "ratio <= 1.2",
                1.2,
            )
        )
    v = large["verify"]
    result.add(
        Figure(
            f"flare audit verify --from a checkpoint ({v['events']:,} events)",
            v["verify"],
            "events/s",
            v["read"],
            "plain read of the same rows",
            higher_is_better=True,
        )
    )
    v1 = small["verify"]
    result.add(
        Figure(
            f"flare audit verify, whole chain at 1x ({v1['events']:,} events)",
            v1["verify"],
            "events/s",
            v1["read"],
            "plain read of the same rows",
            higher_is_better=True,
        )
    )
    result.tables["table sizes"] = [
        {"table": t, "1x": small["tables"][t], "10x": large["tables"][t]} for t in small["tables"]
    ]
    result.tables["seeding (COPY, plain indexes rebuilt after)"] = [
        {"phase": label, "table": table, "rows": rows, "seconds": seconds,
         "rows/s": rows / seconds if seconds else 0.0}
        for label, p in (("1x", small), ("10x", large))
        for table, (rows, seconds) in p["rows"].items()
    ] + [
        {"phase": label, "table": "all, with ANALYZE", "rows": total,
         "seconds": p["seed_seconds"], "rows/s": total / p["seed_seconds"]}
        for label, p in (("1x", small), ("10x", large))
        for total in [sum(r for r, _ in p["rows"].values())]
    ]  # fmt: skip
    result.tables["sweep runs (ms, in order; the median is the figure)"] = [
        {"sweep": name, "1x": str([round(x) for x in small["sweeps"][name][3]]),
         "10x": str([round(x) for x in large["sweeps"][name][3]]),
         "10x / 1x of each pair, median": statistics.median(
             b / a for a, b in zip(small["sweeps"][name][3], large["sweeps"][name][3],
                                   strict=True) if a > 0
         ) if any(small["sweeps"][name][3]) else 0.0}
        for name in SWEEPS
    ]  # fmt: skip
    result.tables["latency (ms)"] = [
        {"what": f"{name} {label}", **{k: float(x) for k, x in latency(p[name]).items()}}
        for name in ("lookup", "raise", "inbox")
        for label, p in (("1x", small), ("10x", large))
    ]
    for name in SWEEPS:
        for n, statement in enumerate(large["sweeps"][name][2], 1):
            scans = seq_scans(statement.plan)
            seq = f" (Seq Scan on {', '.join(scans)})" if scans else ""
            title = f"{name} #{n}: {statement.runs} run(s), {statement.seconds * 1000:.1f} ms{seq}"
            result.plans[title] = statement.sql + "\n\n" + statement.plan
    result.notes += [
        "Two databases, one at 1x (a tenth of the rows) and one at 10x, both seeded before "
        "anything is timed; each store figure's baseline is the same measurement on the 1x "
        "database. The measurements are interleaved so that the load of a shared machine "
        "falls on both alike: look-ups, inbox reads and raises alternate between the two "
        "(A B, then B A), and each sweep run on one is followed at once by the same sweep on "
        f"the other, {REPEATS} times, in alternating order; a sweep's figure is its median run, "
        "a latency's its p99. The sweep runs table also gives the median of the ratios of "
        "each back-to-back pair (for information; the target is judged on the figure).",
        f"Due items per sweep run, made in both databases before either runs: {samples} raised "
        f"concerns (their pointers for the outbox; open past their deadline for escalation), "
        f"{samples} follow-ups due, {samples} concerns past retention; patterns sees the same "
        "concerns raised in its window.",
        "Seeding: the 10x rows are the 10x database's whole seeding (its first tenth is the "
        "same rows as the 1x database).",
        "Plans are EXPLAIN (ANALYZE, BUFFERS) of the sweep's statements, taken on a side "
        "connection just before each first ran (without FOR UPDATE), on both databases alike, "
        "not counted in its time; the plans shown are the 10x database's.",
    ]
    return result
