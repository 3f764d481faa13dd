"""The gunicorn_server fixture: real workers on a free port, the environment reaching the app's config."""

import urllib.request

import pytest

pytestmark = pytest.mark.slow


def test_gunicorn_server_serves_and_stops(gunicorn_server):
    server = gunicorn_server(workers=2, SQL_STATEMENT_HEADER="true")
    with urllib.request.urlopen(f"{server.url}/readiness", timeout=5) as response:
        assert response.status == 200
        assert response.headers["X-SQL-Statements"] == "1"  # the probe's SELECT 1
    server.stop()
    assert server.process.returncode is not None
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{server.url}/healthz", timeout=2)
