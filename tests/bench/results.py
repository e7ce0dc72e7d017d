"""What a bench hands back, and how it is written: one JSON and one markdown file per bench.

Every figure names its baseline, measured in the same run, and the ratio to it. A target,
when the issue sets one, is stated with whether it was met, so a reader never has to
recompute a verdict.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def latency(values: list[float]) -> dict[str, float]:
    """p50/p95/p99/mean of samples in milliseconds."""
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "mean": statistics.mean(values),
    }


@dataclass
class Figure:
    """One measured value, its baseline (same run) and, if the issue set one, a target."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: str = ""  # e.g. "ratio <= 2"
    limit: float | None = None  # the number in the target
    higher_is_better: bool = False  # the ratio is value / baseline either way
    on_value: bool = False  # the target is on the value itself, not on the ratio

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline

    @property
    def met(self) -> bool | None:
        if self.limit is None:
            return None
        subject = self.value if self.on_value or self.ratio is None else self.ratio
        return subject >= self.limit if self.higher_is_better else subject <= self.limit

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio, "met": self.met}


@dataclass
class BenchResult:
    name: str
    title: str
    params: dict[str, Any] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    plans: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "params": self.params,
            "figures": [f.as_json() for f in self.figures],
            "tables": self.tables,
            "plans": self.plans,
            "notes": self.notes,
        }


def machine() -> dict[str, Any]:
    memory = ""
    try:
        with open("/proc/meminfo") as info:
            kib = int(info.readline().split()[1])
            memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cores": os.cpu_count(),
        "memory": memory,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "system": platform.platform(terse=True),
        "postgres": _postgres_version(),
    }


def _postgres_version() -> str:
    try:
        out = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "show server_version"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip()


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 1000:
        text = f"{value:,.0f}"
    else:
        text = f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
    return f"{text} {unit}".strip()


def markdown(data: dict[str, Any]) -> str:
    m = data["machine"]
    lines = [
        f"# {data['title']}",
        "",
        f"Run {data['at']} on {m['cores']} cores, {m['memory']}, load average "
        f"{m['load_average']} at the end, Python {m['python']}, PostgreSQL {m['postgres']}.",
        "",
        "Parameters: " + ", ".join(f"`{k}={v}`" for k, v in data["params"].items()),
        "",
        "| figure | value | baseline (same run) | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for f in data["figures"]:
        met = {True: "**yes**", False: "**no**", None: ""}[f["met"]]
        ratio = "-" if f["ratio"] is None else f"{f['ratio']:.2f}"
        base = (
            f"{_number(f['baseline'], f['unit'])} ({f['baseline_name']})"
            if f["baseline"] is not None
            else "-"
        )
        lines.append(
            f"| {f['name']} | {_number(f['value'], f['unit'])} | {base} | {ratio} "
            f"| {f['target']} | {met} |"
        )
    for title, rows in data["tables"].items():
        if not rows:
            continue
        keys = list(rows[0])
        lines += ["", f"## {title}", "", "| " + " | ".join(keys) + " |"]
        lines.append("|" + "---|" * len(keys))
        for row in rows:
            cells = [_number(v) if isinstance(v, float) else str(v) for v in row.values()]
            lines.append("| " + " | ".join(cells) + " |")
    if data["notes"]:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in data["notes"]]
    for title, plan in data["plans"].items():
        lines += ["", f"### Plan: {title}", "", "```", plan.rstrip(), "```"]
    return "\n".join(lines) + "\n"


def write(result: BenchResult, out: Path) -> Path:
    """Write `<name>.json` and `<name>.md` under `out`; returns the JSON path."""
    out.mkdir(parents=True, exist_ok=True)
    data = result.as_json()
    path = out / f"{result.name}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    (out / f"{result.name}.md").write_text(markdown(data))
    print(markdown(data))
    return path


def write_summary(out: Path) -> Path:
    """`README.md` under `out`: every figure of every bench whose JSON is there, one table."""
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` from the JSON files here (one per bench, each with its own",
        "markdown, plans and notes). Every baseline was measured in the same run as its figure.",
        "",
        "| bench | run at | figure | value | baseline | ratio | target | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for path in sorted(out.glob("*.json")):
        data = json.loads(path.read_text())
        for f in data["figures"]:
            met = {True: "yes", False: "**no**", None: ""}[f["met"]]
            ratio = "-" if f["ratio"] is None else f"{f['ratio']:.2f}"
            base = _number(f["baseline"], f["unit"]) if f["baseline"] is not None else "-"
            lines.append(
                f"| [{data['name']}]({data['name']}.md) | {data['at']} | {f['name']} "
                f"| {_number(f['value'], f['unit'])} | {base} | {ratio} | {f['target']} | {met} |"
            )
    target = out / "README.md"
    target.write_text("\n".join(lines) + "\n")
    return target


def round_p99(rounds: list[list[float]]) -> float:
    """The median over rounds of each round's p99: on a shared machine one stalled round
    (someone else's burst) sets the pooled p99 on its own; this shows the typical round."""
    return statistics.median(percentile(r, 99) for r in rounds if r)
