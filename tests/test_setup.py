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

from .live import free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_make_run_serves_healthz_and_prints_a_login(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}", SECRET_KEY="setup-test")
    # -o: this interpreter's environment is already installed; don't build .venv here
    command = ["make", "-s", "-o", ".venv/.installed", "run", f"PY={sys.executable}", f"PORT={port}", "DEMO_PLUGINS=25"]
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
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
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output, _ = server.communicate(timeout=20)
    assert "seeded 25 plugins" in output
    assert re.search(r"log in at http://127\.0\.0\.1:5000/login as: admin / \S{12,}", output)
