"""axe-core on every page, at a desktop and a phone width: no serious or critical violation."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests import factories
from tests.browser.server import log_in
from tests.helpers import PASSWORD

WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
BLOCKING = {"serious", "critical"}


def pages(plugin) -> list[str]:
    """Every page an operator reaches: the dashboard, each list, form and details page, the import
    page, each record's history, the audit, the jump box's answer and an error page."""
    parts = {
        "pluginmeta": plugin,
        "pluginselector": plugin.plugin_selector_plugin,
        "pluginprompt": plugin.plugin_prompt_plugin,
        "plugindata": plugin.plugin_data_plugin,
    }
    urls = [
        "/admin/",
        "/admin/manifests/",
        "/admin/user/",
        "/admin/user/new/",
        "/admin/go/?q=nothing",
        "/nowhere",
        "/admin/audit/",
    ]
    for endpoint, record in parts.items():
        urls += [
            f"/admin/{endpoint}/",
            f"/admin/{endpoint}/new/",
            f"/admin/{endpoint}/edit/?id={record.hashed_id}",
            f"/admin/{endpoint}/details/?id={record.hashed_id}",
            f"/admin/{endpoint}/history/?id={record.hashed_id}",
        ]
    return urls


def blocking(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


def structure(page) -> dict:
    return page.evaluate(
        "() => ({lang: document.documentElement.lang, h1: document.querySelectorAll('h1').length,"
        " main: document.querySelectorAll('main').length})"
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_no_serious_accessibility_violation_on_any_page(app_context, users, new_context, live_server, width):
    plugin = factories.plugin("lighthouse_cafe")
    page = new_context().new_page()
    page.set_viewport_size(WIDTHS[width])
    page.goto("/login")
    found = {"/login": blocking(page)}
    assert structure(page) == {"lang": "en", "h1": 1, "main": 1}
    log_in(page, live_server, "admin", PASSWORD)
    for url in pages(plugin):
        page.goto(url)
        assert structure(page) == {"lang": "en", "h1": 1, "main": 1}, url
        found[url] = blocking(page)
    page.goto("/admin/pluginprompt/edit/?id=" + plugin.plugin_prompt_plugin.hashed_id)
    page.select_option("#provider", "anthropic")
    page.fill("#temperature", "7")
    found["prompt form flagged as typed"] = blocking(page)
    page.eval_on_selector("form.admin-form", "form => { form.noValidate = true; }")
    with page.expect_navigation():
        page.click("input[type=submit][value=Save]")
    found["prompt form with the server's errors"] = blocking(page)
    assert {url: problems for url, problems in found.items() if problems} == {}
