"""The gunicorn_server fixture: real workers on a free port, the environment reaching the app's config."""

import urllib.request

import pytest

from .live import LiveServer

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


def test_several_workers_on_a_process_local_cache_are_refused(database_uri):
    """Each worker would show the others' changes late: gunicorn stops and says what to set."""
    server = LiveServer({"DATABASE_URL": database_uri, "CACHE_URL": "", "SECRET_KEY": "x"}, workers=2, start_timeout=20)
    with pytest.raises(RuntimeError, match="exited with 1") as refused:
        server.__enter__()
    assert "Set CACHE_URL to a shared cache" in str(refused.value)
