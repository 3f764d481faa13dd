"""The browser tests' own plumbing: skip reasons and the live server."""

import urllib.request

from tests.browser import server


def test_a_missing_chromium_is_named(monkeypatch):
    monkeypatch.setattr(server, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setattr(server.shutil, "which", lambda name: None)
    assert server.browser_problem() == "/nonexistent/chromium is not installed"


def test_live_server_serves_the_app_and_stops(app):
    with server.live_server(app) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{base_url}/healthz", timeout=5) as response:
            assert response.status == 200
    try:
        urllib.request.urlopen(f"{base_url}/healthz", timeout=2).close()
    except OSError:
        pass
    else:
        raise AssertionError("the live server still answers after it was stopped")
