"""Bulk statements through a session skip the flush: the write gate refuses the unvalidated ones
and makes stale whatever a bulk write touches."""

import pytest
import sqlalchemy as sa

from plugin_admin import caching
from plugin_admin.extensions import db
from plugin_admin.models import PluginMeta, PluginPrompt, User, utcnow
from plugin_admin.models.gate import VALIDATED, UnvalidatedBulkWrite

from .factories import plugin


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def new_plugin_row(name: str) -> dict:
    now = utcnow()
    return {"name": name, "plugin_class": "static", "version": "1.0.0", "description": "", "tags": [],
            "annotations": [], "created_at": now, "updated_at": now, "row_version": 1}  # fmt: skip


@pytest.mark.parametrize(
    "statement, rows",
    [
        (lambda: sa.insert(PluginMeta), lambda: [new_plugin_row("bulk_one"), new_plugin_row("bulk_two")]),
        (lambda: PluginMeta.__table__.insert(), lambda: [new_plugin_row("bulk_one")]),
        (lambda: sa.update(PluginPrompt).values(temperature=3.5), lambda: None),
        (lambda: sa.update(User).values(role="root"), lambda: None),
    ],
    ids=["orm insert", "core insert", "update", "users"],
)
def test_a_bulk_write_that_does_not_say_it_validated_is_refused(app_context, statement, rows):
    plugin("kept")
    with pytest.raises(UnvalidatedBulkWrite, match="skips the write gate.*prepare_rows"):
        db.session.execute(statement(), rows())
    db.session.rollback()
    assert count(PluginMeta) == 1
    assert db.session.scalar(sa.select(PluginPrompt.temperature)) == 0.5


def test_a_validated_bulk_update_is_written_and_seen_by_the_next_cached_read(app_context):
    record = plugin("cached")
    pk, prompt_pk = record.id, record.plugin_prompt_plugin.id
    PluginPrompt.get_cached_prompt_by_plugin(pk)  # warm: by plugin, by id and the list of all
    PluginPrompt.get_cached_object(pk=prompt_pk)
    PluginPrompt.get_cached_objects()
    generation = caching.generation()
    db.session.execute(sa.update(PluginPrompt).values(temperature=0.9), execution_options=VALIDATED)
    db.session.commit()
    db.session.remove()
    assert PluginPrompt.get_cached_prompt_by_plugin(pk).temperature == 0.9
    assert PluginPrompt.get_cached_object(pk=prompt_pk).temperature == 0.9
    assert [p.temperature for p in PluginPrompt.get_cached_objects()] == [0.9]
    assert caching.generation() != generation  # lists and the dashboard count afresh


def test_a_validated_bulk_update_by_primary_key_invalidates_its_rows(app_context):
    first, second = plugin("first"), plugin("second")
    ids = first.id, second.id
    for pk in ids:
        PluginPrompt.get_cached_prompt_by_plugin(pk)
    prompt = first.plugin_prompt_plugin
    rows = [{"id": prompt.id, "row_version": prompt.row_version, "temperature": 0.1}]
    db.session.execute(sa.update(PluginPrompt), rows, execution_options=VALIDATED)
    db.session.commit()
    db.session.remove()
    assert [PluginPrompt.get_cached_prompt_by_plugin(pk).temperature for pk in ids] == [0.1, 0.5]


def test_a_validated_bulk_insert_is_listed_at_once(app_context):
    plugin("first")
    assert [p.name for p in PluginMeta.get_cached_objects()] == ["first"]
    db.session.execute(sa.insert(PluginMeta), [new_plugin_row("second")], execution_options=VALIDATED)
    db.session.commit()
    db.session.remove()
    assert [p.name for p in PluginMeta.get_cached_objects()] == ["first", "second"]


def test_a_bulk_delete_needs_no_flag_and_invalidates(app_context):
    pk = plugin("gone").id
    assert PluginPrompt.get_cached_prompt_by_plugin(pk) is not None
    db.session.execute(sa.delete(PluginPrompt).where(PluginPrompt.plugin_id == pk))
    db.session.commit()
    db.session.remove()
    assert PluginPrompt.get_cached_prompt_by_plugin(pk) is None


def test_a_bulk_update_of_more_rows_than_one_statement_binds_reads_them_in_batches(app_context, monkeypatch):
    """100,000 ids in one IN list is past PostgreSQL's 65,535 parameters: the gate reads them in batches."""
    from plugin_admin.models import gate

    monkeypatch.setattr(gate, "ID_BATCH", 2)
    records = [plugin(f"batch_{n}") for n in range(5)]
    ids = [record.id for record in records]
    prompts = [record.plugin_prompt_plugin for record in records]
    rows = [{"id": p.id, "row_version": p.row_version, "temperature": 0.2} for p in prompts]
    for pk in ids:
        PluginPrompt.get_cached_prompt_by_plugin(pk)
    db.session.execute(sa.update(PluginPrompt), rows, execution_options=VALIDATED)
    db.session.commit()
    db.session.remove()
    assert [PluginPrompt.get_cached_prompt_by_plugin(pk).temperature for pk in ids] == [0.2] * 5
