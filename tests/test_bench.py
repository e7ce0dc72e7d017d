"""`make bench` at toy sizes: every bench runs end to end and writes sane results.

This keeps the harness honest between full runs: each bench's JSON and markdown appear,
every figure is a finite number, every baseline was measured, and a stated target carries
its verdict. It says nothing about Flare's speed; benchmarks/results/ holds the full run.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench.__main__ import BENCHES

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.postgres
@pytest.mark.slow
def test_every_bench_runs_at_toy_size_and_writes_finite_figures(
    pg_url: str, tmp_path: Path
) -> None:
    """The benches run side by side (each has its own database and ports) to keep this short."""
    env = {**os.environ, "FLARE_ENV": "test", "PYTHONPATH": str(ROOT)}
    logs = {name: tmp_path / f"{name}.log" for name in BENCHES}
    runs = {
        name: subprocess.Popen(
            [sys.executable, "-m", "tests.bench", "--tiny", "--only", name, "--out", str(tmp_path)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=logs[name].open("w"),
        )
        for name in BENCHES
    }
    for name, run in runs.items():
        run.wait(timeout=240)
        assert run.returncode == 0, f"{name}: {logs[name].read_text()[-3000:]}"
    for name in BENCHES:
        data = json.loads((tmp_path / f"{name}.json").read_text())
        assert (tmp_path / f"{name}.md").read_text().startswith("# ")
        assert data["machine"]["cores"] and data["figures"], name
        for figure in data["figures"]:
            assert math.isfinite(figure["value"]), (name, figure["name"])
            if figure["baseline"] is not None:
                assert math.isfinite(figure["baseline"]) and figure["baseline"] > 0
            if figure["limit"] is not None:
                assert figure["met"] in (True, False), (name, figure["name"])
    store = json.loads((tmp_path / "store.json").read_text())
    for sweep in ("outbox", "patterns", "reminders", "escalation", "retention"):
        assert any(t.startswith(f"{sweep} #") for t in store["plans"]), sweep
    assert all("Scan" in plan for plan in store["plans"].values())


def test_seeding_without_a_terminal_says_its_progress_in_lines(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """click draws no bar when stderr is a file (a log, CI): the seeder writes lines instead."""
    from tests.bench import store_seed

    monkeypatch.setattr(store_seed, "PROGRESS_SECONDS", 0.0)
    loader = store_seed.Loader(None, 1_000, "seeding 10x")  # type: ignore[arg-type]
    with loader.bar:
        loader._moved("clients", 250)
        loader._moved("audit_events", 250)
    lines = [line for line in capsys.readouterr().err.splitlines() if "rows" in line]
    assert lines[0].startswith("seeding 10x: 250 of 1,000 rows (25%)")
    assert lines[1].startswith("seeding 10x: 500 of 1,000 rows (50%)")
