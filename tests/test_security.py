"""Security headers on every response; error pages in the app's look with no traceback or SQL."""

import pytest

from tests.helpers import AuthActions, csrf_token


@pytest.mark.parametrize("path", ["/login", "/admin/", "/nowhere", "/healthz"])
def test_security_headers_everywhere(client, auth, path):
    auth.login("viewer")
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_admin_scripts_carry_this_requests_nonce(client, auth):
    auth.login("viewer")
    first, second = client.get("/admin/pluginmeta/"), client.get("/admin/pluginmeta/")
    nonces = []
    for response in (first, second):
        nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
        assert f'<script nonce="{nonce}"' in response.get_data(as_text=True)
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_404_page_is_friendly(client, auth):
    auth.login("viewer")
    response = client.get("/admin/no-such-view/")
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and "There is nothing here." in html and "Plugin Prompt Admin" in html


def test_403_page_is_friendly(client, auth):
    auth.login("viewer")
    response = client.get("/admin/pluginmeta/new/")
    assert response.status_code == 403 and "Your role does not allow this." in response.get_data(as_text=True)


def test_500_page_shows_no_traceback_or_sql(make_app, users, caplog):
    app = make_app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("SELECT secret FROM plugin_meta -- Traceback")

    client = app.test_client()
    AuthActions(client).login("viewer")
    response = client.get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side." in html
    assert "SELECT" not in html and "Traceback" not in html and "RuntimeError" not in html
    assert "SELECT secret" in caplog.text  # logged for operators


def test_a_database_error_while_saving_is_shown_without_sql(client, auth, monkeypatch):
    from plugin_admin.extensions import db

    auth.login("editor")
    token = csrf_token(client, "/admin/pluginmeta/new/")

    def failing_commit():
        raise RuntimeError("INSERT INTO plugin_meta VALUES (secret)")

    monkeypatch.setattr(db.session, "commit", failing_commit)
    response = client.post(
        "/admin/pluginmeta/new/",
        data={"name": "x_plugin", "plugin_class": "static", "version": "1.0.0", "csrf_token": token},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "nothing was written" in html and "INSERT" not in html
