"""SQLite mode is single-process: a second `flare serve` or `flare worker` on the same file
is refused in one clear line, and PostgreSQL is named as the way to run several."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from store.db import make_engine
from store.single_process import DatabaseInUse, hold_single_process_lock, lock_path
from tests.web.test_serve import FLARE, _clean_env, _free_port, wait_until_serving

HOLD = """
import sys, time
from store.db import make_engine
from store.single_process import hold_single_process_lock
hold_single_process_lock(make_engine(sys.argv[1]))
print("held", flush=True)
time.sleep(60)
"""


def test_a_second_process_on_one_sqlite_file_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'flare.db'}"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, url], stdout=subprocess.PIPE, text=True, cwd=os.getcwd()
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(DatabaseInUse) as refused:
            hold_single_process_lock(make_engine(url))
        assert refused.value.holder == str(holder.pid)
    finally:
        holder.kill()
        holder.wait()
    hold_single_process_lock(make_engine(url))  # free again once the holder has gone
    hold_single_process_lock(make_engine(url))  # and taking it twice in one process is fine


def test_postgres_and_memory_databases_take_no_lock() -> None:
    assert lock_path(make_engine("sqlite://")) is None
    assert lock_path(make_engine("postgresql://flare@127.0.0.1:1/flare")) is None


@pytest.mark.slow
def test_flare_serve_and_worker_refuse_a_sqlite_file_another_serve_holds(tmp_path: Path) -> None:
    env = _clean_env(tmp_path / "var") | {"FLARE_ENV": "demo"}
    port = _free_port()
    first = subprocess.Popen(
        [str(FLARE), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_serving(first, port)
        for command in (["serve", "--port", str(_free_port())], ["worker"]):
            second = subprocess.run(
                [str(FLARE), *command],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert second.returncode == 2, (command, second.stderr)
            line = second.stderr.strip().splitlines()[-1]
            assert "is in use by another Flare process" in line, line
            assert f"(pid {first.pid})" in line and "PostgreSQL" in line, line
            assert "Traceback" not in second.stderr
    finally:
        first.terminate()
        first.wait(timeout=20)
