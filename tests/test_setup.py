"""A newcomer's path: `make run` migrates, seeds, prints a login and serves /healthz."""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .live import Client, free_port

ROOT = Path(__file__).resolve().parent.parent


LOGIN = r"log in at http://127\.0\.0\.1:{port}/login as: admin / (\S{{12,}})"


def make_run(port: int) -> list[str]:
    """``make run`` on ``port``, in this interpreter's environment."""
    # -o: this interpreter's environment is already installed; don't build .venv here
    return ["make", "-s", "-o", ".venv/.installed", "run", f"PY={sys.executable}", f"PORT={port}", "DEMO_PLUGINS=25"]


def run_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}", SECRET_KEY="setup-test")
    return env


@pytest.mark.slow
def test_make_run_serves_healthz_and_prints_a_login_that_a_second_start_keeps(tmp_path):
    port = free_port()
    log = tmp_path / "first-start.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            make_run(port), cwd=ROOT, env=run_env(tmp_path), stdout=out, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.status == 200 and b'"ok"' in response.read()
                    break
            except OSError:
                assert server.poll() is None, "make run exited early"
                assert time.monotonic() < deadline, "make run did not serve /healthz within 60 s"
                time.sleep(0.3)
        output = log.read_text()
        assert "seeded 25 plugins" in output
        login = re.search(LOGIN.format(port=port), output)
        assert login, f"no login for port {port} printed: {output}"
        # A second start (failing: the port is taken) prints the same login and leaves it working.
        again = subprocess.run(make_run(port), cwd=ROOT, env=run_env(tmp_path), capture_output=True,
                               text=True, timeout=120)  # fmt: skip
        assert again.returncode != 0
        assert re.search(LOGIN.format(port=port), again.stdout).group(1) == login.group(1), again.stdout
        Client(f"http://127.0.0.1:{port}").login("admin", login.group(1))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
