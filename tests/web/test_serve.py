"""`flare serve` (what `make run` starts) serves the demo and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

FLARE = Path(sys.executable).parent / "flare"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _clean_env(var_dir: Path) -> dict[str, str]:
    """No FLARE_ENV and no platform credentials: what a fresh clone runs with."""
    prefixes = ("FLARE_", "SLACK_", "TEAMS_", "ENTRA_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env["FLARE_VAR_DIR"] = str(var_dir)
    return env


@pytest.mark.slow
def test_flare_serve_starts_serves_and_stops_on_sigint(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [str(FLARE), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=_clean_env(tmp_path / "var"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()[0]
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "flare serve did not answer /healthz"
            time.sleep(0.2)
        playground = httpx.get(f"{base}/playground", timeout=5)
        assert playground.status_code == 200
        assert "Amara Okafor" in playground.text and "How to try it" in playground.text
        assert playground.headers["Cache-Control"] == "no-store"
        assert httpx.get(f"{base}/", timeout=5).status_code == 200
        token = secrets.token_urlsafe(32)
        assert httpx.get(f"{base}/l/{token}", timeout=5).status_code == 200
        assert (tmp_path / "var" / "master.key").stat().st_mode & 0o777 == 0o600
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            output, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
            pytest.fail(f"flare serve did not stop within 10 s on SIGINT:\n{output}")
    assert proc.returncode == 0, output
    assert "Traceback" not in output, output
    assert token not in output and "/l/[redacted]" in output  # link tokens stay out of logs


def _wait_until_answers(proc: subprocess.Popen[str], url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, proc.communicate()[0]
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"nothing answered {url}"
        time.sleep(0.2)


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    try:
        output, _ = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
        pytest.fail(f"did not stop within 15 s on SIGINT:\n{output}")
    assert proc.returncode == 0, output
    assert "Traceback" not in output, output
    return output


@pytest.mark.slow
def test_serve_and_worker_serve_metrics_on_their_own_port_only(tmp_path: Path) -> None:
    env = _clean_env(tmp_path / "var") | {"FLARE_ENV": "demo"}
    port, serve_metrics, worker_metrics = _free_port(), _free_port(), _free_port()
    serve = subprocess.Popen(
        [str(FLARE), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env | {"FLARE_METRICS_PORT": str(serve_metrics)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    worker: subprocess.Popen[str] | None = None
    try:
        _wait_until_answers(serve, f"http://127.0.0.1:{port}/healthz")
        _wait_until_answers(serve, f"http://127.0.0.1:{serve_metrics}/metrics")
        scraped = httpx.get(f"http://127.0.0.1:{serve_metrics}/metrics", timeout=5)
        assert "flare_outbox_depth" in scraped.text
        public = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert public.status_code == 404 and "flare_outbox" not in public.text
        assert httpx.get(f"http://127.0.0.1:{serve_metrics}/", timeout=5).status_code == 404
        worker = subprocess.Popen(
            [str(FLARE), "worker"],
            cwd=tmp_path,
            env=env | {"FLARE_METRICS_PORT": str(worker_metrics)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        _wait_until_answers(worker, f"http://127.0.0.1:{worker_metrics}/metrics")
        scraped = httpx.get(f"http://127.0.0.1:{worker_metrics}/metrics", timeout=5)
        assert "flare_outbox_depth" in scraped.text
    finally:
        _stop(serve)
        if worker is not None:
            _stop(worker)


def test_a_metrics_port_in_use_stops_start_up_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        env = _clean_env(tmp_path / "var") | {"FLARE_ENV": "demo", "FLARE_METRICS_PORT": str(busy)}
        done = subprocess.run(
            [str(FLARE), "worker"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2, done.stderr
    assert "FLARE_METRICS_PORT" in done.stderr and "Traceback" not in done.stderr
