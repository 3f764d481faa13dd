"""The admin views over HTTP: every route × role × anonymous, CSRF, hashed ids, validation."""

import json
import re

import pytest
import sqlalchemy as sa

from plugin_admin.extensions import db
from plugin_admin.hashing import hash_regex
from plugin_admin.models import PluginData, PluginMeta, PluginPrompt, User
from tests import factories
from tests.helpers import csrf_token
from tests.live import form_fields

PLUGIN_VIEWS = ("pluginmeta", "pluginselector", "pluginprompt", "plugindata")
READ_ROUTES = ("/", "/details/?id={id}", "/export/csv/")
WRITE_ROUTES = ("/new/", "/edit/?id={id}", "/ajax/lookup/?name=plugin&query=te")
ROLE_CAN = {"viewer": {"read"}, "editor": {"read", "write"}, "admin": {"read", "write", "delete"}}


@pytest.fixture
def plugin(app_context):
    return factories.plugin()


def record_of(view, plugin):
    return {
        "pluginmeta": plugin,
        "pluginselector": plugin.plugin_selector_plugin,
        "pluginprompt": plugin.plugin_prompt_plugin,
        "plugindata": plugin.plugin_data_plugin,
    }[view]


def get(client, url):
    response = client.get(url)
    response.close()
    return response


@pytest.mark.parametrize("view", PLUGIN_VIEWS)
@pytest.mark.parametrize("role", (None, "viewer", "editor", "admin"))
def test_get_routes_by_role(client, auth, plugin, view, role):
    if role:
        auth.login(role)
    record = record_of(view, plugin)
    for kind, routes in (("read", READ_ROUTES), ("write", WRITE_ROUTES)):
        for route in routes:
            if route.startswith("/ajax") and view == "pluginmeta":
                continue  # plugins have no ajax-picked relation
            url = f"/admin/{view}{route.format(id=record.hashed_id)}"
            status = get(client, url).status_code
            if role is None:
                assert status == 302, url  # to the login page
            else:
                assert status == (200 if kind in ROLE_CAN[role] else 403), (url, role)


@pytest.mark.parametrize("role", (None, "viewer", "editor", "admin"))
def test_dashboard_and_users_by_role(client, auth, users, role):
    if role:
        auth.login(role)
    expected_dashboard = 302 if role is None else 200
    assert get(client, "/admin/").status_code == expected_dashboard
    for route in ("/", "/new/", f"/details/?id={users['viewer'].hashed_id}", f"/edit/?id={users['viewer'].hashed_id}"):
        status = get(client, f"/admin/user{route}").status_code
        assert status == {None: 302, "viewer": 403, "editor": 403, "admin": 200}[role], route


def test_every_admin_view_passes_the_one_role_gate(app):
    from plugin_admin.admin.roles import RoleGate

    views = app.extensions["admin"][0]._views
    assert len(views) == 9 and all(
        isinstance(view, RoleGate) for view in views
    )  # dashboard, 5 models, import, audit, jump


def test_menu_shows_users_to_admins_only(client, auth):
    auth.login("editor")
    assert "/admin/user/" not in client.get("/admin/").get_data(as_text=True)
    auth.logout()
    auth.login("admin")
    assert "/admin/user/" in client.get("/admin/").get_data(as_text=True)


def posts(record, view):
    """Every state-changing POST of a view, with a body that would succeed for a strong enough role."""
    hashed = record.hashed_id
    return {
        "write": [
            (f"/admin/{view}/new/", {"name": "posted_plugin", "plugin_class": "static", "version": "1.0.0"}),
            (f"/admin/{view}/edit/?id={hashed}", {"description": "changed", "opened_version": record.row_version}),
            (f"/admin/{view}/ajax/update/", {"list_form_pk": hashed, "description": "changed"}),
        ],
        "delete": [
            (f"/admin/{view}/delete/", {"id": hashed}),
            (f"/admin/{view}/action/", {"action": "delete", "rowid": hashed}),
        ],
    }


@pytest.mark.parametrize("role", ("viewer", "editor"))
def test_direct_posts_beyond_the_role_are_refused_and_change_nothing(client, auth, plugin, role):
    auth.login(role)
    token = csrf_token(client, "/admin/pluginmeta/")
    before = plugin.to_json()
    for kind, requests in posts(plugin, "pluginmeta").items():
        if kind in ROLE_CAN[role]:
            continue
        for url, data in requests:
            assert client.post(url, data={**data, "csrf_token": token}).status_code == 403, url
    db.session.expire_all()
    assert db.session.get(PluginMeta, plugin.id).to_json() == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PluginMeta)) == 1


def test_editor_cannot_edit_inline_even_though_the_list_has_no_editable_columns(client, auth, plugin):
    auth.login("viewer")
    token = csrf_token(client, "/admin/pluginmeta/")
    response = client.post(
        "/admin/pluginprompt/ajax/update/",
        data={"list_form_pk": plugin.plugin_prompt_plugin.hashed_id, "temperature": "1.5", "csrf_token": token},
    )
    assert response.status_code == 403


@pytest.mark.parametrize("view", PLUGIN_VIEWS)
def test_posts_without_csrf_token_are_refused(client, auth, plugin, view):
    auth.login("admin")
    record = record_of(view, plugin)
    before = record.to_json()
    for requests in posts(record, view).values():
        for url, data in requests:
            response = client.post(url, data=data)
            assert response.status_code == 400, url
            assert "The form had expired" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(record), record.id).to_json() == before


def test_admin_deletes_by_hashed_id_and_the_parts_go_with_the_plugin(client, auth, plugin):
    auth.login("admin")
    token = csrf_token(client, "/admin/pluginmeta/")
    response = client.post("/admin/pluginmeta/delete/", data={"id": plugin.hashed_id, "csrf_token": token})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PluginMeta)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PluginPrompt)) == 0


def test_bulk_delete_takes_hashed_ids(client, auth, app_context):
    keep = factories.plugin("keep_me")
    gone = [factories.plugin(f"gone_{i}") for i in range(2)]
    auth.login("admin")
    token = csrf_token(client, "/admin/pluginmeta/")
    data = {"action": "delete", "rowid": [p.hashed_id for p in gone], "csrf_token": token}
    assert client.post("/admin/pluginmeta/action/", data=data).status_code == 302
    assert db.session.scalars(sa.select(PluginMeta.name)).all() == [keep.name]


MALFORMED = [
    "1",
    "2",
    "1,2",
    "0",
    "-1",
    "",
    " ",
    "rMTAwMDAwMQ",
    "MTAwMDAwMQx",
    "r!!!x",
    "rMTAwMDAwMQx'--",
    "' OR 1=1 --",
    "1; DROP TABLE plugin_meta",
    "%00",
    "ré",
    "r" + "A" * 5000 + "x",
    "rMDAwMDAwMQx",
]


@pytest.mark.parametrize("value", MALFORMED)
def test_malformed_ids_find_nothing_and_never_fail(client, auth, plugin, value):
    auth.login("admin")
    for route in ("details", "edit"):
        response = client.get(f"/admin/pluginmeta/{route}/", query_string={"id": value})
        assert response.status_code == 302 and response.headers["Location"].startswith("/admin/pluginmeta/")
        if value:  # an empty id is no id: Flask-Admin goes back to the list without a message
            assert "Record does not exist." in client.get(response.headers["Location"]).get_data(as_text=True)
    token = csrf_token(client, "/admin/pluginmeta/")
    for url, field in (("/admin/pluginmeta/delete/", "id"), ("/admin/pluginmeta/action/", "rowid")):
        response = client.post(url, data={field: value, "action": "delete", "csrf_token": token})
        assert response.status_code in (302, 400), url
    assert db.session.get(PluginMeta, plugin.id) is not None


def test_repeated_id_args_find_nothing(client, auth, plugin):
    auth.login("admin")
    response = client.get(f"/admin/pluginmeta/details/?id={plugin.hashed_id}&id={plugin.hashed_id}")
    assert response.status_code == 302
    response = client.get("/admin/pluginmeta/details/?id=a&id=b")
    assert response.status_code == 302


def integer_ids_in(html: str) -> list[str]:
    """Values of id-like parameters and fields that are not hashed ids."""
    found = re.findall(r"[?&;](?:amp;)?id=([^&\"'\s]+)", html)
    found += re.findall(r'name="(?:rowid|id|list_form_pk)"[^>]*value="([^"]*)"', html)
    found += re.findall(r'value="([^"]*)"[^>]*name="(?:rowid|id)"', html)
    return [value for value in found if not hash_regex().fullmatch(value)]


@pytest.mark.parametrize("view", PLUGIN_VIEWS)
def test_pages_carry_hashed_ids_only(client, auth, plugin, view):
    auth.login("admin")
    record = record_of(view, plugin)
    pages = [
        f"/admin/{view}/",
        f"/admin/{view}/details/?id={record.hashed_id}",
        f"/admin/{view}/edit/?id={record.hashed_id}",
    ]
    for page in pages:
        html = client.get(page).get_data(as_text=True)
        assert record.hashed_id in html
        assert integer_ids_in(html) == [], page
    csv = client.get(f"/admin/{view}/export/csv/").get_data(as_text=True)
    assert record.record_locator in csv


def test_ajax_lookup_returns_hashed_ids_and_is_bounded(client, auth, app_context):
    for i in range(30):
        factories.plugin(f"lookup_{i:02d}", prompt=False, selector=False, data=False)
    auth.login("editor")
    found = client.get("/admin/pluginprompt/ajax/lookup/?name=plugin&query=lookup&limit=1000").json
    assert len(found) == 20
    assert all(hash_regex().fullmatch(pk) for pk, _ in found)
    assert client.get("/admin/pluginprompt/ajax/lookup/?name=nothing&query=x").status_code == 404


def test_plugin_details_link_its_selector_prompt_and_data(client, auth, plugin):
    auth.login("viewer")
    html = client.get(f"/admin/pluginmeta/details/?id={plugin.hashed_id}").get_data(as_text=True)
    for endpoint, record in (
        ("pluginselector", plugin.plugin_selector_plugin),
        ("pluginprompt", plugin.plugin_prompt_plugin),
        ("plugindata", plugin.plugin_data_plugin),
    ):
        assert f"/admin/{endpoint}/details/?id={record.hashed_id}" in html
    prompt_html = client.get(f"/admin/pluginprompt/details/?id={plugin.plugin_prompt_plugin.hashed_id}").get_data(
        as_text=True
    )
    assert f"/admin/pluginmeta/details/?id={plugin.hashed_id}" in prompt_html


def test_details_page_shows_the_locator_and_a_copy_button(client, auth, plugin):
    auth.login("viewer")
    prompt = plugin.plugin_prompt_plugin
    html = client.get(f"/admin/pluginprompt/details/?id={prompt.hashed_id}").get_data(as_text=True)
    assert f'value="http://localhost/l/{prompt.record_locator}"' in html
    assert 'data-copy="#locator-url"' in html


def test_viewer_sees_no_create_edit_or_delete_controls(client, auth, plugin):
    auth.login("viewer")
    html = client.get("/admin/pluginmeta/").get_data(as_text=True)
    assert "/admin/pluginmeta/new/" not in html and "/admin/pluginmeta/edit/" not in html
    assert "/admin/pluginmeta/delete/" not in html
    assert re.findall(r"modelActions\.execute\('(\w+)'\)", html) == [
        "export_checked_manifests",
        "export_manifests",
    ]  # exporting is reading
    assert 'name="rowid"' not in client.get("/admin/pluginprompt/").get_data(as_text=True)


# --- forms: validation through the model layer --------------------------------------------


def prompt_form(plugin, **overrides):
    data = {
        "plugin": plugin.hashed_id,
        "provider": "openai",
        "model": "gpt-4o-mini",
        "temperature": "0.7",
        "max_completion_tokens": "1024",
        "system_role": "You answer questions about weather.",
    }
    data.update(overrides)
    return data


def field_errors(html: str, field: str) -> str:
    """The text of the error list rendered under ``field``."""
    match = re.search(rf'id="{field}".*?<div class="invalid-feedback">(.*?)</div>', html, re.S)
    return re.sub(r"<[^>]+>", " ", match.group(1)) if match else ""


def test_create_prompt_with_a_bad_temperature_shows_the_error_under_the_field(client, auth, app_context):
    plugin = factories.plugin(prompt=False)
    auth.login("editor")
    token = csrf_token(client, "/admin/pluginprompt/new/")
    response = client.post(
        "/admin/pluginprompt/new/", data={**prompt_form(plugin, temperature="3.5"), "csrf_token": token}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "3.5 is above openai&#39;s range 0–2" in field_errors(html, "temperature")
    assert "You answer questions about weather." in html and 'value="1024"' in html and 'value="3.5"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PluginPrompt)) == 0

    response = client.post(
        "/admin/pluginprompt/new/", data={**prompt_form(plugin, temperature="1.5"), "csrf_token": token}
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(PluginPrompt.temperature)) == 1.5


def test_every_field_error_at_once(client, auth, app_context):
    plugin = factories.plugin(prompt=False)
    auth.login("editor")
    token = csrf_token(client, "/admin/pluginprompt/new/")
    data = prompt_form(plugin, model="gpt-4o-mni", max_completion_tokens="0", system_role="   ")
    html = client.post("/admin/pluginprompt/new/", data={**data, "csrf_token": token}).get_data(as_text=True)
    assert "closest: gpt-4o-mini" in field_errors(html, "model")
    assert "below the minimum 1" in field_errors(html, "max_completion_tokens")
    assert "may not be blank" in field_errors(html, "system_role")


def test_duplicate_part_error_shows_under_the_plugin_field(client, auth, plugin):
    auth.login("editor")
    token = csrf_token(client, "/admin/pluginprompt/new/")
    html = client.post("/admin/pluginprompt/new/", data={**prompt_form(plugin), "csrf_token": token}).get_data(
        as_text=True
    )
    assert "this plugin already has a prompt" in field_errors(html, "plugin")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PluginPrompt)) == 1


def test_plugin_form_cleans_the_name_and_rejects_a_bad_version(client, auth, app_context):
    auth.login("editor")
    token = csrf_token(client, "/admin/pluginmeta/new/")
    data = {"name": "Weather Plugin", "plugin_class": "static", "version": "1.0", "csrf_token": token}
    html = client.post("/admin/pluginmeta/new/", data=data).get_data(as_text=True)
    assert "is not a SemVer version" in field_errors(html, "version")
    response = client.post("/admin/pluginmeta/new/", data={**data, "version": "1.2.0"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(PluginMeta.name)) == "weather_plugin"


def test_edit_keeps_posted_values_on_error_and_writes_nothing(client, auth, plugin):
    prompt = plugin.plugin_prompt_plugin
    auth.login("editor")
    url = f"/admin/pluginprompt/edit/?id={prompt.hashed_id}"
    token = csrf_token(client, url)
    data = {
        **prompt_form(plugin, provider="anthropic", model="claude-sonnet-4-5", temperature="1.5"),
        "csrf_token": token,
    }
    data["opened_version"] = prompt.row_version
    html = client.post(url, data=data).get_data(as_text=True)
    assert "1.5 is above anthropic&#39;s range 0–1" in field_errors(html, "temperature")
    assert '<option selected value="anthropic">' in html and 'value="claude-sonnet-4-5"' in html
    db.session.expire_all()
    assert db.session.get(PluginPrompt, prompt.id).provider == "openai"


def test_prompt_form_shows_the_catalog_limits(client, auth, plugin):
    auth.login("editor")
    html = client.get(f"/admin/pluginprompt/edit/?id={plugin.plugin_prompt_plugin.hashed_id}").get_data(as_text=True)
    assert "OpenAI accepts 0–2 (default 1)." in html
    assert "1 to 16,384 output tokens for gpt-4o-mini." in html
    assert '<script type="application/json" id="page-data">' in html and '"claude-sonnet-4-5"' in html


def test_admin_creates_a_user_with_a_hashed_password(client, auth, app_context):
    auth.login("admin")
    token = csrf_token(client, "/admin/user/new/")
    data = {"username": "newbie", "role": "viewer", "active": "y", "password": "short", "csrf_token": token}
    html = client.post("/admin/user/new/", data=data).get_data(as_text=True)
    assert "must be at least 8 characters" in field_errors(html, "password")
    response = client.post("/admin/user/new/", data={**data, "password": "long enough pass"})
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).filter_by(username="newbie"))
    assert user.check_password("long enough pass") and "long enough" not in user.password_hash
    assert "password_hash" not in client.get(f"/admin/user/details/?id={user.hashed_id}").get_data(as_text=True)


def test_moving_a_prompt_to_a_plugin_that_has_one_is_refused_and_deletes_nothing(client, auth, app_context):
    first, second = factories.plugin("first"), factories.plugin("second")
    prompt = first.plugin_prompt_plugin
    auth.login("editor")
    url = f"/admin/pluginprompt/edit/?id={prompt.hashed_id}"
    token = csrf_token(client, url)
    data = {**prompt_form(second), "opened_version": prompt.row_version, "csrf_token": token}
    html = client.post(url, data=data).get_data(as_text=True)
    assert "this plugin already has a prompt" in field_errors(html, "plugin")
    db.session.expire_all()
    assert sorted(db.session.scalars(sa.select(PluginPrompt.plugin_id))) == sorted([first.id, second.id])


def test_a_prompt_form_shows_every_error_at_once(app_context, client, auth):
    """A value the form cannot read (a word for a number) and the model's rules on the rest, in one answer."""
    owner = factories.plugin("lighthouse_cafe", prompt=False)
    auth.login("editor")
    body = client.post(
        "/admin/pluginprompt/new/",
        data={
            "csrf_token": csrf_token(client, "/admin/pluginprompt/new/"),
            "plugin": owner.hashed_id, "provider": "anthropic", "model": "gpt-4o-mini",
            "temperature": "warm", "max_completion_tokens": "999999", "system_role": "",
        },
    ).get_data(as_text=True)  # fmt: skip
    assert "Not a valid float value" in body  # WTForms' own check on temperature
    assert "&#39;gpt-4o-mini&#39; is not an Anthropic model in the catalog" in body
    assert "999,999 is above the largest output of any anthropic model" in body
    assert "is required and may not be blank" in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PluginPrompt)) == 0


def test_the_prompt_inputs_carry_the_models_limits(app_context, client, auth):
    prompt = factories.plugin("lighthouse_cafe", prompt={"model": "gpt-4o-mini"}).plugin_prompt_plugin
    auth.login("editor")
    body = client.get(f"/admin/pluginprompt/edit/?id={prompt.hashed_id}").get_data(as_text=True)
    temperature = re.search(r"<input[^>]*id=\"temperature\"[^>]*>", body).group(0)
    tokens = re.search(r"<input[^>]*id=\"max_completion_tokens\"[^>]*>", body).group(0)
    assert 'min="0"' in temperature and 'max="2"' in temperature and 'step="any"' in temperature
    assert 'min="1"' in tokens and 'max="16384"' in tokens and 'step="1"' in tokens


def test_messages_name_what_was_saved_created_and_deleted(app_context, client, auth):
    owner = factories.plugin("lighthouse_cafe", prompt=False)
    auth.login("admin")
    token = csrf_token(client, "/admin/pluginprompt/new/")
    fields = {"csrf_token": token, "plugin": owner.hashed_id, "provider": "openai", "model": "gpt-4o-mini",
              "temperature": "0.5", "max_completion_tokens": "100", "system_role": "You help."}  # fmt: skip
    created = client.post("/admin/pluginprompt/new/", data=fields, follow_redirects=True)
    assert "Created prompt of lighthouse_cafe." in created.get_data(as_text=True)
    prompt = db.session.scalar(sa.select(PluginPrompt))
    saved = client.post(
        f"/admin/pluginprompt/edit/?id={prompt.hashed_id}",
        data={**fields, "temperature": "0.7", "opened_version": "1"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Saved prompt of lighthouse_cafe." in saved and "successfully" not in saved
    for name in ("alpha", "beta"):
        factories.plugin(name)
    ids = [p.hashed_id for p in db.session.scalars(sa.select(PluginMeta).where(PluginMeta.name != "lighthouse_cafe"))]
    one = client.post(
        "/admin/pluginmeta/delete/", data={"csrf_token": token, "id": owner.hashed_id}, follow_redirects=True
    )
    assert "Deleted plugin lighthouse_cafe." in one.get_data(as_text=True)
    bulk = client.post(
        "/admin/pluginmeta/action/", data={"csrf_token": token, "action": "delete", "rowid": ids}, follow_redirects=True
    )
    text = bulk.get_data(as_text=True)  # the bulk delete goes in the database's order
    assert any(f"Deleted 2 records: plugin {a}, plugin {b}." in text for a, b in (("alpha", "beta"), ("beta", "alpha")))


# --- edits through the form: the record reaches the form, so its own values are no duplicate ---


EDITS = {
    "pluginmeta": ("description", "Edited without renaming."),
    "pluginselector": ("search_terms", ["test", "weather"]),
    "pluginprompt": ("system_role", "You answer edited questions."),
    "plugindata": ("description", "Edited data."),
}


def edit_page(client, view, record) -> tuple[str, dict]:
    """The edit URL of ``record`` and the fields a browser would submit from it unchanged."""
    url = f"/admin/{view}/edit/?id={record.hashed_id}"
    response = client.get(url)
    assert response.status_code == 200, url
    return url, form_fields(response.get_data(as_text=True))


@pytest.mark.parametrize("view", PLUGIN_VIEWS)
def test_editing_one_field_of_each_model_saves(client, auth, plugin, view):
    auth.login("editor")
    record = record_of(view, plugin)
    field, value = EDITS[view]
    url, data = edit_page(client, view, record)
    response = client.post(url, data={**data, field: ", ".join(value) if isinstance(value, list) else value})
    assert response.status_code == 302, field_errors(response.get_data(as_text=True), "name")
    db.session.expire_all()
    assert getattr(db.session.get(type(record), record.id), field) == value


def test_admin_changes_a_users_role_and_resets_a_password(client, auth, users, app_context):
    auth.login("admin")
    url, data = edit_page(client, "user", users["viewer"])
    assert client.post(url, data={**data, "role": "editor"}).status_code == 302
    url, data = edit_page(client, "user", users["viewer"])
    assert client.post(url, data={**data, "password": "a brand new secret"}).status_code == 302
    db.session.expire_all()
    user = db.session.get(User, users["viewer"].id)
    assert user.role == "editor" and user.check_password("a brand new secret")


def test_renaming_onto_a_taken_name_is_still_refused(client, auth, app_context):
    factories.plugin("first")
    second = factories.plugin("second")
    auth.login("editor")
    url, data = edit_page(client, "pluginmeta", second)
    html = client.post(url, data={**data, "name": "first"}).get_data(as_text=True)
    assert "already exists" in field_errors(html, "name").lower()
    db.session.expire_all()
    assert db.session.get(PluginMeta, second.id).name == "second"


def model_input(html: str) -> str:
    found = re.search(r'<input[^>]*id="model"[^>]*>', html)
    assert found, "no model input"
    return found.group(0)


def test_a_field_error_stays_on_its_own_form(client, auth, plugin):
    """Widget arguments are shared by every form of a view: rendering one error may not mark later forms."""
    auth.login("editor")
    token = csrf_token(client, "/admin/pluginprompt/new/")
    data = {**prompt_form(plugin, model="gpt-4o-mni"), "csrf_token": token}
    for _ in range(2):
        html = client.post("/admin/pluginprompt/new/", data=data).get_data(as_text=True)
        assert model_input(html).count("is-invalid") == 1
    for url in ("/admin/pluginprompt/new/", f"/admin/pluginprompt/edit/?id={plugin.plugin_prompt_plugin.hashed_id}"):
        assert "is-invalid" not in model_input(client.get(url).get_data(as_text=True)), url


def test_data_form_applies_the_smarter_rules_and_keeps_null_lists_null(client, auth, app_context):
    """The admin's data form passes the models' gate: a record it saves exports to a manifest Smarter reads."""
    record = factories.plugin("buoy_api", plugin_class="api", data=False)
    record.plugin_data_plugin = PluginData(
        connection="buoys_api", endpoint="/buoys/{buoy}/", parameters=[{"name": "buoy", "type": "string"}]
    )
    db.session.commit()
    data = record.plugin_data_plugin
    assert (data.method, data.test_values, data.limit) == ("GET", None, None)
    auth.login("editor")
    url = f"/admin/plugindata/edit/?id={data.hashed_id}"
    fields = form_fields(client.get(url).get_data(as_text=True))
    assert fields["test_values"].strip() == ""  # null shows blank, not []
    assert json.loads(fields["parameters"]) == [{"name": "buoy", "type": "string", "required": False}]
    response = client.post(url, data={**fields, "description": "Changed.", "endpoint": "/buoys/{buoy}/latest"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (data.description, data.endpoint, data.test_values) == ("Changed.", "/buoys/{buoy}/latest/", None)
    fields = form_fields(client.get(url).get_data(as_text=True))
    html = client.post(url, data={**fields, "test_values": "[]", "endpoint": "https://buoys.example/"}).get_data(
        as_text=True
    )
    assert "is not an endpoint path" in field_errors(html, "endpoint")
    assert "has no test value for the parameter &#39;buoy&#39;" in field_errors(html, "test_values")
    db.session.expire_all()
    assert (data.endpoint, data.test_values) == ("/buoys/{buoy}/latest/", None)


@pytest.mark.parametrize("text", ["%_%", "x" * 5000, "ü" * 300, "pluginmeta-rZZZZ", "r" + "A" * 40 + "x"])
def test_the_jump_box_answers_any_text_with_a_page(app_context, client, auth, text):
    factories.plugin("lighthouse_cafe")
    auth.login("viewer")
    response = client.get("/admin/go/", query_string={"q": text})
    assert response.status_code == 200
    assert "No plugin, record locator or hashed id matches" in response.get_data(as_text=True)


def test_the_jump_box_finds_only_what_the_person_may_read(app_context, client, auth, users):
    auth.login("viewer")
    body = client.get("/admin/go/", query_string={"q": users["admin"].record_locator}).get_data(as_text=True)
    assert "No plugin, record locator or hashed id matches" in body  # a user record: admins only
