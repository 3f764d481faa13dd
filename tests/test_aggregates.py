"""Dashboard aggregates: right numbers, catalog rules checked in SQL, cached, bounded in statements."""

import json
import pickle
import uuid

import sqlalchemy as sa

from plugin_admin import demo
from plugin_admin.admin import aggregates
from plugin_admin.admin.catalog_rules import RULES, first_broken_rule
from plugin_admin.catalog import CATALOG_PATH, get_catalog, parse_catalog
from plugin_admin.extensions import db
from plugin_admin.models import PluginPrompt
from plugin_admin.validation import Errors, check_prompt

from .factories import plugin, raw_prompt
from .helpers import QueryCounter, empty_tables

COLD_STATEMENTS = 7
"""What a cold dashboard costs at most, whatever the number of records."""


def bare_plugin(name: str) -> int:
    return plugin(name, prompt=False).id


def catalog_without(provider: str, model: str):
    data = json.loads(CATALOG_PATH.read_text(encoding="utf-8"))
    del data["providers"][provider]["models"][model]
    return parse_catalog(data)


def by_label(histogram: list[dict]) -> dict:
    return {b["label"]: b["count"] for b in histogram}


# --- numbers -------------------------------------------------------------------------


def test_totals_breakdowns_and_distributions(app_context):
    plugin(
        "alpha",
        prompt={
            "provider": "anthropic",
            "model": "claude-haiku-4-5",
            "temperature": 0.3,
            "max_completion_tokens": 1000,
        },
    )
    plugin("beta", plugin_class="static")
    plugin("gamma", prompt={"temperature": 1.5, "max_completion_tokens": 300})
    plugin("delta", prompt=False)
    plugin("epsilon", selector=False, data=False)

    stats = aggregates.compute_stats(get_catalog())

    assert stats["totals"] == {
        "plugin": 5, "prompt": 4, "selector": 4, "data": 4,
        "missing_prompt": 1, "missing_selector": 1, "missing_data": 1, "failing_prompt": 0,
    }  # fmt: skip
    assert stats["by_provider"] == [{"provider": "openai", "count": 3}, {"provider": "anthropic", "count": 1}]
    assert stats["by_model"] == [
        {"provider": "openai", "model": "gpt-4o-mini", "count": 3},
        {"provider": "anthropic", "model": "claude-haiku-4-5", "count": 1},
    ]
    assert stats["plugin_classes"] == [{"key": "static", "count": 5}]
    assert stats["directives"] == [{"key": "search_terms", "count": 4}]
    temperature = by_label(stats["temperature"])
    assert (temperature["0.3"], temperature["0.5"], temperature["1.5"]) == (1, 2, 1)
    assert sum(temperature.values()) == 4
    assert "< 0" not in temperature and "> 2" not in temperature  # outlier buckets only when used
    tokens = by_label(stats["tokens"])
    assert (tokens["256"], tokens["512"], tokens["1K"], tokens["2K"]) == (0, 1, 1, 2)
    assert list(tokens)[-1] == "128K"  # up to the largest output limit in the catalog
    assert stats["rule_failures"] == [] and stats["failing_samples"] == []
    assert [(p["name"], p["missing"]) for p in stats["incomplete_samples"]] == [
        ("epsilon", ["selector", "data"]),
        ("delta", ["prompt"]),
    ]


def test_recently_updated_lists_every_kind_newest_first(app_context):
    plugin("older")
    newer = plugin("newer")
    newer.plugin_prompt_plugin.temperature = 0.7
    db.session.commit()

    recent = aggregates.compute_stats(get_catalog())["recent"]

    assert len(recent) == aggregates.RECENT
    assert (recent[0]["kind"], recent[0]["name"], recent[0]["id"]) == ("prompt", "newer", newer.plugin_prompt_plugin.id)
    assert {r["kind"] for r in recent} == {"plugin", "prompt", "selector", "data"}
    times = [r["updated_at"] for r in recent]
    assert times == sorted(times, reverse=True)
    assert all(t.tzinfo is not None for t in times)


def test_buckets_follow_the_catalog():
    temperature = aggregates.temperature_buckets(get_catalog())
    assert [b["label"] for b in temperature[:3]] == ["< 0", "0.0", "0.1"]
    assert temperature[-2]["label"] == "2.0" and temperature[-1]["label"] == "> 2"
    tokens = aggregates.token_buckets(get_catalog())
    assert [(b["label"], b["greater_than"], b["smaller_than"]) for b in tokens[:2]] == [
        ("256", None, 257),
        ("512", 256, 513),
    ]
    assert tokens[-1] == {"label": "> 128K", "greater_than": 131072, "smaller_than": None, "outlier": True}


def test_outlier_buckets_appear_when_used(app_context):
    raw_prompt(bare_plugin("hot"), temperature=2.5)
    raw_prompt(bare_plugin("cold"), temperature=-0.5, max_completion_tokens=200_000)
    stats = aggregates.compute_stats(get_catalog())
    assert by_label(stats["temperature"])["> 2"] == 1 and by_label(stats["temperature"])["< 0"] == 1
    assert by_label(stats["tokens"])["> 128K"] == 1


# --- today's catalog rules, in SQL ----------------------------------------------------------


def test_records_failing_todays_catalog_are_found_and_grouped(app_context):
    raw_prompt(bare_plugin("palm_user"), provider="palm", model="text-bison")
    raw_prompt(bare_plugin("old_model"), model="gpt-4-32k")
    raw_prompt(bare_plugin("hot_claude"), provider="anthropic", model="claude-haiku-4-5", temperature=1.5)
    raw_prompt(bare_plugin("warm_o3"), model="o3", temperature=0.5, max_completion_tokens=1000)
    raw_prompt(bare_plugin("long_turbo"), model="gpt-3.5-turbo", max_completion_tokens=8000)
    raw_prompt(bare_plugin("zero_tokens"), max_completion_tokens=0)
    raw_prompt(bare_plugin("fine_tuned_ok"), model="ft:gpt-4o-mini-2024-07-18:acme:support:abc123")
    raw_prompt(bare_plugin("fine_tuned_long"), model="ft:gpt-4o-mini-2024-07-18:acme::x", max_completion_tokens=20000)
    raw_prompt(bare_plugin("fine_tuned_unknown"), model="ft:gpt-9:acme::x")
    plugin("fine")

    stats = aggregates.compute_stats(get_catalog())

    found = {
        (f["rule"], f["provider"], f["model"]): (f["count"], f["limit"], f["detail"]) for f in stats["rule_failures"]
    }
    assert found == {
        ("unknown_provider", "palm", "text-bison"): (1, None, ""),
        ("unknown_model", "openai", "gpt-4-32k"): (1, None, ""),
        ("unknown_model", "openai", "ft:gpt-9:acme::x"): (1, None, ""),
        ("temperature_above", "anthropic", "claude-haiku-4-5"): (1, 1.0, "range 0–1"),
        ("temperature_below", "openai", "o3"): (1, 1.0, "only 1 is accepted"),
        ("tokens_above", "openai", "gpt-3.5-turbo"): (1, 4096, "at most 4,096 output tokens"),
        ("tokens_above", "openai", "ft:gpt-4o-mini-2024-07-18:acme::x"): (1, 16384, "at most 16,384 output tokens"),
        ("tokens_below", "openai", "gpt-4o-mini"): (1, None, ""),
    }
    assert stats["totals"]["failing_prompt"] == 8
    samples = stats["failing_samples"]
    assert len(samples) == aggregates.SAMPLES
    assert [s["name"] for s in samples] == [
        "fine_tuned_unknown",
        "fine_tuned_long",
        "zero_tokens",
        "long_turbo",
        "warm_o3",
    ]
    assert samples[0]["rule"] == "unknown_model" and samples[3]["rule"] == "tokens_above"


def test_a_model_the_catalog_no_longer_lists_is_reported(app_context):
    plugin("turbo", prompt={"model": "gpt-3.5-turbo", "max_completion_tokens": 1000})
    plugin("mini")
    stats = aggregates.compute_stats(catalog_without("openai", "gpt-3.5-turbo"))
    assert [(f["rule"], f["model"], f["count"]) for f in stats["rule_failures"]] == [
        ("unknown_model", "gpt-3.5-turbo", 1)
    ]
    assert [s["name"] for s in stats["failing_samples"]] == ["turbo"]


def _first_field(errors: Errors) -> str | None:
    return next((f for f in ("provider", "model", "temperature", "max_completion_tokens") if f in errors), None)


RULE_FIELDS = {
    "unknown_provider": "provider",
    "unknown_model": "model",
    "temperature_above": "temperature",
    "temperature_below": "temperature",
    "tokens_above": "max_completion_tokens",
    "tokens_below": "max_completion_tokens",
}


def test_sql_rules_agree_with_the_validation_rules(app_context):
    cases = [
        ("openai", "gpt-4o", 2.0, 16384), ("openai", "gpt-4o", 2.01, 16384), ("openai", "gpt-4o", 0.0, 16385),
        ("openai", "gpt-4o", -0.1, 10), ("openai", "o4-mini", 1.0, 100000), ("openai", "o4-mini", 1.2, 5),
        ("openai", "gpt-5", 0.0, 128001), ("openai", "ft:gpt-4o", 0.2, 100),
        ("openai", "ft:gpt-4o-2024-08-06", 0.2, 100), ("openai", "ft:gpt-4o-2024-08-06:org:name:id", 0.2, 16385),
        ("openai", "ft:gpt-4o-20240806:org", 0.2, 100),
        ("openai", "ft:", 0.2, 100), ("openai", "GPT-4o", 0.2, 100), ("anthropic", "ft:claude-haiku-4-5:x", 0.2, 100),
        ("anthropic", "claude-haiku-4-5", 1.0, 0), ("mistral", "codestral-latest", 1.5, 100),
        ("mistral", "codestral-latest", 1.51, 100), ("metaai", "Llama-3.3-70B-Instruct", 0.6, 1),
        ("nobody", "x", 9.0, 0), ("cohere", "nope", 5.0, 1),
    ]  # fmt: skip
    for index, (provider, model, temperature, tokens) in enumerate(cases):
        raw_prompt(
            bare_plugin(f"case_{index}"),
            provider=provider,
            model=model,
            temperature=temperature,
            max_completion_tokens=tokens,
        )
    prompt = PluginPrompt.__table__
    pairs = db.session.execute(sa.select(prompt.c.provider, prompt.c.model).distinct()).all()
    rule = first_broken_rule(get_catalog(), pairs)
    rows = db.session.execute(
        sa.select(prompt.c.provider, prompt.c.model, prompt.c.temperature, prompt.c.max_completion_tokens, rule)
    ).all()

    assert len(rows) == len(cases)
    for provider, model, temperature, tokens, broken in rows:
        errors = Errors()
        check_prompt(errors, get_catalog(), provider, model, temperature, tokens, "You are a test assistant.")
        assert RULE_FIELDS.get(broken) == _first_field(errors), (provider, model, temperature, tokens, dict(errors))
    assert set(RULE_FIELDS) == set(RULES) == set(aggregates.RULE_TITLES)


# --- caching ------------------------------------------------------------------------


def test_stats_are_plain_and_picklable(app_context):
    plugin("alpha")
    stats = aggregates.dashboard_stats()
    assert pickle.loads(pickle.dumps(stats)) == stats


def test_warm_dashboard_issues_no_sql(app_context, queries):
    plugin("alpha")
    aggregates.dashboard_stats()
    db.session.remove()
    with queries:
        stats = aggregates.dashboard_stats()
    assert queries.count == 0
    assert stats["totals"]["plugin"] == 1


def test_committed_changes_are_shown_on_the_next_read(app_context):
    record = plugin("alpha")
    assert aggregates.dashboard_stats()["by_provider"] == [{"provider": "openai", "count": 1}]

    record.plugin_prompt_plugin.provider = "anthropic"
    record.plugin_prompt_plugin.model = "claude-haiku-4-5"
    db.session.commit()
    assert aggregates.dashboard_stats()["by_provider"] == [{"provider": "anthropic", "count": 1}]

    demo.seed(3)  # bulk inserts, past the ORM
    assert aggregates.dashboard_stats()["totals"]["plugin"] == 4

    db.session.delete(record)
    db.session.commit()
    assert aggregates.dashboard_stats()["totals"]["plugin"] == 3


def test_uncommitted_changes_are_never_cached(app_context, queries):
    record = plugin("alpha")
    aggregates.dashboard_stats()
    record.plugin_prompt_plugin.temperature = 1.5
    db.session.flush()
    assert (
        by_label(aggregates.dashboard_stats(invalidate=True)["temperature"])["1.5"] == 1
    )  # computed with the flush ...
    db.session.rollback()
    with queries:
        assert by_label(aggregates.dashboard_stats()["temperature"])["0.5"] == 1  # ... nobody caches it
    assert queries.count > 0


def test_a_change_committed_by_another_process_clears_the_shared_cache(make_app, redis_url):
    settings = {
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}:",
    }
    reader, writer = make_app(**settings), make_app(**settings)
    with reader.app_context():
        empty_tables()
        plugin("alpha")
        assert aggregates.dashboard_stats()["totals"]["plugin"] == 1
        db.session.remove()
    with writer.app_context():
        plugin("beta")
        db.session.remove()
    with reader.app_context():
        counter = QueryCounter(db.engine)
        with counter:
            assert aggregates.dashboard_stats()["totals"]["plugin"] == 2
        assert counter.count > 0
        empty_tables()


def _cold_statements(queries) -> int:
    with queries:
        aggregates.dashboard_stats(invalidate=True)
    return queries.count


def test_cold_dashboard_costs_the_same_few_statements_at_any_size(app_context, queries):
    def seeded(count):
        empty_tables()
        demo.seed(count)
        raw_prompt(plugin("broken", prompt=False, selector=False).id, model="gpt-4-32k")  # failing, and incomplete
        db.session.remove()
        return _cold_statements(queries)

    assert seeded(10) == seeded(500) == COLD_STATEMENTS
