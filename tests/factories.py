"""Small builders for valid records; tests override only what they are about."""

from plugin_admin.extensions import db
from plugin_admin.models import PluginData, PluginMeta, PluginPrompt, PluginSelector, utcnow
from plugin_admin.models.gate import VALIDATED

PAST_THE_GATE = VALIDATED
"""Tests that store what the rules refuse (an older catalog's records) say so: the rows were not
validated, on purpose, and the gate lets them through because the test says it checked them."""


def plugin(name="test_plugin", *, prompt=True, selector=True, data=True, commit=True, **fields):
    """A plugin with a valid prompt, selector and (static) data unless told otherwise."""
    record = PluginMeta(name=name, description="A plugin for tests.", **fields)
    if prompt:
        record.plugin_prompt_plugin = PluginPrompt(
            system_role="You are a test assistant.", **(prompt if isinstance(prompt, dict) else {})
        )
    if selector:
        record.plugin_selector_plugin = PluginSelector(search_terms=["test"])
    if data:
        record.plugin_data_plugin = PluginData(static_data={"answer": 42})
    db.session.add(record)
    if commit:
        db.session.commit()
    return record


def raw_prompt(plugin_id: int, **values) -> None:
    """A prompt written past the write gate: what an older catalog let through."""
    now = utcnow()
    row = {
        "plugin_id": plugin_id, "provider": "openai", "model": "gpt-4o-mini", "temperature": 0.5,
        "max_completion_tokens": 2048, "system_role": "You are a test assistant.",
        "created_at": now, "updated_at": now, "row_version": 1,
    }  # fmt: skip
    db.session.execute(PluginPrompt.__table__.insert(), [{**row, **values}], execution_options=PAST_THE_GATE)
    db.session.commit()
