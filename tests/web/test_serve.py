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
    assert token not in output  # link tokens stay out of logs
    assert '"GET /l/' not in output  # the access log is held at WARNING like every library
