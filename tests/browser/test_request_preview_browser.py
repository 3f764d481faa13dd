"""The Request panel in headless Chromium: the prompt forms' panel follows unsaved values (provider,
model, temperature, message, the picked plugin); the details page's Copy button copies the curl line."""

import json

from playwright.sync_api import expect

from plugin_admin.extensions import db
from tests import factories
from tests.browser.server import log_in
from tests.browser.test_admin_browser import pick_plugin
from tests.helpers import PASSWORD


def body_of(page) -> dict:
    return json.loads(page.inner_text("[data-request-body]"))


def test_edit_form_panel_follows_provider_and_model_before_saving(app_context, users, new_context, live_server):
    prompt = factories.plugin("harbour_facts", prompt={"temperature": 0.3}).plugin_prompt_plugin
    page = new_context().new_page()
    page.goto(f"/admin/pluginprompt/edit/?id={prompt.hashed_id}")
    log_in(page, live_server, "editor", PASSWORD)
    panel = page.locator("#request-panel")

    # as saved: OpenAI, gpt-4o-mini
    expect(page.locator("[data-request-line]")).to_contain_text("api.openai.com")  # (the CSP forbids eval)
    assert body_of(page)["model"] == "gpt-4o-mini"
    assert body_of(page)["messages"][0] == {"role": "system", "content": "You are a test assistant."}

    # another provider and model, unsaved: the panel shows that provider's request
    page.select_option("#provider", "anthropic")
    page.fill("#model", "claude-haiku-4-5")
    expect(page.locator("[data-request-line]")).to_contain_text("api.anthropic.com")
    body = body_of(page)
    assert (body["model"], body["system"], body["max_tokens"]) == (
        "claude-haiku-4-5",
        "You are a test assistant.",
        2048,
    )
    assert "anthropic-version: 2023-06-01" in panel.inner_text()

    # a reasoning model gets no temperature; the sample message goes in as the user's
    page.select_option("#provider", "openai")
    page.fill("#model", "o3")
    expect(page.locator("[data-request-errors]")).to_contain_text("o3 accepts only its default temperature 1")
    page.fill("#temperature", "1")
    page.fill("#request-message", "When is high tide?")
    expect(page.locator("[data-request-body]")).to_contain_text("When is high tide?")
    expect(page.locator("[data-request-body]")).to_contain_text('"o3"')
    assert "temperature" not in body_of(page)
    assert "Bearer $OPENAI_API_KEY" in page.input_value("#request-curl")

    # a value the catalog refuses: its message, not a stale request
    page.fill("#model", "gpt-4o")
    page.fill("#temperature", "7")
    expect(page.locator("[data-request-errors]")).to_contain_text("7 is above openai's range 0–2")
    assert "7 is above openai's range 0–2" in page.inner_text("[data-request-errors]")
    assert page.inner_text("[data-request-body]") == ""

    # nothing was saved along the way
    db.session.expire_all()
    assert (prompt.provider, prompt.model, prompt.temperature) == ("openai", "gpt-4o-mini", 0.3)


def test_details_panel_copies_the_curl_line(app_context, users, new_context, live_server):
    prompt = factories.plugin("harbour_facts").plugin_prompt_plugin
    page = new_context().new_page()
    page.goto(f"/admin/pluginprompt/details/?id={prompt.hashed_id}")
    log_in(page, live_server, "viewer", PASSWORD)
    page.fill("#request-message", "Ahoy")
    page.click("#request-panel button[type=submit]")
    page.wait_for_url("**message=Ahoy**")
    assert body_of(page)["messages"][1] == {"role": "user", "content": "Ahoy"}
    page.click("#request-panel [data-copy]")
    expect(page.locator("#request-panel [data-copy-status]")).to_have_text("Curl line copied.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.input_value("#request-curl") and copied.startswith("curl -sS -X POST")


def test_new_prompt_panel_follows_the_picked_plugin(app_context, users, new_context, live_server):
    factories.plugin("tide_tables", prompt=False)
    page = new_context().new_page()
    page.goto("/admin/pluginprompt/new/")
    log_in(page, live_server, "editor", PASSWORD)
    page.fill("#system_role", "You give tide times.")
    expect(page.locator("[data-request-errors]")).to_contain_text("belongs to no plugin yet")
    pick_plugin(page, "tide_tables")  # a select2 lookup: its change event is jQuery's
    expect(page.locator("[data-request-body]")).to_contain_text("smarter_plugin_0000000001")
    expect(page.locator("[data-request-errors]")).to_be_hidden()
