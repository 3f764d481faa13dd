"""What an operator meets: a prompt form that follows the provider, row links that open the
record, messages that name it, the jump box, the login page naming a shared record."""

import re

import pytest

from plugin_admin.extensions import db
from plugin_admin.models import PluginPrompt
from tests import factories
from tests.browser.server import log_in
from tests.helpers import PASSWORD

WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def signed_in(new_context, live_server, width, who="editor", path="/admin/"):
    page = new_context().new_page()
    page.set_viewport_size(WIDTHS[width])
    page.goto(path)
    log_in(page, live_server, who, PASSWORD)
    return page


def jump(page, text: str) -> None:
    """Type into the navbar's jump box (behind the menu button on a phone)."""
    if not page.is_visible("#jump-q"):
        page.click("button.navbar-toggler")
    page.fill("#jump-q", text)
    with page.expect_navigation():
        page.press("#jump-q", "Enter")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_prompt_form_follows_the_provider_at_once(app_context, users, new_context, live_server, width):
    prompt = factories.plugin("lighthouse_cafe", prompt={"temperature": 1.1}).plugin_prompt_plugin
    page = signed_in(new_context, live_server, width, path=f"/admin/pluginprompt/edit/?id={prompt.hashed_id}")
    assert page.get_attribute("#temperature", "max") == "2"
    assert page.get_attribute("#max_completion_tokens", "max") == "16384"

    page.select_option("#provider", "anthropic")
    assert "gpt-4o-mini is not one of Anthropic's models" in page.inner_text("#model-live-check")
    assert page.get_attribute("#model", "aria-invalid") == "true"
    assert "1.1 is outside Anthropic's range 0–1" in page.inner_text("#temperature-live-check")
    assert page.get_attribute("#temperature", "max") == "1"
    choices = page.locator("#model-live-check button.model-choice").all_inner_texts()
    assert "claude-sonnet-4-5" in choices and "gpt-4o-mini" not in choices

    page.click("#model-live-check button:text-is('claude-sonnet-4-5')")
    assert page.input_value("#model") == "claude-sonnet-4-5"
    assert page.inner_text("#model-live-check") == "" and page.get_attribute("#model", "aria-invalid") is None
    assert page.get_attribute("#max_completion_tokens", "max") == "64000"
    page.fill("#max_completion_tokens", "70000")
    assert "above claude-sonnet-4-5's maximum output of 64,000" in page.inner_text("#max_completion_tokens-live-check")
    page.fill("#max_completion_tokens", "4096")
    page.fill("#temperature", "0.7")
    assert page.inner_text("#temperature-live-check") == ""

    page.click("input[type=submit][value=Save]")
    page.wait_for_url(re.compile(r"/admin/pluginprompt/(\?.*)?$"))
    assert page.inner_text(".alert-success").strip().startswith("Saved prompt of lighthouse_cafe.")
    db.session.expire_all()
    saved = db.session.get(PluginPrompt, prompt.id)
    assert (saved.provider, saved.model, saved.temperature) == ("anthropic", "claude-sonnet-4-5", 0.7)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_prompt_rows_main_link_opens_the_prompt(app_context, users, new_context, live_server, width):
    prompt = factories.plugin("lighthouse_cafe").plugin_prompt_plugin
    for who, view in (("editor", "edit"), ("viewer", "details")):
        page = signed_in(new_context, live_server, width, who, "/admin/pluginprompt/")
        link = page.locator("tr", has_text="lighthouse_cafe").locator("a.row-link")
        assert link.inner_text() == "lighthouse_cafe" and link.is_visible()
        link.click()
        page.wait_for_url(f"**/admin/pluginprompt/{view}/?id={prompt.hashed_id}")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_jump_box_goes_to_a_record_by_name_locator_or_hashed_id(
    app_context, users, new_context, live_server, width
):
    cafe = factories.plugin("lighthouse_cafe")
    factories.plugin("lighthouse_tours")
    page = signed_in(new_context, live_server, width, "viewer")

    jump(page, "Lighthouse Cafe")  # typed as a person would: cleaned to the plugin name
    assert page.url.endswith(f"/admin/pluginmeta/details/?id={cafe.hashed_id}")
    jump(page, cafe.plugin_prompt_plugin.record_locator)
    assert page.url.endswith(f"/admin/pluginprompt/details/?id={cafe.plugin_prompt_plugin.hashed_id}")

    jump(page, cafe.hashed_id)  # the first row of each table: one match per table
    assert "names 4 records" in page.inner_text("#jump-result")
    page.click("ul.jump-matches a:has-text('Selectors')")
    page.wait_for_url(f"**/admin/pluginselector/details/?id={cafe.plugin_selector_plugin.hashed_id}")

    jump(page, "lighthouse")
    assert "/admin/pluginmeta/?search=lighthouse" in page.url
    assert page.locator("td.col-name").all_inner_texts() == ["lighthouse_tours", "lighthouse_cafe"]

    jump(page, "no-such-thing")
    assert "No plugin, record locator or hashed id matches “no-such-thing”" in page.inner_text("#jump-result")
    assert page.input_value("#jump-q") == "no-such-thing"  # kept, to correct


@pytest.mark.parametrize("width", WIDTHS)
def test_the_login_page_names_the_shared_record_waiting_behind_it(app_context, users, new_context, live_server, width):
    data = factories.plugin("lighthouse_cafe").plugin_data_plugin
    page = new_context().new_page()
    page.set_viewport_size(WIDTHS[width])
    page.goto(f"/l/{data.record_locator}")
    waiting = page.locator("#waiting-record")
    assert waiting.is_visible() and f"opens the data record {data.record_locator}" in waiting.inner_text()
    log_in(page, live_server, "viewer", PASSWORD)
    assert page.url.endswith(f"/admin/plugindata/details/?id={data.hashed_id}")
