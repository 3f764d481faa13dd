"""Manifests in the admin: the import page, export downloads, the bulk action, ``/l/<locator>.yaml``."""

import html as htmllib
import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from plugin_admin import manifests
from plugin_admin.extensions import db
from plugin_admin.models import PluginMeta, PluginPrompt
from tests import factories
from tests.helpers import csrf_token

pytestmark = pytest.mark.usefixtures("app_context")  # the database is read between requests
FIXTURES = Path(__file__).parent / "fixtures" / "manifests"
CAFE = (FIXTURES / "pair" / "lighthouse-cafe.yaml").read_text(encoding="utf-8")
CAFE_MODIFIED = (FIXTURES / "pair" / "lighthouse-cafe-modified.yaml").read_text(encoding="utf-8")
BUNDLE = FIXTURES / "valid" / "bundle.yaml"
BROKEN = (FIXTURES / "invalid" / "temperature-range.yaml").read_text(encoding="utf-8")
PAGE = "/admin/manifests/"
CONFIRM = "/admin/manifests/confirm/"


def names() -> list[str]:
    return db.session.scalars(sa.select(PluginMeta.name).order_by(PluginMeta.name)).all()


def text_of(response) -> str:
    """The page as a person reads it: no tags, single spaces."""
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", "", response.get_data(as_text=True))).split())


def confirm_fields(html: str) -> dict:
    """The confirm form as the browser would send it back (its hidden textarea included)."""
    form = re.search(r'<form method="post" action="/admin/manifests/confirm/".*?</form>', html, re.S)
    assert form, "no confirm form on the page"
    form = form.group(0)
    fields = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', form))
    fields.update((n, v) for v, n in re.findall(r'<input[^>]*value="([^"]*)"[^>]*name="(\w+)"', form))
    text = re.search(r'<textarea name="text"[^>]*>\n(.*?)</textarea>', form, re.S).group(1)
    fields["text"] = htmllib.unescape(text).replace("\n", "\r\n")  # browsers send CR LF
    return {key: htmllib.unescape(value) for key, value in fields.items() if key != "text"} | {"text": fields["text"]}


def textarea(html: str) -> str:
    found = re.search(r'<textarea class="form-control[^"]*" id="text"[^>]*>\n(.*?)</textarea>', html, re.S)
    return htmllib.unescape(found.group(1))


@pytest.fixture
def editor(client, auth):
    auth.login("editor")
    return client


def preview(client, text=None, upload=None):
    """Post the import form as a browser does; ``upload`` is ``(bytes, filename)``."""
    data = {"csrf_token": csrf_token(client, PAGE), "text": text or ""}
    if upload is not None:
        data["manifest_file"] = FileStorage(io.BytesIO(upload[0]), filename=upload[1])
    boundary, body = encode_multipart(data)  # in memory: the test client would spill a large body to a temp file
    return client.post(PAGE, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def confirm(client, html):
    return client.post(CONFIRM, data=confirm_fields(html))


# --- roles and CSRF ------------------------------------------------------------------------


@pytest.mark.parametrize("role", (None, "viewer", "editor", "admin"))
def test_import_page_is_for_editors_and_admins(client, auth, users, role):
    if role:
        auth.login(role)
    expected = {None: 302, "viewer": 403, "editor": 200, "admin": 200}[role]
    assert client.get(PAGE).status_code == expected
    menu = client.get("/admin/").get_data(as_text=True) if role else ""
    assert (f'href="{PAGE}"' in menu) == (role in ("editor", "admin"))


def test_viewer_cannot_preview_or_confirm(client, auth, users):
    auth.login("viewer")
    token = csrf_token(client, "/admin/")
    for url in (PAGE, CONFIRM):
        response = client.post(url, data={"text": CAFE, "csrf_token": token, "digest": "x", "source": "x"})
        assert response.status_code == 403, url
        assert "Your role does not allow this." in response.get_data(as_text=True)
    assert names() == []


def test_posts_without_csrf_token_are_refused(editor):
    html = preview(editor, CAFE).get_data(as_text=True)
    fields = confirm_fields(html)
    del fields["csrf_token"]
    for url, data in ((PAGE, {"text": CAFE}), (CONFIRM, fields)):
        response = editor.post(url, data=data)
        assert response.status_code == 400, url
        assert "The form had expired" in response.get_data(as_text=True)
    assert names() == []


# --- preview, then confirm -------------------------------------------------------------------


def test_preview_writes_nothing_and_confirm_writes_with_links(editor):
    response = preview(editor, CAFE)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-action="create"' in html and "lighthouse_cafe" in html
    assert textarea(html) == CAFE  # stays in the box
    assert names() == []

    response = confirm(editor, html)
    assert response.status_code == 302 and response.headers["Location"] == PAGE
    assert names() == ["lighthouse_cafe"]
    plugin = db.session.scalar(sa.select(PluginMeta))
    page = editor.get(PAGE).get_data(as_text=True)
    assert "Imported from pasted text: created" in page
    assert f'<a href="/admin/pluginmeta/details/?id={plugin.hashed_id}">lighthouse_cafe</a>' in page


def test_upload_previews_every_document_and_confirm_imports_them_in_one_go(editor):
    upload = (BUNDLE.read_bytes(), "bundle.yaml")
    html = preview(editor, upload=upload).get_data(as_text=True)
    assert html.count('data-action="create"') == 3
    assert "bundle.yaml, document 3" in html
    assert textarea(html) == BUNDLE.read_text(encoding="utf-8")
    assert names() == []
    assert confirm(editor, html).status_code == 302
    assert names() == ["bundle_api", "bundle_sql", "bundle_static"]
    assert "Imported from bundle.yaml: created" in editor.get(PAGE).get_data(as_text=True)


def test_update_preview_lists_each_changed_field(editor):
    manifests.apply(manifests.plan_import(manifests.load_documents(CAFE, "cafe.yaml")))
    before = manifests.export_plugin(manifests.find_plugin("lighthouse_cafe"))
    response = preview(editor, CAFE_MODIFIED)
    page = text_of(response)
    assert 'data-action="update"' in response.get_data(as_text=True)
    assert "metadata.description: 'The café at the foot of the lighthouse.' → 'MODIFIED'" in page
    assert "metadata.version: '0.2.0' → '0.2.1'" in page
    assert "spec.prompt.temperature" not in page  # unchanged fields are not listed
    db.session.expire_all()
    assert manifests.export_plugin(manifests.find_plugin("lighthouse_cafe")) == before

    assert confirm(editor, response.get_data(as_text=True)).status_code == 302
    db.session.expire_all()
    assert manifests.find_plugin("lighthouse_cafe").description == "MODIFIED"
    assert "updated" in editor.get(PAGE).get_data(as_text=True)


def test_unchanged_manifest_offers_nothing_to_confirm(editor):
    manifests.apply(manifests.plan_import(manifests.load_documents(CAFE, "cafe.yaml")))
    html = preview(editor, CAFE).get_data(as_text=True)
    assert 'data-action="unchanged"' in html and "Nothing to import" in html
    assert 'id="confirm-form"' not in html


def test_invalid_manifest_keeps_the_text_lists_located_errors_and_writes_nothing(editor):
    factories.plugin("broken_plugin")
    before = manifests.export_plugin(manifests.find_plugin("broken_plugin"))
    response = preview(editor, BROKEN)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert textarea(html) == BROKEN
    assert "line 13: spec.prompt.temperature: 3 is above openai&#39;s range 0–2" in html
    assert "The manifest has errors, listed below; nothing was imported." in html
    assert 'id="confirm-form"' not in html
    db.session.expire_all()
    assert manifests.export_plugin(manifests.find_plugin("broken_plugin")) == before


@pytest.mark.parametrize(
    "text, message",
    [
        ("apiVersion: [unclosed", "line 1: invalid YAML"),
        ("!!python/object/apply:os.system ['touch /tmp/pwned']", "refused: could not determine a constructor"),
        ("   ", "Choose a manifest file or paste a manifest"),
        ('{"apiVersion": "smarter.sh/v1",}', "invalid JSON"),
    ],
)
def test_unreadable_pastes_get_a_message_and_stay(editor, text, message):
    html = preview(editor, text).get_data(as_text=True)
    assert message in htmllib.unescape(html)
    assert textarea(html) == text
    assert names() == [] and not Path("/tmp/pwned").exists()


def test_forged_confirm_of_an_invalid_manifest_writes_nothing(editor):
    token = csrf_token(editor, PAGE)
    plan = manifests.plan_import(manifests.load_documents(BROKEN, "pasted text"))
    from plugin_admin.admin.manifests import plan_digest

    data = {"text": BROKEN, "source": "pasted text", "digest": plan_digest(BROKEN, plan), "csrf_token": token}
    response = editor.post(CONFIRM, data=data)
    assert response.status_code == 200 and "line 13: spec.prompt.temperature" in response.get_data(as_text=True)
    assert names() == []


def test_confirm_after_someone_changed_the_plugin_shows_the_new_plan_and_writes_nothing(editor):
    manifests.apply(manifests.plan_import(manifests.load_documents(CAFE, "cafe.yaml")))
    previewed = preview(editor, CAFE_MODIFIED).get_data(as_text=True)
    prompt = db.session.scalar(sa.select(PluginPrompt))
    prompt.temperature = 0.9  # a colleague's edit between preview and confirm
    db.session.commit()

    response = confirm(editor, previewed)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The plugins changed since your preview, so nothing was imported." in html
    assert "spec.prompt.temperature: 0.9 → 1" in text_of(response)
    db.session.expire_all()
    assert manifests.find_plugin("lighthouse_cafe").description != "MODIFIED"
    assert db.session.scalar(sa.select(PluginPrompt.temperature)) == 0.9

    assert confirm(editor, html).status_code == 302  # the new preview confirms
    db.session.expire_all()
    assert manifests.find_plugin("lighthouse_cafe").description == "MODIFIED"


def test_confirm_of_a_create_that_someone_made_meanwhile_is_refused(editor):
    previewed = preview(editor, CAFE).get_data(as_text=True)
    factories.plugin("lighthouse_cafe")
    html = confirm(editor, previewed).get_data(as_text=True)
    assert "The plugins changed since your preview" in html and 'data-action="update"' in html
    assert db.session.scalar(sa.select(PluginMeta.description)) == "A plugin for tests."


def test_a_write_racing_the_confirm_is_rolled_back_with_a_message(editor, monkeypatch):
    previewed = preview(editor, CAFE).get_data(as_text=True)
    plan_import = manifests.plan_import

    def plan_then_race(documents):
        plan = plan_import(documents)
        factories.plugin("lighthouse_cafe")  # someone else's commit, after the plan matched the preview
        return plan

    monkeypatch.setattr(manifests, "plan_import", plan_then_race)
    response = confirm(editor, previewed)
    assert response.status_code == 200
    assert "Nothing was imported: someone changed these plugins while the import ran." in text_of(response)
    assert "line 5: metadata.name: a plugin named 'lighthouse_cafe' already exists" in text_of(response)
    db.session.expire_all()
    assert db.session.scalars(sa.select(PluginMeta.description)).all() == ["A plugin for tests."]


def test_confirm_with_edited_text_is_refused(editor):
    fields = confirm_fields(preview(editor, CAFE).get_data(as_text=True))
    fields["text"] = fields["text"].replace("lighthouse_cafe", "other_cafe")
    assert "changed since your preview" in editor.post(CONFIRM, data=fields).get_data(as_text=True)
    assert names() == []


# --- size limits ------------------------------------------------------------------------------


def test_oversize_paste_is_refused_with_the_limit_and_kept(editor):
    text = CAFE + "#" * (manifests.MAX_MANIFEST_BYTES + 10) + "\n"
    html = preview(editor, text).get_data(as_text=True)
    assert "a manifest file may be at most 1,048,576 bytes (1 MiB)" in html
    assert textarea(html) == text
    assert names() == []


def test_oversize_upload_is_refused_with_the_limit(editor):
    upload = (b"#" * (manifests.MAX_MANIFEST_BYTES + 1), "big.yaml")
    html = preview(editor, upload=upload).get_data(as_text=True)
    assert "big.yaml" in html and "is over 1,048,576 bytes; a manifest file may be at most 1,048,576 bytes" in html


def test_upload_that_is_not_utf8_says_so(editor):
    html = preview(editor, upload=(b"name: caf\xe9\n", "latin1.yaml")).get_data(as_text=True)
    assert "is not UTF-8 text (byte 9 is 0xe9)" in html


def test_request_over_the_app_limit_gets_the_import_page_with_a_message(editor, app):
    upload = (b"#" * (app.config["MAX_CONTENT_LENGTH"] + 1), "huge.yaml")
    response = preview(editor, upload=upload)
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "The upload was refused: it was larger than 2 MiB" in html
    assert 'id="import-form"' in html and "Traceback" not in html


def test_request_over_the_app_limit_elsewhere_gets_the_error_page(editor, app):
    response = editor.post("/admin/pluginmeta/new/", data={"name": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)})
    assert response.status_code == 413 and "The request is too large." in response.get_data(as_text=True)


def test_viewer_over_the_limit_is_refused_for_the_role(client, auth, users, app):
    auth.login("viewer")
    response = client.post(PAGE, data={"text": "#" * (app.config["MAX_CONTENT_LENGTH"] + 1)})
    assert response.status_code == 403


# --- export ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt, content_type", (("yaml", "text/yaml"), ("json", "application/json")))
def test_viewer_downloads_a_plugins_manifest_from_its_details_page(client, auth, users, fmt, content_type):
    plugin = factories.plugin("weather_plugin")
    auth.login("viewer")
    html = client.get(f"/admin/pluginmeta/details/?id={plugin.hashed_id}").get_data(as_text=True)
    url = f"/admin/pluginmeta/manifest/?id={plugin.hashed_id}&amp;format={fmt}"
    assert url in html and f"/l/{plugin.record_locator}.yaml" in html
    response = client.get(htmllib.unescape(url))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(content_type)
    assert response.headers["Content-Disposition"] == f"attachment; filename=weather_plugin.{fmt}"
    assert response.get_data(as_text=True) == manifests.export_plugin(plugin, fmt)
    response.close()


def test_list_rows_link_to_the_download(client, auth, users):
    plugin = factories.plugin("weather_plugin")
    auth.login("viewer")
    html = client.get("/admin/pluginmeta/").get_data(as_text=True)
    assert f"/admin/pluginmeta/manifest/?id={plugin.hashed_id}" in html


@pytest.mark.parametrize(
    "query", ("id=rMTAwMDk5OQx", "id=1", "id=", "", "format=xml&id={id}", "format=yaml&id={id}&id={id}")
)
def test_download_of_nothing_is_a_404(client, auth, users, query):
    plugin = factories.plugin()
    auth.login("viewer")
    response = client.get(f"/admin/pluginmeta/manifest/?{query.format(id=plugin.hashed_id)}")
    assert response.status_code == 404 and "There is nothing here." in response.get_data(as_text=True)


def test_download_needs_a_login(client, users):
    plugin = factories.plugin()
    response = client.get(f"/admin/pluginmeta/manifest/?id={plugin.hashed_id}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def export_action(client, ids, token=True):
    data = {"action": "export_manifests", "rowid": ids}
    if token:
        data["csrf_token"] = csrf_token(client, "/admin/pluginmeta/")
    return client.post("/admin/pluginmeta/action/", data=data)


def test_viewer_bulk_exports_the_selection_as_one_yaml_file(client, auth, users):
    plugins = [factories.plugin(name) for name in ("zeta_plugin", "alpha_plugin", "left_out")]
    auth.login("viewer")
    html = client.get("/admin/pluginmeta/").get_data(as_text=True)
    assert "Export manifests" in html and "/admin/pluginmeta/delete/" not in html
    response = export_action(client, [plugins[0].hashed_id, plugins[1].hashed_id, "junk", "1", "rMTAwMDk5OQx"])
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == "attachment; filename=plugin-manifests.yaml"
    assert response.get_data(as_text=True) == manifests.export_many([plugins[1], plugins[0]])
    response.close()


def test_bulk_export_of_nothing_goes_back_with_a_message(client, auth, users):
    auth.login("viewer")
    response = export_action(client, ["junk", "rMTAwMDk5OQx"])
    assert response.status_code == 302
    assert "nothing was exported" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_bulk_export_without_csrf_token_is_refused(client, auth, users):
    plugin = factories.plugin()
    auth.login("viewer")
    assert export_action(client, [plugin.hashed_id], token=False).status_code == 400


def test_viewer_still_cannot_bulk_delete(client, auth, users):
    plugin = factories.plugin()
    auth.login("viewer")
    response = client.post(
        "/admin/pluginmeta/action/",
        data={"action": "delete", "rowid": plugin.hashed_id, "csrf_token": csrf_token(client, "/admin/pluginmeta/")},
    )
    assert response.status_code == 403 and names() == ["test_plugin"]


# --- /l/<plugin locator>.yaml -------------------------------------------------------------


def test_yaml_locator_serves_the_cli_export(client, auth, runner, users):
    plugin = factories.plugin("weather_plugin", author="Ann")
    cli = runner.invoke(args=["export-manifest", plugin.record_locator])
    auth.login("viewer")
    response = client.get(f"/l/{plugin.record_locator}.yaml")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/yaml; charset=utf-8"
    assert response.get_data(as_text=True) == cli.output == manifests.export_plugin(plugin)


def test_yaml_locator_round_trips_through_the_import_page(editor, users):
    plugin = factories.plugin("weather_plugin", author="Ann", tags=["sun", "rain"])
    exported = editor.get(f"/l/{plugin.record_locator}.yaml").get_data(as_text=True)
    db.session.delete(plugin)
    db.session.commit()
    assert confirm(editor, preview(editor, exported).get_data(as_text=True)).status_code == 302
    again = manifests.find_plugin("weather_plugin")
    assert editor.get(f"/l/{again.record_locator}.yaml").get_data(as_text=True) == exported


def test_yaml_locator_of_anything_but_a_plugin_is_a_404(client, auth, users):
    plugin = factories.plugin()
    auth.login("admin")
    for locator in (
        plugin.plugin_prompt_plugin.record_locator,
        users["admin"].record_locator,
        "pluginmeta-rMTAwMDk5OQx",
        "x",
    ):
        response = client.get(f"/l/{locator}.yaml")
        assert response.status_code == 404 and "There is nothing here." in response.get_data(as_text=True)


def test_yaml_locator_needs_a_login(client, users):
    plugin = factories.plugin()
    url = f"/l/{plugin.record_locator}.yaml"
    assert client.get(url).headers["Location"] == f"/login?next={url}"
