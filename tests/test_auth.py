"""Login, logout, the login gate, safe ``next`` redirects and the session cookie."""

import pytest

from tests import factories
from tests.helpers import PASSWORD, csrf_token


def test_anonymous_requests_go_to_login_and_keep_their_destination(client, users):
    response = client.get("/admin/pluginprompt/?page=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/admin/pluginprompt/?page%3D1"
    assert client.head("/admin/").status_code == 302


def test_amnesty_urls_and_static_files_need_no_login(client):
    for path in ("/healthz", "/static/js/admin.js", "/admin/static/vendor/jquery.min.js"):
        response = client.get(path)
        response.close()
        assert response.status_code == 200, path


def test_login_then_back_to_next(client, users):
    token = csrf_token(client, "/login?next=/admin/pluginmeta/")
    response = client.post(
        "/login", data={"username": "viewer", "password": PASSWORD, "next": "/admin/pluginmeta/", "csrf_token": token}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/admin/pluginmeta/"
    assert client.get("/admin/pluginmeta/").status_code == 200


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil",
        "/%0d%0aX:1\r\n",
        "",
    ],
)
def test_unsafe_next_goes_to_the_dashboard(client, users, target):
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"username": "viewer", "password": PASSWORD, "next": target, "csrf_token": token}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"


def test_wrong_password_is_refused_with_a_message_and_the_username_kept(client, users):
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"username": "editor", "password": "nope-nope", "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Unknown username or wrong password." in html and 'value="editor"' in html
    assert client.get("/admin/").status_code == 302


def test_inactive_user_cannot_log_in(client, users, app_context):
    from plugin_admin.extensions import db

    editor = db.session.merge(users["editor"])
    editor.active = False
    db.session.commit()
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"username": "editor", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 200 and "wrong password" in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client, users):
    response = client.post("/login", data={"username": "editor", "password": PASSWORD})
    assert response.status_code == 400
    assert "The form had expired" in response.get_data(as_text=True)


def test_logout_is_post_only_and_ends_the_session(client, auth):
    auth.login("viewer")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert client.get("/admin/").status_code == 200
    response = auth.logout()
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/admin/").status_code == 302


def test_session_cookie_is_httponly_and_samesite(client, auth):
    response = auth.login("viewer")
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logged_in_user_visiting_login_goes_on(client, auth):
    auth.login("viewer")
    response = client.get("/login?next=/admin/plugindata/")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/plugindata/"


def test_anonymous_post_is_refused(client, users):
    token = csrf_token(client, "/login")
    response = client.post("/admin/pluginmeta/new/", data={"name": "x", "csrf_token": token})
    assert response.status_code == 401


def test_the_login_page_names_the_record_a_shared_link_is_waiting_to_open(app_context, client, users):
    prompt = factories.plugin("lighthouse_cafe").plugin_prompt_plugin
    response = client.get(f"/l/{prompt.record_locator}", follow_redirects=True)
    body = response.get_data(as_text=True)
    assert f"it opens the prompt record <code>{prompt.record_locator}</code>" in body
    assert "lighthouse_cafe" not in body  # nothing of the record before a login
    for path in ("/admin/pluginprompt/", "/l/nonsense", "/l/pluginprompt-rZZZZ"):
        assert "A shared link is waiting" not in client.get(path, follow_redirects=True).get_data(as_text=True)
