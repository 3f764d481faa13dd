"""The admin as a person uses it, in headless Chromium against a live server."""

import re
from urllib.parse import parse_qsl, urlsplit

import sqlalchemy as sa

from plugin_admin.extensions import db
from plugin_admin.hashing import hash_regex
from plugin_admin.models import PluginPrompt
from tests import factories
from tests.browser.server import log_in
from tests.helpers import PASSWORD

ID_PARAMS = {"id", "rowid", "list_form_pk", "pk"}


def pick_plugin(page, name: str) -> None:
    """The prompt's plugin is an ajax lookup: type part of the name, then pick the suggestion."""
    page.click("#s2id_plugin a.select2-choice")
    page.keyboard.type(name[:5])
    page.locator(".select2-results li.select2-result-selectable", has_text=name).first.click()


def integer_ids(urls) -> list[str]:
    bad = []
    for url in urls:
        parts = urlsplit(url)
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key in ID_PARAMS and not hash_regex().fullmatch(value):
                bad.append(url)
        for param in re.findall(r"[?&](?:next=)?[^?]*[?&]id%3D([^&]+)", url):
            if not hash_regex().fullmatch(param):
                bad.append(url)
        if re.search(r"/\d+(?:/|$)", parts.path):
            bad.append(url)
    return bad


def test_editor_creates_a_plugin_and_prompt_fixes_an_error_and_shares_the_link(
    app_context, users, new_context, live_server
):
    page = new_context().new_page()
    page.goto("/admin/")
    log_in(page, live_server, "editor", PASSWORD)
    assert page.url == f"{live_server}/admin/"

    # a plugin
    page.click("text=Plugins")
    page.click("a.nav-link:has-text('Create')")
    page.fill("#name", "Weather Plugin")
    page.fill("#description", "Answers questions about the weather.")
    page.select_option("#plugin_class", "static")
    page.click("input[type=submit][value=Save]")
    page.wait_for_url(re.compile(r"/admin/pluginmeta/(\?.*)?$"))
    assert (
        page.locator("td.col-name", has_text="weather_plugin").count() == 1
    )  # the name was normalised as Smarter does

    # its prompt, with a temperature Anthropic refuses
    page.goto("/admin/pluginprompt/new/")
    pick_plugin(page, "weather_plugin")
    page.select_option("#provider", "anthropic")
    page.fill("#model", "claude-sonnet-4-5")
    page.fill("#temperature", "1.5")
    assert "Anthropic accepts 0–1" in page.inner_text("[data-hint=temperature]")
    assert "64,000" in page.inner_text("[data-hint=max_completion_tokens]")
    page.fill("#max_completion_tokens", "4096")
    page.fill("#system_role", "You are a meteorologist.")
    assert "1.5 is outside Anthropic's range 0–1" in page.inner_text("#temperature-live-check")  # before saving
    assert page.eval_on_selector("#temperature", "input => input.validity.rangeOverflow")  # max=1: not sent
    page.eval_on_selector("form.admin-form", "form => { form.noValidate = true; }")  # the server decides alike
    with page.expect_navigation():
        page.click("input[type=submit][value=Save]")

    assert page.locator("#temperature-live-check").count() == 0  # the server's message alone, not twice
    error = page.locator("#temperature ~ .invalid-feedback")
    assert "1.5 is above anthropic's range 0–1" in error.inner_text()
    assert page.input_value("#model") == "claude-sonnet-4-5"
    assert page.input_value("#provider") == "anthropic"
    assert page.input_value("#max_completion_tokens") == "4096"
    assert page.input_value("#system_role") == "You are a meteorologist."
    assert page.input_value("#plugin").startswith("r")  # the hashed id of the plugin, kept
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PluginPrompt)) == 0

    page.fill("#temperature", "0.7")
    page.click("input[type=submit][value=Save]")
    page.wait_for_url(re.compile(r"/admin/pluginprompt/(\?.*)?$"))
    assert "Created prompt of weather_plugin." in page.inner_text(".alert-success")

    # its details page and its locator link
    page.click("a[title='View Record']")
    page.wait_for_url(re.compile(r"/admin/pluginprompt/details/\?id=r"))
    link = page.input_value("#locator-url")
    prompt = db.session.scalar(sa.select(PluginPrompt))
    assert link == f"{live_server}/l/{prompt.record_locator}"
    page.click("button[data-copy]")
    page.wait_for_function("document.querySelector('[data-copy-status]').textContent.length > 0")
    assert page.evaluate("navigator.clipboard.readText()") == link

    # a colleague opens the link in a fresh browser: login first, then the record
    other = new_context().new_page()
    other.goto(link)
    assert "/login?next=" in other.url
    assert f"it opens the prompt record {prompt.record_locator}" in other.inner_text("#waiting-record")
    log_in(other, live_server, "viewer", PASSWORD)
    assert other.url == f"{live_server}/admin/pluginprompt/details/?id={prompt.hashed_id}"
    assert "claude-sonnet-4-5" in other.inner_text("body")

    assert integer_ids(new_context.visited) == []
    assert any("ajax/lookup" in url for url in new_context.visited)


def test_viewer_finds_no_way_to_change_anything(app_context, users, new_context, live_server):
    plugin = factories.plugin("weather_plugin")
    prompt = plugin.plugin_prompt_plugin
    context = new_context()
    page = context.new_page()
    page.goto("/admin/pluginprompt/")
    log_in(page, live_server, "viewer", PASSWORD)

    for path in ("/admin/pluginmeta/", "/admin/pluginprompt/", f"/admin/pluginprompt/details/?id={prompt.hashed_id}"):
        page.goto(path)
        for label in ("Create", "Edit"):
            assert page.locator(f"a:text-is('{label}')").count() == 0, (path, label)
        assert page.locator("form[action*='/delete/'], a[href*='/edit/'], a[href*='/new/']").count() == 0
        bulk = page.locator("a:text-is('With selected') + .dropdown-menu a").all_inner_texts()
        exports = ["Export manifests, noting what Smarter would refuse", "Export manifests"]
        assert bulk == (exports if path == "/admin/pluginmeta/" else []), path  # exporting is reading
    assert page.locator("a[href='/admin/user/']").count() == 0

    token = page.input_value("form[action='/logout'] input[name=csrf_token]")
    for url, form in (
        (f"/admin/pluginprompt/edit/?id={prompt.hashed_id}", {"temperature": "0.9"}),
        ("/admin/pluginprompt/new/", {"plugin": plugin.hashed_id}),
        ("/admin/pluginprompt/delete/", {"id": prompt.hashed_id}),
        ("/admin/pluginprompt/action/", {"action": "delete", "rowid": prompt.hashed_id}),
        ("/admin/pluginprompt/ajax/update/", {"list_form_pk": prompt.hashed_id, "temperature": "0.9"}),
    ):
        response = context.request.post(url, form={**form, "csrf_token": token}, max_redirects=0)
        assert response.status == 403, url
        assert "Your role does not allow this." in response.text()
    db.session.expire_all()
    assert db.session.get(PluginPrompt, prompt.id).temperature == 0.5


def test_two_people_edit_the_same_prompt(app_context, users, new_context, live_server):
    prompt = factories.plugin("weather_plugin").plugin_prompt_plugin
    url = f"/admin/pluginprompt/edit/?id={prompt.hashed_id}"
    ann, bob = new_context().new_page(), new_context().new_page()
    for page, who in ((ann, "editor"), (bob, "admin")):
        page.goto(url)
        log_in(page, live_server, who, PASSWORD)
        assert page.url == f"{live_server}{url}"

    ann.fill("#temperature", "0.9")
    ann.click("input[type=submit][value=Save]")
    ann.wait_for_url(re.compile(r"/admin/pluginprompt/(\?.*)?$"))

    bob.fill("#temperature", "0.1")
    bob.click("input[type=submit][value=Save]")
    bob.wait_for_load_state()
    message = bob.inner_text(".alert-danger")
    assert "Someone else saved this record after you opened it" in message
    assert "Temperature: 0.1 → 0.9" in message
    db.session.expire_all()
    assert db.session.get(PluginPrompt, prompt.id).temperature == 0.9


def test_admin_deletes_with_confirmation_under_the_strict_csp(app_context, users, new_context, live_server):
    """Flask-Admin's inline onclick handlers are blocked by the CSP; admin.js re-attaches them."""
    from plugin_admin.models import PluginMeta

    for name in ("alpha_plugin", "beta_plugin", "gamma_plugin"):
        factories.plugin(name)
    page = new_context().new_page()
    page.goto("/admin/pluginmeta/")
    log_in(page, live_server, "admin", PASSWORD)

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("tr", has_text="alpha_plugin").locator("form[action*='/delete/'] button").click()
    page.wait_for_timeout(300)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PluginMeta)) == 3  # dismissed: kept

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("tr", has_text="alpha_plugin").locator("form[action*='/delete/'] button").click()
    page.wait_for_selector("text=Deleted plugin alpha_plugin.")
    page.wait_for_load_state("load")  # admin.js has re-attached the handlers the CSP blocks

    page.locator("tr", has_text="beta_plugin").locator("input[name=rowid]").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("a:text-is('With selected')")
    page.click("a.dropdown-item:text-is('Delete')")
    page.wait_for_selector("text=Deleted plugin beta_plugin.")
    db.session.expire_all()
    assert db.session.scalars(sa.select(PluginMeta.name)).all() == ["gamma_plugin"]
