"""`flare serve` (what `make run` starts) serves the demo and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.web.browser import forms

FLARE = Path(sys.executable).parent / "flare"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _clean_env(var_dir: Path) -> dict[str, str]:
    """What `make run` starts on a fresh clone: FLARE_ENV=demo and no platform credentials."""
    prefixes = ("FLARE_", "SLACK_", "TEAMS_", "ENTRA_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env["FLARE_VAR_DIR"] = str(var_dir)
    env["FLARE_ENV"] = "demo"
    return env


def wait_until_serving(proc: subprocess.Popen[str] | subprocess.Popen[bytes], port: int) -> None:
    """Poll /healthz until `flare serve` answers; fail with its output if it exits first."""
    _wait_until_answers(proc, f"http://127.0.0.1:{port}/healthz")


def _wait_until_answers(proc: subprocess.Popen[str] | subprocess.Popen[bytes], url: str) -> None:
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
        wait_until_serving(proc, port)
        playground = httpx.get(f"{base}/playground", timeout=5)
        assert playground.status_code == 200
        assert "Amara Okafor" in playground.text and "How to try it" in playground.text
        assert playground.headers["Cache-Control"] == "no-store"
        assert httpx.get(f"{base}/", timeout=5).status_code == 200
        token = secrets.token_urlsafe(32)
        assert httpx.get(f"{base}/l/{token}", timeout=5).status_code == 200
        assert (tmp_path / "var" / "master.key").stat().st_mode & 0o777 == 0o600
    finally:
        output = _stop(proc)  # exit 0 on SIGINT, no traceback
    assert token not in output  # link tokens stay out of logs
    assert '"GET /l/' not in output  # the access log is held at WARNING like every library


@pytest.mark.slow
def test_demo_links_follow_flare_port_when_no_public_url_is_set(tmp_path: Path) -> None:
    port = _free_port()
    env = _clean_env(tmp_path / "var") | {"FLARE_ENV": "demo", "FLARE_PORT": str(port)}
    proc = subprocess.Popen(
        [str(FLARE), "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_serving(proc, port)
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=20)
    assert f"open http://127.0.0.1:{port}/playground" in output, output
    assert f"public_url=http://127.0.0.1:{port}" in output, output
    assert ":8000" not in output, output


@contextmanager
def _serving(tmp_path: Path, *args: str, **settings: str) -> Iterator[str]:
    """`flare serve` in demo on a free port, with more arguments and settings; its base URL."""
    port = _free_port()
    proc = subprocess.Popen(
        [str(FLARE), "serve", "--port", str(port), *args],
        cwd=tmp_path,
        env={**_clean_env(tmp_path / "var"), **settings},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(proc, port)
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def _guesses_from(base: str, forwarded: list[str]) -> list[int]:
    """One wrong link token per X-Forwarded-For value, all from this (loopback) peer."""
    statuses = []
    with httpx.Client(base_url=base, timeout=5) as browser:
        for client in forwarded:
            path = f"/l/{secrets.token_urlsafe(32)}"
            headers = {"X-Forwarded-For": client}
            form = forms(browser.get(path, headers=headers).text)[-1]
            posted = browser.post(path, data=dict(form.fields), headers=headers)
            statuses.append(posted.status_code)
    return statuses


@pytest.mark.slow
def test_flare_serve_believes_x_forwarded_for_only_from_the_proxies_it_is_given(
    tmp_path: Path,
) -> None:
    clients = [f"203.0.113.{i}" for i in range(1, 5)]
    # By default only loopback is a trusted proxy: each forwarded client has its own allowance.
    with _serving(tmp_path, FLARE_LINK_GUESSES_PER_MINUTE="2") as base:
        assert _guesses_from(base, clients) == [404] * 4
    # Named proxies replace loopback: the header from 127.0.0.1 is now ignored.
    with _serving(
        tmp_path, "--forwarded-allow-ips", "10.0.0.0/8", FLARE_LINK_GUESSES_PER_MINUTE="2"
    ) as base:
        assert _guesses_from(base, clients) == [404, 404, 429, 429]


@pytest.mark.slow
def test_a_bad_forwarded_allow_ips_stops_serve_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(FLARE), "serve", "--forwarded-allow-ips", "the-load-balancer"],
        cwd=tmp_path,
        env=_clean_env(tmp_path / "var"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("flare: bad setting FLARE_TRUSTED_PROXIES:")
    assert len(result.stderr.strip().splitlines()) == 1


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
        # A demo database of its own: SQLite mode refuses a second process on one file.
        worker = subprocess.Popen(
            [str(FLARE), "worker"],
            cwd=tmp_path,
            env=_clean_env(tmp_path / "worker-var")
            | {"FLARE_ENV": "demo", "FLARE_METRICS_PORT": str(worker_metrics)},
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


@pytest.mark.slow
def test_the_demo_console_is_quiet_between_events(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [str(FLARE), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=_clean_env(tmp_path / "var") | {"FLARE_ENV": "demo", "FLARE_LOG_LEVEL": "INFO"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_serving(proc, port)
        httpx.get(f"http://127.0.0.1:{port}/playground", timeout=5)
        time.sleep(4)  # four outbox ticks and the first run of every sweep
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=20)
    lines = output.strip().splitlines()
    # Start-up says what it did and where to go; ticks, requests and libraries say nothing.
    assert not [line for line in lines if "apscheduler" in line or "Running job" in line]
    assert not [line for line in lines if "GET /" in line or "uvicorn" in line], output
    assert len(lines) <= 8, output
