"""Manifests in headless Chromium: import through the page (paste or upload, preview, confirm), then export."""

import re
from pathlib import Path

import sqlalchemy as sa

from plugin_admin import manifests
from plugin_admin.extensions import db
from plugin_admin.models import PluginMeta
from tests.browser.server import log_in
from tests.helpers import PASSWORD

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "manifests"
CAFE = (FIXTURES / "pair" / "lighthouse-cafe.yaml").read_text(encoding="utf-8")
BROKEN = CAFE.replace("temperature: 1.0", "temperature: 3.0")


def names() -> list[str]:
    return db.session.scalars(sa.select(PluginMeta.name).order_by(PluginMeta.name)).all()


def open_import_page(new_context, live_server):
    page = new_context().new_page()
    page.goto("/admin/manifests/")
    log_in(page, live_server, "editor", PASSWORD)
    assert page.url == f"{live_server}/admin/manifests/"
    return page


def test_editor_pastes_a_manifest_fixes_its_error_imports_it_and_exports_it(
    app_context, users, new_context, live_server
):
    page = open_import_page(new_context, live_server)

    page.fill("#text", BROKEN)
    page.click("#preview-button")
    page.wait_for_load_state()
    errors = page.inner_text(".manifest-errors")
    assert "spec.prompt.temperature: 3 is above openai's range 0–2" in errors and errors.startswith("line ")
    assert page.input_value("#text") == BROKEN  # nothing lost
    assert page.locator("#confirm-button").count() == 0

    page.fill("#text", page.input_value("#text").replace("temperature: 3.0", "temperature: 1.0"))
    page.click("#preview-button")
    page.wait_for_load_state()
    assert page.get_attribute(".manifest-document", "data-action") == "create"
    assert "lighthouse_cafe" in page.inner_text(".manifest-name")
    assert names() == []  # a preview writes nothing

    page.click("#confirm-button")
    page.wait_for_url(f"{live_server}/admin/manifests/")
    assert "Imported from pasted text: created lighthouse_cafe." in page.inner_text(".alert-success")
    page.click(".alert-success a:text-is('lighthouse_cafe')")
    page.wait_for_url(re.compile(r"/admin/pluginmeta/details/\?id=r\w+x$"))
    assert "The café at the foot of the lighthouse." in page.inner_text("body")

    with page.expect_download() as download:
        page.click("#export-yaml")
    assert download.value.suggested_filename == "lighthouse_cafe.yaml"
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert exported == manifests.export_plugin(manifests.find_plugin("lighthouse_cafe"))

    page.click("text=Plugins")
    page.wait_for_url(re.compile(r"/admin/pluginmeta/"))
    row = page.locator("tr", has_text="lighthouse_cafe")
    assert row.count() == 1
    row.locator("input[name=rowid]").check()
    page.click("a:text-is('With selected')")
    with page.expect_download() as download:
        page.click("a.dropdown-item:text-is('Export manifests')")
    assert download.value.suggested_filename == "plugin-manifests.yaml"
    assert Path(download.value.path()).read_text(encoding="utf-8") == manifests.export_many(
        [manifests.find_plugin("lighthouse_cafe")]
    )


def test_editor_uploads_a_bundle_and_an_oversize_file_is_stopped_in_the_browser(
    app_context, users, new_context, live_server
):
    page = open_import_page(new_context, live_server)

    big = {"name": "big.yaml", "mimeType": "text/yaml", "buffer": b"#" * (manifests.MAX_MANIFEST_BYTES + 1)}
    page.set_input_files("#manifest_file", files=[big])
    page.click("#preview-button")
    assert "a manifest may be at most 1,048,576 bytes" in page.inner_text("[data-size-status]")
    assert page.locator("#preview").count() == 0  # never sent

    bundle = (FIXTURES / "valid" / "bundle.yaml").read_bytes()
    page.set_input_files("#manifest_file", files=[{"name": "bundle.yaml", "mimeType": "text/yaml", "buffer": bundle}])
    page.click("#preview-button")
    page.wait_for_load_state()
    assert page.locator(".manifest-document[data-action=create]").count() == 3
    page.click("#confirm-button")
    page.wait_for_url(f"{live_server}/admin/manifests/")
    assert page.locator(".alert-success a").all_inner_texts() == ["bundle_static", "bundle_sql", "bundle_api"]
    assert names() == ["bundle_api", "bundle_sql", "bundle_static"]
