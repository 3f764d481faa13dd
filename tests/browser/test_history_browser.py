"""History in headless Chromium: from a record's details to its history, compare two revisions,
restore one, and see the new revision on top."""

import re

from plugin_admin.extensions import db
from plugin_admin.models import PluginPrompt, versioning
from tests import factories
from tests.browser.server import log_in
from tests.helpers import PASSWORD


def test_editor_compares_and_restores_a_revision(app_context, users, new_context, live_server):
    prompt = factories.plugin().plugin_prompt_plugin
    versioning.set_context(db.session, actor="cli:ann", note="shorter answers")
    prompt.system_role = "You are a test assistant. Answer in one sentence."
    db.session.commit()

    page = new_context().new_page()
    page.goto(f"/admin/pluginprompt/details/?id={prompt.hashed_id}")
    log_in(page, live_server, "editor", PASSWORD)
    page.click("#history-tab")
    page.wait_for_url(re.compile(r"/admin/pluginprompt/history/"))
    rows = page.locator("#history-table tbody tr")
    assert rows.count() == 2 and rows.first.get_attribute("data-revision") == "2"
    assert "shorter answers" in rows.first.inner_text()

    page.click("#compare-button")  # the two newest are preselected
    page.wait_for_selector("#comparison")
    changed = page.locator('#comparison tr.changed[data-field="system_role"]')
    assert changed.locator("ins").first.inner_text().strip() == "Answer in one sentence."
    assert page.locator("#comparison tr.unchanged").count() >= 4

    page.click("#comparison button[data-revision='1']")
    page.wait_for_selector(".alert-success")
    assert "Revision 1 restored as revision 3" in page.locator(".alert-success").inner_text()
    top = page.locator("#history-table tbody tr").first
    assert top.get_attribute("data-revision") == "3" and "restore" in top.inner_text() and "editor" in top.inner_text()
    db.session.expire_all()
    assert db.session.get(PluginPrompt, prompt.id).system_role == "You are a test assistant."
