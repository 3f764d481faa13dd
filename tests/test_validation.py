"""The prompt and plugin rules, enforced on every write through the ORM."""

import itertools
import math

import pytest
import sqlalchemy as sa

from plugin_admin.extensions import db
from plugin_admin.models import PluginData, PluginMeta, PluginPrompt, PluginSelector
from plugin_admin.validation import ValidationError

from .factories import plugin

OWNERS = itertools.count()


def prompt_errors(**fields) -> dict:
    """Save a prompt with ``fields`` and return its errors ({} when it saved)."""
    owner = plugin(f"owner_{next(OWNERS)}", prompt=False)
    owner.plugin_prompt_plugin = PluginPrompt(**{"system_role": "You are a test assistant.", **fields})
    try:
        db.session.commit()
    except ValidationError as error:
        db.session.rollback()
        return error.errors
    return {}


def test_openai_accepts_temperature_1_5(app_context):
    assert prompt_errors(provider="openai", model="gpt-4o", temperature=1.5) == {}


def test_anthropic_refuses_temperature_1_5_naming_value_rule_and_source(app_context):
    errors = prompt_errors(provider="anthropic", model="claude-sonnet-4-5", temperature=1.5)
    (message,) = errors["temperature"]
    assert "1.5 is above anthropic's range 0–1" in message
    assert "anthropic-version 2023-06-01" in message and "checked 2026-12-01" in message


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, -0.1, "warm", True])
def test_temperature_must_be_finite_and_in_range(app_context, value):
    assert "temperature" in prompt_errors(temperature=value)


def test_unknown_model_is_refused_with_suggestions(app_context):
    (message,) = prompt_errors(provider="openai", model="gpt-4o-mni")["model"]
    assert "'gpt-4o-mni' is not an OpenAI model in the catalog" in message
    assert "closest: gpt-4o-mini" in message


def test_fine_tuned_openai_model_with_known_base_is_accepted(app_context):
    assert prompt_errors(model="ft:gpt-4o-mini-2024-07-18:acme::abc123") == {}
    assert "model" in prompt_errors(model="ft:gpt-9:acme::abc123")


def test_fixed_temperature_reasoning_model(app_context):
    (message,) = prompt_errors(model="o3", temperature=0.5)["temperature"]
    assert "o3 accepts only its default temperature 1" in message
    assert prompt_errors(model="o3", temperature=1) == {}


@pytest.mark.parametrize("tokens", [0, -1, 16385, 2.5, "many"])
def test_max_completion_tokens_bounded_by_the_models_output_limit(app_context, tokens):
    assert "max_completion_tokens" in prompt_errors(model="gpt-4o-mini", max_completion_tokens=tokens)


def test_max_completion_tokens_message_names_the_limit(app_context):
    (message,) = prompt_errors(model="gpt-4o-mini", max_completion_tokens=20000)["max_completion_tokens"]
    assert "20,000 is above gpt-4o-mini's maximum output of 16,384 tokens" in message


@pytest.mark.parametrize("role", ["", "   \n", None, "x" * 32001])
def test_system_role_required_and_bounded(app_context, role):
    assert "system_role" in prompt_errors(system_role=role)


def test_unknown_provider(app_context):
    errors = prompt_errors(provider="acme", model="gpt-4o")
    assert "'acme' is not a provider in the catalog" in errors["provider"][0]


def test_provider_is_cleaned_to_lower_case(app_context):
    assert prompt_errors(provider="  OpenAI ", model="gpt-4o") == {}
    assert db.session.scalar(sa.select(PluginPrompt.provider)) == "openai"


def test_all_errors_are_collected_at_once(app_context):
    errors = prompt_errors(
        provider="anthropic", model="nope", temperature=math.nan, max_completion_tokens=0, system_role=""
    )
    assert set(errors) == {"model", "temperature", "max_completion_tokens", "system_role"}


def test_refused_write_leaves_database_unchanged(app_context):
    record = plugin("keep_me")
    prompt = record.plugin_prompt_plugin
    prompt.temperature = 1.9  # the default model gpt-4o-mini allows 0-2, but ...
    prompt.provider = "anthropic"  # ... anthropic allows 0-1, and has no gpt-4o-mini
    with pytest.raises(ValidationError):
        db.session.commit()
    db.session.rollback()
    db.session.expire_all()
    stored = db.session.get(PluginPrompt, prompt.id)
    assert (stored.provider, stored.temperature, stored.row_version) == ("openai", 0.5, 1)


def test_refused_insert_writes_nothing(app_context):
    record = PluginMeta(name="half")
    record.plugin_prompt_plugin = PluginPrompt(temperature=9)
    db.session.add(record)
    with pytest.raises(ValidationError):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PluginMeta)) == 0


def test_plugin_name_is_snake_cased_and_unique(app_context):
    assert plugin("Test Plugin").name == "test_plugin"
    with pytest.raises(ValidationError) as caught:
        plugin("test plugin")
    assert "already exists" in caught.value.errors["name"][0]


def test_two_new_plugins_with_one_name_in_one_flush(app_context):
    db.session.add_all([PluginMeta(name="twin"), PluginMeta(name="twin")])
    with pytest.raises(ValidationError) as caught:
        db.session.flush()
    assert "name" in caught.value.errors


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"version": "1.0"}, "version"),
        ({"version": "01.0.0"}, "version"),
        ({"plugin_class": "graphql"}, "plugin_class"),
        ({"tags": "not-a-list"}, "tags"),
        ({"annotations": [{"a b": 1}]}, "annotations"),
        ({"name": "!!!"}, "name"),
        ({"name": "a" * 256}, "name"),
    ],
)
def test_plugin_rules(app_context, fields, field):
    with pytest.raises(ValidationError) as caught:
        plugin(fields.pop("name", "rules"), **fields)
    assert field in caught.value.errors


def test_semver_with_prerelease_and_build(app_context):
    assert plugin(version="1.2.3-beta.1+build.5").version == "1.2.3-beta.1+build.5"


def test_selector_terms_follow_directive(app_context):
    owner = plugin("sel", selector=False)
    owner.plugin_selector_plugin = PluginSelector(directive="search_terms", search_terms=[])
    with pytest.raises(ValidationError) as caught:
        db.session.commit()
    assert "required" in caught.value.errors["search_terms"][0]
    db.session.rollback()
    owner.plugin_selector_plugin = PluginSelector(directive="always", search_terms=["x"])
    with pytest.raises(ValidationError) as caught:
        db.session.commit()
    assert "must be empty" in caught.value.errors["search_terms"][0]


def test_plugin_data_rules_follow_plugin_class(app_context):
    owner = plugin("sql_one", plugin_class="sql", data=False)
    owner.plugin_data_plugin = PluginData(description="d")
    with pytest.raises(ValidationError) as caught:
        db.session.commit()
    assert {"connection", "sql_query"} <= set(caught.value.errors)


def test_deleting_a_plugin_deletes_its_parts(app_context):
    db.session.delete(plugin("doomed"))
    db.session.commit()
    for model in (PluginPrompt, PluginSelector, PluginData):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0


def test_validation_error_str_names_fields(app_context):
    error = ValidationError({"temperature": ["1.5 is above anthropic's range 0–1"]}, model="PluginPrompt")
    assert str(error) == "PluginPrompt: temperature: 1.5 is above anthropic's range 0–1"


def test_a_second_part_given_through_the_relationship_is_refused_not_swapped_in(app_context):
    owner = plugin("has_prompt")
    first = owner.plugin_prompt_plugin
    db.session.add(PluginPrompt(plugin=owner, system_role="A second prompt."))
    with pytest.raises(ValidationError) as caught:
        db.session.commit()
    assert caught.value.errors["plugin_id"] == ["this plugin already has a prompt"]
    db.session.rollback()
    assert db.session.scalars(sa.select(PluginPrompt.id)).all() == [first.id]


def test_errors_that_depend_on_the_model_come_with_the_model_error(app_context):
    errors = prompt_errors(provider="anthropic", model="claude-nope", temperature=1.5, max_completion_tokens=10**7)
    assert set(errors) == {"model", "temperature", "max_completion_tokens"}
    assert "above the largest output of any anthropic model" in errors["max_completion_tokens"][0]


def test_errors_that_depend_on_the_provider_come_with_the_provider_error(app_context):
    errors = prompt_errors(provider="acme", model="gpt-4o", temperature=7, max_completion_tokens=10**7)
    assert set(errors) == {"provider", "temperature", "max_completion_tokens"}
    (message,) = errors["provider"]
    assert "known: openai, anthropic" in message and "gpt-4o is a model of openai" in message
    assert "outside every provider's range" in errors["temperature"][0]
    assert "any model in the catalog" in errors["max_completion_tokens"][0]
    assert prompt_errors(provider="acme", model="gpt-4o", temperature=1, max_completion_tokens=100).keys() == {
        "provider"
    }
