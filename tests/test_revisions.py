"""Revisions (SPEC §6): recorded on every write path in the write's own transaction, numbered per
record, with actor and note; history, comparison, revision links, restore and undelete through
the write gate, the audit and its CSV, pruning, and the first revisions of the migration."""

import csv
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from plugin_admin import revisions
from plugin_admin.demo import seed
from plugin_admin.extensions import db
from plugin_admin.models import PluginMeta, PluginPrompt, PluginSelector, User, versioning
from plugin_admin.validation import ValidationError
from tests import factories
from tests.helpers import csrf_token

pytestmark = pytest.mark.usefixtures("app_context")  # ORM work in the test's own context


def numbers(model, record_id) -> list[tuple[int, str]]:
    found, _ = revisions.history(model, record_id, per_page=1000)
    return [(r.n, r.action) for r in reversed(found)]


def count_versions(model=PluginMeta) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(revisions.version_table(model)))


# --- recording, on every path -----------------------------------------------------------------


def test_orm_create_update_delete_are_numbered_revisions_with_actor_note_and_fields(app):
    versioning.set_context(db.session, actor="cli:ann", note="first import")
    plugin = factories.plugin()
    pk, prompt_id = plugin.id, plugin.plugin_prompt_plugin.id
    versioning.set_context(db.session, note="")
    plugin.description = "Answers questions."
    db.session.commit()
    db.session.delete(plugin)
    db.session.commit()

    assert numbers(PluginMeta, pk) == [(1, "create"), (2, "update"), (3, "delete")]
    first = revisions.get(PluginMeta, pk, 1)
    assert first.actor == "cli:ann" and first.note == "first import" and "name" in first.changed
    second = revisions.get(PluginMeta, pk, 2)
    assert second.changed == ["description"] and second.note is None
    gone = revisions.get(PluginMeta, pk, 3)
    assert gone.values["description"] == "Answers questions."  # the values before the delete
    assert numbers(PluginPrompt, prompt_id) == [(1, "create"), (2, "delete")]  # the cascade is kept too


def test_several_flushes_in_one_transaction_make_one_revision(app):
    plugin = factories.plugin()
    plugin.description = "one"
    db.session.flush()
    plugin.description = "two"
    db.session.flush()
    db.session.commit()
    plugin.author = "ops"
    db.session.commit()
    assert numbers(PluginMeta, plugin.id) == [(1, "create"), (2, "update"), (3, "update")]
    assert plugin.revision == 3 and revisions.get(PluginMeta, plugin.id, 2).values["description"] == "two"


def test_refused_and_rolled_back_writes_leave_no_revision(app):
    plugin = factories.plugin()
    before = count_versions()
    plugin.version = "not semver"
    with pytest.raises(ValidationError):
        db.session.commit()
    db.session.rollback()
    plugin.description = "never committed"
    db.session.flush()
    db.session.rollback()
    assert count_versions() == before == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(revisions.transaction_table())) == 1


def test_users_have_revisions_of_role_and_active_never_of_the_password(app):
    user = User(username="ann", role="viewer")
    user.set_password("first-password")
    db.session.add(user)
    db.session.commit()
    user.set_password("second-password")
    db.session.commit()
    assert numbers(User, user.id) == [(1, "create")]  # a password change is no revision
    user.role, user.active = "editor", False
    db.session.commit()
    assert numbers(User, user.id) == [(1, "create"), (2, "update")]
    assert revisions.get(User, user.id, 2).changed == ["role", "active"]
    assert "password_hash" not in revisions.version_table(User).c


def test_the_seed_writes_first_revisions_in_bulk(app):
    versioning.set_context(db.session, actor="cli:seeder")
    seed(30)
    plugins = db.session.scalars(sa.select(PluginMeta)).all()
    assert count_versions() == 30
    assert count_versions(PluginPrompt) == db.session.scalar(sa.select(sa.func.count()).select_from(PluginPrompt))
    first = revisions.get(PluginMeta, plugins[0].id, 1)
    assert first.action == "create" and first.actor == "cli:seeder" and first.values["name"] == plugins[0].name
    assert {p.changed_by for p in plugins} == {"cli:seeder"} and {p.revision for p in plugins} == {1}
    plugins[0].description = "edited after the seed"
    db.session.commit()
    assert numbers(PluginMeta, plugins[0].id) == [(1, "create"), (2, "update")]


def test_cli_commands_take_actor_and_note(app, runner, tmp_path):
    result = runner.invoke(
        args=["create-user", "ann", "--role", "editor", "--password-stdin", "--actor", "root", "--note", "new hire"],
        input="long-enough-password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).filter_by(username="ann"))
    (created,) = revisions.history(User, user.id)[0]
    assert (created.actor, created.note) == ("cli:root", "new hire")

    manifest = tmp_path / "weather.yaml"
    manifest.write_text(
        "apiVersion: smarter.sh/v1\nkind: Plugin\n"
        "metadata: {name: weather, description: d, version: 1.0.0, pluginClass: static}\n"
        "spec:\n  selector: {directive: always}\n  prompt: {provider: openai, model: gpt-4o-mini, systemRole: Hi}\n"
        "  data: {description: x, staticData: {a: 1}}\n"
    )
    result = runner.invoke(args=["import-manifest", str(manifest), "--note", "from git", "--actor", "deploy"])
    assert result.exit_code == 0, result.output
    plugin = db.session.scalar(sa.select(PluginMeta).filter_by(name="weather"))
    latest = revisions.latest(PluginMeta, plugin.id)
    assert (latest.action, latest.actor, latest.note) == ("create", "cli:deploy", "from git")
    assert revisions.latest(PluginPrompt, plugin.plugin_prompt_plugin.id).note == "from git"


def test_cli_refuses_an_overlong_note_and_writes_nothing(app, runner):
    args = ["create-user", "ann", "--password-stdin", "--note", "x" * 501]
    result = runner.invoke(args=args, input="long-password\n")
    assert result.exit_code == 2 and "at most 500" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_cli_actor_defaults_to_the_os_user(app, runner, monkeypatch):
    monkeypatch.setattr(versioning.getpass, "getuser", lambda: "opsperson")
    runner.invoke(args=["create-user", "bob", "--password-stdin"], input="long-enough-password\n")
    user = db.session.scalar(sa.select(User).filter_by(username="bob"))
    assert revisions.latest(User, user.id).actor == "cli:opsperson"


def edit(client, prompt, **changes):
    url = f"/admin/pluginprompt/edit/?id={prompt.hashed_id}"
    page = client.get(url).get_data(as_text=True)
    opened = re.search(r'name="opened_version" type="hidden" value="(\d+)"', page).group(1)
    data = {
        "plugin": prompt.plugin.hashed_id, "provider": prompt.provider, "model": prompt.model,
        "temperature": str(prompt.temperature), "max_completion_tokens": str(prompt.max_completion_tokens),
        "system_role": prompt.system_role, "csrf_token": csrf_token(client, url), "opened_version": opened,
    }  # fmt: skip
    return client.post(url, data={**data, **changes})


def test_form_save_records_the_logged_in_user_and_the_change_note(client, auth):
    prompt = factories.plugin().plugin_prompt_plugin
    auth.login("editor")
    assert edit(client, prompt, temperature="0.9", change_note="warmer answers").status_code == 302
    latest = revisions.latest(PluginPrompt, prompt.id)
    assert (latest.n, latest.action, latest.actor, latest.note) == (2, "update", "editor", "warmer answers")
    assert latest.changed == ["temperature"]
    db.session.expire_all()
    assert db.session.get(PluginPrompt, prompt.id).changed_by == "editor"


@pytest.mark.parametrize("model", ["pluginmeta", "pluginprompt", "user"])
def test_edit_pages_have_a_history_tab_and_a_change_note(client, auth, users, model):
    record = users["viewer"] if model == "user" else factories.plugin()
    record = record.plugin_prompt_plugin if model == "pluginprompt" else record
    auth.login("admin")
    page = client.get(f"/admin/{model}/edit/?id={record.hashed_id}").get_data(as_text=True)
    assert 'id="history-tab"' in page and 'name="change_note"' in page


def test_an_overlong_change_note_is_refused_and_nothing_saved(client, auth):
    prompt = factories.plugin().plugin_prompt_plugin
    auth.login("editor")
    response = edit(client, prompt, temperature="0.9", change_note="x" * 501)
    assert response.status_code == 200 and "500" in response.get_data(as_text=True)
    assert revisions.latest(PluginPrompt, prompt.id).n == 1


def test_a_save_costs_at_most_three_statements_more(client, auth, queries):
    prompt = factories.plugin().plugin_prompt_plugin
    auth.login("editor")
    edit(client, prompt, temperature="0.7")  # warm
    url = f"/admin/pluginprompt/edit/?id={prompt.hashed_id}"
    page = client.get(url).get_data(as_text=True)
    opened = re.search(r'name="opened_version" type="hidden" value="(\d+)"', page).group(1)
    data = {
        "plugin": prompt.plugin.hashed_id, "provider": "openai", "model": prompt.model, "temperature": "0.8",
        "max_completion_tokens": "100", "system_role": "x", "csrf_token": csrf_token(client, url),
        "opened_version": opened,
    }  # fmt: skip
    with queries:
        assert client.post(url, data=data).status_code == 302
    extra = [s for s in queries.statements if re.search(r'\b(INTO|FROM|UPDATE|JOIN) ("transaction"|\w+_version)\b', s)]
    assert 0 < len(extra) <= 3, extra


def test_stale_save_names_who_saved_and_when(app, client, auth):
    prompt = factories.plugin().plugin_prompt_plugin
    auth.login("editor")
    url = f"/admin/pluginprompt/edit/?id={prompt.hashed_id}"
    page = client.get(url).get_data(as_text=True)
    opened = re.search(r'name="opened_version" type="hidden" value="(\d+)"', page).group(1)
    versioning.set_context(db.session, actor="cli:night-job")
    prompt.temperature = 0.1
    db.session.commit()
    saved_at = prompt.updated_at.strftime("%Y-%m-%d %H:%M")
    response = edit(client, prompt, temperature="0.9", opened_version=opened)
    text = response.get_data(as_text=True)
    assert "cli:night-job" in text and saved_at in text and "revision 2" in text


def test_bulk_delete_records_delete_revisions_of_the_plugin_and_its_parts(client, auth):
    plugin = factories.plugin()
    ids = plugin.id, plugin.plugin_selector_plugin.id
    auth.login("admin")
    data = {"action": "delete", "rowid": [plugin.hashed_id], "csrf_token": csrf_token(client, "/admin/pluginmeta/")}
    assert client.post("/admin/pluginmeta/action/", data=data).status_code == 302
    assert revisions.latest(PluginMeta, ids[0]).action == "delete"
    assert revisions.latest(PluginSelector, ids[1]).actor == "admin"


# --- history, comparison, revision links ----------------------------------------------------------


@pytest.fixture
def edited(app):
    prompt = factories.plugin(commit=False).plugin_prompt_plugin
    prompt.system_role = "You are a helpful assistant.\nAnswer in English."
    db.session.commit()
    versioning.set_context(db.session, actor="cli:ann", note="tone")
    prompt.system_role = "You are a friendly assistant.\nAnswer in English."
    db.session.commit()
    return prompt


def test_history_lists_revisions_newest_first_from_details(client, auth, edited):
    auth.login("viewer")
    details = client.get(f"/admin/pluginprompt/details/?id={edited.hashed_id}").get_data(as_text=True)
    assert f"/admin/pluginprompt/history/?id={edited.hashed_id}" in details
    page = client.get(f"/admin/pluginprompt/history/?id={edited.hashed_id}").get_data(as_text=True)
    assert re.findall(r'<tr data-revision="(\d+)"', page) == ["2", "1"]
    assert "cli:ann" in page and "tone" in page and "System Role" in page
    assert 'name="rev"' not in page  # a viewer gets no restore buttons


def test_comparison_shows_a_line_and_word_diff_of_long_text(client, auth, edited):
    auth.login("viewer")
    page = client.get(f"/admin/pluginprompt/history/?id={edited.hashed_id}&a=1&b=2").get_data(as_text=True)
    assert "<del>helpful</del>" in page and "<ins>friendly</ins>" in page
    assert 'class="diff-line diff-equal"' in page  # the unchanged second line
    assert re.search(r'class="table-warning changed" data-field="system_role"', page)
    assert 'class="unchanged" data-field="model"' in page
    assert edited.plugin.record_locator in page  # the plugin by its locator, never its integer id


@pytest.mark.parametrize("query", ["a=1&b=9", "rev=7", "b=x", "page=-1", "a=99999999999999999999&b=1"])
def test_history_refuses_bad_or_unknown_revisions_without_a_500(client, auth, edited, query):
    auth.login("viewer")
    assert client.get(f"/admin/pluginprompt/history/?id={edited.hashed_id}&{query}").status_code in (400, 404)


def test_revision_links_go_through_login_to_a_read_only_view(client, auth, edited):
    url = f"/l/{edited.record_locator}@1"
    assert "/login" in client.get(url).headers["Location"]
    auth.login("viewer")
    response = client.get(url)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Revision 1 of 2" in page and "You are a helpful assistant." in page
    data = client.get(f"/l/{edited.record_locator}@2.json").get_json()
    assert data["revision"] == 2 and data["action"] == "update" and data["actor"] == "cli:ann"
    assert data["note"] == "tone" and data["record_locator"] == edited.record_locator and data["revised_at"]
    assert data["system_role"].startswith("You are a friendly")
    assert client.get(f"/l/{edited.record_locator}@3").status_code == 404
    assert client.get(f"/l/{edited.record_locator}@0.json").status_code == 404
    assert client.get("/l/nosuchmodel-rMTAwMDAwMQx@1").status_code == 404


def test_a_prompt_revision_has_its_request_preview(client, auth, edited):
    auth.login("viewer")
    then = client.get(f"/l/{edited.record_locator}@1.request.json").get_json()
    now = client.get(f"/l/{edited.record_locator}.request.json").get_json()
    assert "You are a helpful assistant." in str(then["body"]) and "You are a friendly" in str(now["body"])
    assert client.get(f"/l/{edited.record_locator}@9.request.json").status_code == 404
    assert client.get(f"/l/{edited.plugin.record_locator}@1.request.json").status_code == 404


def test_user_revisions_are_for_admins_only(client, auth, users):
    locator = users["viewer"].record_locator
    auth.login("editor")
    assert client.get(f"/l/{locator}@1.json").status_code == 403
    auth.logout()
    auth.login("admin")
    assert client.get(f"/l/{locator}@1.json").get_json()["username"] == "viewer"


# --- restore and undelete -------------------------------------------------------------------------


def restore(client, model, record, n, **extra):
    history = f"/admin/{model}/history/?id={record.hashed_id}"
    data = {"id": record.hashed_id, "rev": str(n), "csrf_token": csrf_token(client, history), **extra}
    return client.post(f"/admin/{model}/restore/", data=data)


def test_restore_writes_the_old_values_as_a_new_revision(client, auth, edited):
    auth.login("editor")
    response = restore(client, "pluginprompt", edited, 1, row_version=str(edited.row_version))
    assert response.status_code == 302
    db.session.expire_all()
    prompt = db.session.get(PluginPrompt, edited.id)
    assert prompt.system_role == "You are a helpful assistant.\nAnswer in English." and prompt.revision == 3
    latest = revisions.latest(PluginPrompt, prompt.id)
    assert (latest.action, latest.actor, latest.changed) == ("restore", "editor", ["system_role"])
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.findall(r'<tr data-revision="(\d+)"', page)[0] == "3"


def test_restore_is_refused_when_todays_catalog_refuses_the_values(client, auth, edited):
    table = revisions.version_table(PluginPrompt)
    db.session.execute(sa.update(table).where(table.c.id == edited.id, table.c.revision == 1).values(temperature=7.5))
    db.session.commit()
    auth.login("editor")
    response = restore(client, "pluginprompt", edited, 1, row_version=str(edited.row_version))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "cannot be restored" in page and "7.5" in page and "Temperature" in page
    db.session.expire_all()
    assert db.session.get(PluginPrompt, edited.id).revision == 2 and numbers(PluginPrompt, edited.id)[-1][0] == 2


def test_restore_checks_the_row_version_it_was_shown(client, auth, edited):
    auth.login("editor")
    response = restore(client, "pluginprompt", edited, 1, row_version="1")  # opened before revision 2
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "cli:ann saved this record at" in page and "nothing was restored" in page
    assert numbers(PluginPrompt, edited.id)[-1] == (2, "update")


def test_restore_needs_an_editor_and_a_csrf_token(client, auth, edited):
    auth.login("viewer")
    assert restore(client, "pluginprompt", edited, 1).status_code == 403
    auth.logout()
    auth.login("editor")
    data = {"id": edited.hashed_id, "rev": "1"}
    assert client.post("/admin/pluginprompt/restore/", data=data).status_code == 400
    assert numbers(PluginPrompt, edited.id)[-1] == (2, "update")


def test_only_admins_undelete_and_the_plugin_comes_back_with_its_id_locator_and_parts(client, auth, app):
    plugin = factories.plugin()
    pk, locator, prompt_id = plugin.id, plugin.record_locator, plugin.plugin_prompt_plugin.id
    db.session.delete(plugin)
    db.session.commit()
    gone = revisions.Revision(PluginMeta, pk, 0, "", "", None, None, [], 0)  # for its hashed id
    auth.login("editor")
    assert restore(client, "pluginmeta", gone, 1).status_code == 403
    assert client.get(f"/l/{locator}@2.json").get_json()["action"] == "delete"  # still reachable
    audit = client.get("/admin/audit/?action=delete").get_data(as_text=True)
    assert locator in audit and "deleted" in audit
    auth.logout()
    auth.login("admin")
    assert restore(client, "pluginmeta", gone, 1).status_code == 302
    db.session.expire_all()
    back = db.session.get(PluginMeta, pk)
    assert back is not None and back.record_locator == locator and back.name == "test_plugin"
    assert back.plugin_prompt_plugin.id == prompt_id
    assert numbers(PluginMeta, pk) == [(1, "create"), (2, "delete"), (3, "restore")]
    assert numbers(PluginPrompt, prompt_id)[-1] == (3, "restore")


def test_a_part_of_a_deleted_plugin_is_restored_with_the_plugin_not_alone(client, auth):
    plugin = factories.plugin()
    prompt = plugin.plugin_prompt_plugin
    gone = revisions.Revision(PluginPrompt, prompt.id, 0, "", "", None, None, [], 0)  # for its hashed id
    db.session.delete(plugin)
    db.session.commit()
    auth.login("admin")
    page = client.get(restore(client, "pluginprompt", gone, 1).headers["Location"]).get_data(as_text=True)
    assert "restore the plugin first" in page and plugin.record_locator in page
    assert numbers(PluginPrompt, gone.record_id)[-1] == (2, "delete")


# --- the audit ------------------------------------------------------------------------------------


@pytest.fixture
def audited(app, users):
    versioning.set_context(db.session, actor="cli:ann", note="launch weather")
    factories.plugin("weather")
    versioning.set_context(db.session, actor="cli:bob", note="")
    plugin = factories.plugin("calendar")
    versioning.set_context(db.session, note="=HYPERLINK(1)")
    plugin.description = "<b>new</b>"
    db.session.commit()
    return plugin


def test_audit_lists_every_revision_newest_first_and_filters(client, auth, audited):
    auth.login("viewer")
    page = client.get("/admin/audit/").get_data(as_text=True)
    rows = re.findall(r'<tr data-model="(\w+)" data-revision="(\d+)"', page)
    assert rows[0] == ("pluginmeta", "2") and ("user", "1") not in rows  # no user revisions for a viewer
    bob = client.get("/admin/audit/?actor=cli:bob&model=pluginmeta").get_data(as_text=True)
    assert re.findall(r'data-model="(\w+)" data-revision="(\d+)"', bob) == [("pluginmeta", "2"), ("pluginmeta", "1")]
    noted = client.get("/admin/audit/?q=launch").get_data(as_text=True)
    assert len(re.findall(r"<tr data-model", noted)) == 4 and "cli:bob" not in noted.split("audit-table")[1]
    updates = client.get("/admin/audit/?action=update").get_data(as_text=True)
    assert len(re.findall(r"<tr data-model", updates)) == 1
    future = (audited.updated_at + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert "No revisions match" in client.get(f"/admin/audit/?since={future}").get_data(as_text=True)


@pytest.mark.parametrize("query", ["model=nope", "action=explode", "since=yesterday", "after=1-2", "after=x-y-z"])
def test_audit_refuses_bad_filters_with_a_400(client, auth, audited, query):
    auth.login("viewer")
    assert client.get(f"/admin/audit/?{query}").status_code == 400


def test_audit_pages_by_cursor_without_repeats(client, auth, app, monkeypatch):
    monkeypatch.setattr(revisions, "PAGE_SIZE", 3)
    monkeypatch.setattr(revisions.audit, "__defaults__", (None, 3))
    seed(4)  # 4 plugins, with parts: about 16 create revisions in one transaction
    auth.login("viewer")
    seen, url = [], "/admin/audit/?model=pluginmeta"
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += re.findall(r'data-model="(\w+)" data-revision="\d+"[^>]*>\s*<td[^>]*>.*?</td>\s*<td>[^<]*</td>\s*'
                           r"<td>[^<]*</td>\s*<td><a href=\"/l/([\w-]+)\"", page, re.S)  # fmt: skip
        older = re.search(r'id="audit-older" href="([^"]+)"', page)
        url = older.group(1).replace("&amp;", "&") if older else None
    assert len(seen) == 4 and len(set(seen)) == 4


def test_audit_csv_is_plain_text_with_formulas_neutralised(client, auth, audited):
    auth.login("viewer")
    response = client.get("/admin/audit/export.csv?actor=cli:ann")
    assert response.status_code == 200 and response.content_type.startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["time", "actor", "model"] and len(rows) == 5
    assert {r[1] for r in rows[1:]} == {"cli:ann"} and rows[1][7] == "launch weather"
    assert "<" not in response.get_data(as_text=True)  # values are not exported, only field names
    bob = list(csv.reader(io.StringIO(client.get("/admin/audit/export.csv?actor=cli:bob").get_data(as_text=True))))
    assert bob[1][7] == "'=HYPERLINK(1)" and bob[1][6] == "description"


# --- pruning and the migration --------------------------------------------------------------------


def test_prune_keeps_each_records_latest_revision(app, runner):
    plugin = factories.plugin()
    for text in ("a", "b", "c"):
        plugin.description = text
        db.session.commit()
    tx = revisions.transaction_table()
    old = (plugin.updated_at - timedelta(days=40)).replace(tzinfo=None)
    db.session.execute(sa.update(tx).values(issued_at=old))
    db.session.commit()
    result = runner.invoke(args=["prune-revisions", "--older-than", "30"])
    assert result.exit_code == 0 and "pruned 3 revisions" in result.output, result.output
    assert numbers(PluginMeta, plugin.id) == [(4, "update")]
    assert numbers(PluginPrompt, plugin.plugin_prompt_plugin.id) == [(1, "create")]
    plugin.description = "d"
    db.session.commit()
    assert numbers(PluginMeta, plugin.id) == [(4, "update"), (5, "update")]  # numbers are never reused


def test_the_migration_gives_existing_records_a_first_revision(app):
    """On this pass's database: back to 0004, a record written there, then up again."""
    from flask_migrate import downgrade, upgrade

    db.session.remove()
    downgrade(revision="0004")
    try:
        db.session.execute(
            sa.text(
                "INSERT INTO plugin_meta (id, name, description, plugin_class, version, tags, annotations,"
                " created_at, updated_at, row_version) VALUES (7, 'old_one', '', 'static', '1.0.0', '[]', '[]',"
                " :now, :now, 4)"
            ),
            {"now": "2026-01-01 00:00:00+00:00"},
        )
        db.session.commit()
    finally:
        db.session.remove()
        upgrade()
    (first,) = revisions.history(PluginMeta, 7)[0]
    assert (first.n, first.action, first.actor, first.values["name"]) == (1, "create", "migration", "old_one")
    record = db.session.get(PluginMeta, 7)
    assert (record.revision, record.changed_by) == (1, "migration")
    record.description = "now with revisions"
    db.session.commit()
    assert numbers(PluginMeta, 7) == [(1, "create"), (2, "update")]


# --- who changed what, on the lists and the dashboard ---------------------------------------------


def test_plugin_and_prompt_lists_show_who_changed_a_record_last(client, auth, queries):
    plugin = factories.plugin()
    versioning.set_context(db.session, actor="cli:ann")
    plugin.plugin_prompt_plugin.temperature = 0.3
    db.session.commit()
    auth.login("viewer")
    plugins = client.get("/admin/pluginmeta/").get_data(as_text=True)
    assert "Last changed by" in plugins and re.search(r'class="col-changed_by">\s*cli:\w+', plugins)
    prompts = client.get("/admin/pluginprompt/").get_data(as_text=True)
    assert re.search(r'class="col-changed_by">\s*cli:ann\s*<', prompts)


def test_dashboard_recently_updated_shows_actor_action_and_fields(client, auth):
    plugin = factories.plugin()
    versioning.set_context(db.session, actor="cli:ann")
    plugin.description = "Now with a longer description."
    db.session.commit()
    auth.login("viewer")
    page = client.get("/admin/").get_data(as_text=True)
    summaries = re.findall(r'class="small text-muted revision-summary">([^<]+)<', page)
    assert "update by cli:ann: description" in summaries
