"""The seed's base-model members."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from plugin_admin.extensions import db
from plugin_admin.models import PluginData, PluginMeta, PluginPrompt, PluginSelector, TimestampedModel, User
from plugin_admin.serialization import data_to_dict, mask_string, sorted_dict

from .factories import PAST_THE_GATE, plugin


def test_timestamps_are_aware_utc_and_updated(app_context):
    record = plugin()
    created, updated = record.created_at, record.updated_at
    assert created.tzinfo is not None and created.utcoffset() == timedelta(0)
    db.session.expire_all()
    assert record.created_at.tzinfo is not None  # read back from the database, SQLite included
    record.description = "changed"
    db.session.commit()
    assert record.updated_at > updated and record.created_at == created
    assert record.row_version == 2


def test_hashed_id_and_locators(app_context):
    record = plugin()
    prompt = record.plugin_prompt_plugin
    assert record.hashed_id == "rMTAwMDAwMQx"
    assert prompt.record_locator == "pluginprompt-rMTAwMDAwMQx"
    assert PluginPrompt.id_from_hashed_id(prompt.hashed_id) == prompt.id
    assert PluginPrompt.find_hash(f"see {prompt.record_locator}") == prompt.hashed_id
    assert PluginPrompt.hash_regex().search(prompt.record_locator)
    assert PluginPrompt.get_object_by_locator(prompt.record_locator) == prompt
    assert TimestampedModel.get_object_by_locator(record.record_locator) == record
    assert TimestampedModel.get_object_by_locator(prompt.record_locator) == prompt
    # a class resolves only its own locators; junk resolves to nothing
    assert PluginMeta.get_object_by_locator(prompt.record_locator) is None
    for junk in ("", "pluginprompt-", "pluginprompt-rMTAwMDAwOTk5OTkx", "nomodel-rMTAwMDAwMQx", "x" * 10_000, None):
        assert TimestampedModel.get_object_by_locator(junk) is None


def test_to_json_has_every_field_and_no_integer_ids(app_context):
    prompt = plugin().plugin_prompt_plugin
    data = prompt.to_json()
    assert data["created_at"].endswith("Z") and data["updated_at"].endswith("Z")
    assert data["hashed_id"] == prompt.hashed_id
    assert data["record_locator"] == prompt.record_locator
    assert data["plugin"] == prompt.plugin.record_locator
    assert isinstance(data["elapsed_updated"], int)
    assert {"provider", "model", "temperature", "max_completion_tokens", "system_role", "row_version"} <= set(data)
    assert "id" not in data and "plugin_id" not in data


def test_to_json_leaves_out_password_hashes(app_context):
    user = User(username="ann", role="viewer")
    user.set_password("correct horse")
    db.session.add(user)
    db.session.commit()
    assert "password_hash" not in user.to_json()


def test_elapsed_updated_property_and_method(app_context):
    assert PluginMeta(name="unsaved").elapsed_updated is None
    record = plugin()
    assert 0 <= record.elapsed_updated <= 5
    later = record.updated_at + timedelta(seconds=90)
    assert record.elapsed_updated(later) == 90
    assert record.elapsed_updated(later.astimezone(UTC).replace(tzinfo=None)) == 90  # naive
    with pytest.raises(TypeError):
        record.elapsed_updated("yesterday")


def test_data_to_dict():
    assert data_to_dict({"a": 1}) == {"a": 1}
    assert data_to_dict('{"a": 1}') == {"a": 1}
    assert data_to_dict("a: 1\nb: [2]") == {"a": 1, "b": [2]}
    for bad in ("- just\n- a list", "a: [unclosed", 42, None):
        with pytest.raises(ValueError):
            data_to_dict(bad)


def test_sorted_dict_and_mask_string():
    assert list(sorted_dict({"b": 1, "a": {"d": 1, "c": 2}})) == ["a", "b"]
    assert list(sorted_dict({"b": 1, "a": {"d": 1, "c": 2}})["a"]) == ["c", "d"]
    assert mask_string("supersecretpassword") == "****word"
    assert mask_string("supersecretpassword", mask_length=0) == "********"
    assert PluginMeta.mask_string("abcdefghij", mask_char="#", mask_length=2, string_length=5) == "###ij"


def test_names_and_state(app_context):
    record = plugin()
    assert record.unformatted_class_name == "PluginMeta"
    assert record.formatted_class_name == "plugin_admin.models.plugins.PluginMeta()"
    assert record.ready and (record.formatted_state_ready, record.formatted_state_not_ready) == ("READY", "NOT_READY")
    assert "/healthz" in record.amnesty_urls and "/robots.txt" in record.amnesty_urls
    assert not PluginMeta(name="unsaved").ready


def test_ready_is_false_when_todays_catalog_refuses_a_stored_record(app_context):
    prompt = plugin().plugin_prompt_plugin
    retire = sa.update(PluginPrompt).values(model="gpt-retired")  # as if the catalog dropped it
    db.session.execute(retire, execution_options=PAST_THE_GATE)
    db.session.commit()
    db.session.expire_all()
    assert not db.session.get(PluginPrompt, prompt.id).ready


def test_does_not_exist_and_multiple_objects_per_class(app_context):
    plugin("one")
    plugin("two")
    assert PluginMeta.get(name="one").name == "one"
    with pytest.raises(PluginMeta.DoesNotExist):
        PluginMeta.get(name="three")
    with pytest.raises(PluginMeta.MultipleObjectsReturned):
        PluginMeta.get(plugin_class="static")
    assert PluginMeta.DoesNotExist is not PluginPrompt.DoesNotExist
    assert issubclass(PluginPrompt.DoesNotExist, TimestampedModel.DoesNotExist)


def test_build_absolute_uri(app):
    with app.test_request_context("/admin/pluginmeta/?page=2", base_url="https://ops.example.test"):
        assert TimestampedModel.build_absolute_uri() == "https://ops.example.test/admin/pluginmeta/?page=2"
    with pytest.raises(ValueError):
        TimestampedModel.build_absolute_uri()


def test_defaults_follow_the_smarter_platform(app_context):
    prompt = PluginPrompt()
    assert (prompt.provider, prompt.model, prompt.temperature, prompt.max_completion_tokens) == (
        "openai",
        "gpt-4o-mini",
        0.5,
        2048,
    )
    assert prompt.system_role == "You are a helpful assistant."
    meta = PluginMeta(name="x")
    assert (meta.plugin_class, meta.version, meta.tags, meta.description) == ("static", "1.0.0", [], "")
    assert PluginSelector().directive == "search_terms"
    assert PluginData().description == ""


def test_passwords_are_hashed(app_context):
    user = User(username="bob", role="editor")
    user.set_password("s3cret-enough")
    assert user.password_hash != "s3cret-enough" and user.check_password("s3cret-enough")
    assert not user.check_password("wrong")
    assert user.can("viewer") and user.can("editor") and not user.can("admin")


def test_elapsed_updated_measures_from_now(app_context):
    record = plugin()
    record.updated_at = datetime.now(UTC) - timedelta(minutes=5)
    assert 299 <= record.elapsed_updated <= 305
