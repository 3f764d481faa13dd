"""Record locators: ``/l/<locator>`` to the details page (through login), ``.json``, friendly 404s."""

import pytest

from tests import factories
from tests.helpers import PASSWORD, csrf_token


@pytest.fixture
def prompt(app_context):
    return factories.plugin().plugin_prompt_plugin


def test_logged_in_user_goes_to_the_details_page(client, auth, prompt):
    auth.login("viewer")
    response = client.get(f"/l/{prompt.record_locator}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/pluginprompt/details/?id={prompt.hashed_id}"


def test_anonymous_user_logs_in_and_lands_on_the_record(client, users, prompt):
    locator_url = f"/l/{prompt.record_locator}"
    response = client.get(locator_url)
    assert response.headers["Location"] == f"/login?next={locator_url}"
    token = csrf_token(client, response.headers["Location"])
    login = client.post(
        "/login", data={"username": "viewer", "password": PASSWORD, "next": locator_url, "csrf_token": token}
    )
    assert login.headers["Location"] == locator_url
    details = client.get(locator_url, follow_redirects=True)
    assert details.status_code == 200 and prompt.record_locator in details.get_data(as_text=True)


def test_json_gives_to_json(client, auth, prompt):
    auth.login("viewer")
    response = client.get(f"/l/{prompt.record_locator}.json")
    assert response.status_code == 200 and response.json == prompt.to_json() | {
        "elapsed_updated": response.json["elapsed_updated"]
    }
    assert response.json["plugin"] == prompt.plugin.record_locator


@pytest.mark.parametrize(
    "locator",
    [
        "pluginprompt-rMTAwMDk5OQx",  # well formed, no such record
        "pluginmeta-rMTAwMDAwMgx",  # the prompt's hashed id under another model: id 2 is no plugin
        "nosuchmodel-rMTAwMDAwMQx",
        "pluginprompt-1",
        "pluginprompt-",
        "rMTAwMDAwMQx",
        "plugin prompt-rMTAwMDAwMQx",
        "pluginprompt-rMTAwMDAwMQx'--",
        "x" * 300,
    ],
)
def test_unknown_or_malformed_locators_get_a_friendly_404(client, auth, prompt, locator):
    auth.login("viewer")
    for url in (f"/l/{locator}", f"/l/{locator}.json"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "There is nothing here." in response.get_data(as_text=True)


def test_user_locators_are_for_admins_only(client, auth, users):
    locator = users["admin"].record_locator
    auth.login("editor")
    assert client.get(f"/l/{locator}").status_code == 403
    assert client.get(f"/l/{locator}.json").status_code == 403
    auth.logout()
    auth.login("admin")
    data = client.get(f"/l/{locator}.json").json
    assert data["username"] == "admin" and "password_hash" not in data
