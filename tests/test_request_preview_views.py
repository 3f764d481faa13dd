"""The request preview in the app: the locator route, the details panel, the form endpoint."""

import json
import shlex

import pytest

from plugin_admin.extensions import db
from plugin_admin.models import PluginData, PluginMeta
from tests import factories
from tests.helpers import csrf_token

FORM_URL = "/admin/pluginprompt/request/"


@pytest.fixture
def prompt(app_context):
    return factories.plugin("harbour_facts", prompt={"temperature": 0.3}).plugin_prompt_plugin


def request_url(prompt, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/l/{prompt.record_locator}.request.json" + (f"?{query}" if query else "")


# --- /l/<prompt locator>.request.json ----------------------------------------------------------


def test_locator_gives_the_request_with_the_default_message(client, auth, prompt):
    auth.login("viewer")
    response = client.get(request_url(prompt))
    assert response.status_code == 200
    preview = response.json
    assert list(preview) == ["provider", "method", "url", "headers", "body", "curl"]  # in reading order, not sorted
    assert preview["url"] == "https://api.openai.com/v1/chat/completions"
    assert preview["headers"]["Authorization"] == "Bearer $OPENAI_API_KEY"
    body = preview["body"]
    assert body["messages"] == [
        {"role": "system", "content": "You are a test assistant."},
        {"role": "user", "content": "Hello"},
    ]
    assert (body["model"], body["temperature"], body["max_completion_tokens"]) == ("gpt-4o-mini", 0.3, 2048)
    assert list(body) == ["model", "messages", "temperature", "max_completion_tokens", "tools"]
    tool = body["tools"][0]["function"]
    assert tool["name"] == f"smarter_plugin_{prompt.plugin_id:010d}"
    assert tool["parameters"]["properties"]["inquiry_type"]["enum"] == ["answer"]


def test_locator_takes_the_sample_message(client, auth, prompt):
    auth.login("viewer")
    preview = client.get(request_url(prompt, message="When%20is%20high%20tide%3F")).json
    assert preview["body"]["messages"][1]["content"] == "When is high tide?"
    assert json.loads(shlex.split(preview["curl"])[-1]) == preview["body"]


@pytest.mark.parametrize(
    ("message", "says"), [("a%00b", "NUL character"), ("x" * 32001, "at most 32,000")], ids=["nul", "long"]
)
def test_a_bad_message_is_a_400_with_the_reason(client, auth, prompt, message, says):
    auth.login("viewer")
    response = client.get(request_url(prompt, message=message))
    assert response.status_code == 400 and says in response.json["error"]


def test_a_plugin_without_data_gets_an_error_entry_not_a_500(client, auth, app_context):
    prompt = factories.plugin("no_data", data=False).plugin_prompt_plugin
    auth.login("viewer")
    response = client.get(request_url(prompt))
    assert response.status_code == 200
    assert response.json["provider"] == "openai"
    assert "the plugin has no data yet" in response.json["error"]


def test_the_request_follows_a_committed_change(client, auth, prompt):
    auth.login("viewer")
    assert "temperature" in client.get(request_url(prompt)).json["body"]
    prompt.model, prompt.temperature = "o3", 1.0
    db.session.commit()
    body = client.get(request_url(prompt)).json["body"]
    assert body["model"] == "o3" and "temperature" not in body


@pytest.mark.parametrize(
    "locator",
    [
        "pluginprompt-rMTAwMDk5OQx",  # no such prompt
        "plugindata-rMTAwMDAwMQx",  # a record of another model
        "pluginmeta-rMTAwMDAwMQx",
        "pluginprompt-rOTk5OTk5OTk5OTk5OTk5OTk5OQx",  # decodes past any id
        "pluginprompt-1",
        "x" * 300,
    ],
)
def test_bad_or_other_model_locators_get_a_friendly_404(client, auth, prompt, locator):
    auth.login("viewer")
    response = client.get(f"/l/{locator}.request.json")
    assert response.status_code == 404
    assert "There is nothing here" in response.get_data(as_text=True)


def test_anonymous_visitors_log_in_first(client, users, prompt):
    response = client.get(request_url(prompt))
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_the_json_locator_still_serves_the_record(client, auth, prompt):
    auth.login("viewer")
    assert client.get(f"/l/{prompt.record_locator}.json").json["record_locator"] == prompt.record_locator


# --- the details page's Request panel ----------------------------------------------------------


def test_details_page_shows_the_request_body_and_the_curl_line(client, auth, prompt):
    auth.login("viewer")
    html = client.get(f"/admin/pluginprompt/details/?id={prompt.hashed_id}&message=Ahoy").get_data(as_text=True)
    assert 'id="request-panel"' in html
    assert "POST https://api.openai.com/v1/chat/completions" in html
    assert "&#34;max_completion_tokens&#34;: 2048" in html  # the pretty-printed body
    assert "Bearer $OPENAI_API_KEY" in html and "Ahoy" in html
    assert 'data-copy="#request-curl"' in html
    assert f"/l/{prompt.record_locator}.request.json?message=Ahoy" in html


def test_details_page_says_what_is_missing(client, auth, app_context):
    prompt = factories.plugin("bare", data=False).plugin_prompt_plugin
    auth.login("viewer")
    html = client.get(f"/admin/pluginprompt/details/?id={prompt.hashed_id}").get_data(as_text=True)
    assert "the plugin has no data yet" in html


def test_details_page_refuses_a_bad_message_with_the_reason(client, auth, prompt):
    auth.login("viewer")
    response = client.get(f"/admin/pluginprompt/details/?id={prompt.hashed_id}&message=a%00b")
    assert response.status_code == 200 and "NUL character" in response.get_data(as_text=True)


# --- the form endpoint --------------------------------------------------------------------------


def form_values(record, **overrides):
    values = {
        "plugin": record.hashed_id,
        "provider": "anthropic",
        "model": "claude-haiku-4-5",
        "temperature": "0.4",
        "max_completion_tokens": "900",
        "system_role": "You answer questions about the harbour.",
        "message": "Is the cafe open?",
    }
    return {**values, **overrides}


def test_form_endpoint_previews_unsaved_values_and_writes_nothing(client, auth, prompt):
    auth.login("editor")
    token = csrf_token(client, f"/admin/pluginprompt/edit/?id={prompt.hashed_id}")
    response = client.post(FORM_URL, data={**form_values(prompt.plugin), "csrf_token": token})
    assert response.status_code == 200
    preview = response.json
    assert preview["provider"] == "anthropic" and preview["headers"]["anthropic-version"] == "2023-06-01"
    body = preview["body"]
    assert body["system"] == "You answer questions about the harbour."
    assert (body["model"], body["temperature"], body["max_tokens"]) == ("claude-haiku-4-5", 0.4, 900)
    assert body["messages"] == [{"role": "user", "content": "Is the cafe open?"}]
    db.session.expire_all()
    assert (prompt.provider, prompt.temperature) == ("openai", 0.3)


def test_form_endpoint_gives_the_model_layers_messages_for_refused_values(client, auth, prompt):
    auth.login("editor")
    token = csrf_token(client, "/admin/pluginprompt/new/")
    values = form_values(prompt.plugin, temperature="1.5", max_completion_tokens="lots", message="a\x00b")
    response = client.post(FORM_URL, data={**values, "csrf_token": token})
    assert response.status_code == 422
    errors = response.json["errors"]
    assert "1.5 is above anthropic's range 0–1" in errors["temperature"][0]
    assert "is not a whole number" in errors["max_completion_tokens"][0]
    assert "NUL character" in errors["message"][0]


@pytest.mark.parametrize("plugin", ["", "rMTAwMDk5OQx", "rOTk5OTk5OTk5OTk5OTk5OTk5OQx", "not-an-id"])
def test_form_endpoint_without_a_known_plugin_says_so(client, auth, prompt, plugin):
    auth.login("editor")
    token = csrf_token(client, "/admin/pluginprompt/new/")
    response = client.post(FORM_URL, data={**form_values(prompt.plugin, plugin=plugin), "csrf_token": token})
    assert response.status_code == 200 and "belongs to no plugin yet" in response.json["error"]


def test_form_endpoint_reads_the_chosen_plugins_data(client, auth, app_context):
    plugin = factories.plugin("ferries", prompt=False, data=False, plugin_class="sql")
    db.session.add(
        PluginData(
            plugin=plugin,
            description="Next departures.",
            connection="harbour_db",
            sql_query="SELECT 1",
            parameters=[{"name": "pier", "type": "string", "description": "The pier.", "required": True}],
        )
    )
    db.session.commit()
    auth.login("editor")
    token = csrf_token(client, "/admin/pluginprompt/new/")
    values = form_values(plugin, provider="googleai", model="gemini-2.5-flash", temperature="0.4")
    preview = client.post(FORM_URL, data={**values, "csrf_token": token}).json
    declaration = preview["body"]["tools"][0]["functionDeclarations"][0]
    assert declaration["description"] == "Next departures."
    assert declaration["parameters"]["properties"]["pier"] == {"type": "STRING", "description": "The pier."}
    assert preview["url"].endswith("/models/gemini-2.5-flash:generateContent")


def test_form_endpoint_needs_the_csrf_token(client, auth, prompt):
    auth.login("editor")
    response = client.post(FORM_URL, data=form_values(prompt.plugin))
    assert response.status_code == 400


def test_form_endpoint_is_for_editors(client, auth, prompt):
    auth.login("viewer")
    token = csrf_token(client, "/admin/")
    assert client.post(FORM_URL, data={**form_values(prompt.plugin), "csrf_token": token}).status_code == 403


def test_edit_and_create_forms_carry_the_panel(client, auth, prompt):
    auth.login("editor")
    for url in (f"/admin/pluginprompt/edit/?id={prompt.hashed_id}", "/admin/pluginprompt/new/"):
        html = client.get(url).get_data(as_text=True)
        assert f'data-request-preview-url="{FORM_URL}"' in html


def test_no_key_from_the_environment_reaches_a_preview(client, auth, prompt, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-live-secret-value")
    auth.login("viewer")
    assert "sk-live-secret-value" not in client.get(request_url(prompt)).get_data(as_text=True)
    assert PluginMeta.get_cached_object(pk=prompt.plugin_id) is not None
