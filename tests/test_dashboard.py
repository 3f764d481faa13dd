"""The dashboard page over HTTP: login, numbers, links that lead to what was counted, SQL per page."""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import current_app

from plugin_admin import caching
from plugin_admin.admin import aggregates
from plugin_admin.admin.dashboard import Links, bars, compact, elapsed
from plugin_admin.extensions import db
from plugin_admin.models import PluginMeta, PluginPrompt

from .factories import plugin, raw_prompt
from .test_aggregates import COLD_STATEMENTS


def page(client) -> str:
    response = client.get("/admin/")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    response.close()
    return text


def hrefs(text: str) -> set[str]:
    return {html.unescape(h) for h in re.findall(r'href="([^"]+)"', text)}


def listed(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    text = response.get_data(as_text=True)
    response.close()
    return text


@pytest.fixture
def seeded(app_context):
    """Two healthy plugins, one incomplete, two that today's catalog refuses."""
    records = {
        "alpha": plugin("alpha", prompt={"provider": "anthropic", "model": "claude-haiku-4-5", "temperature": 0.3}),
        "beta": plugin("beta", plugin_class="static", prompt={"temperature": 1.2, "max_completion_tokens": 300}),
        "lonely": plugin("lonely", prompt=False, selector=False),
        "retired": plugin("retired", prompt=False),
        "too_hot": plugin("too_hot", prompt=False),
    }
    raw_prompt(records["retired"].id, model="gpt-4-32k")
    raw_prompt(records["too_hot"].id, provider="anthropic", model="claude-haiku-4-5", temperature=1.5)
    return records


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/admin/")


@pytest.mark.parametrize("role", ("viewer", "editor", "admin"))
def test_every_role_sees_the_totals(client, auth, seeded, role):
    auth.login(role)
    text = page(client)
    assert "Plugin Prompt Admin" in text and "<h1>Dashboard</h1>" in text
    tiles = {label: int(value.replace(",", "")) for value, label in re.findall(
        r'<span class="tile-value">([\d,]+)</span><span class="tile-label">([^<]+)</span>', text)}  # fmt: skip
    assert tiles == {
        "Plugins": 5, "Prompts": 4, "Selectors": 4, "Plugin data": 5, "Fail today's catalog": 2, "Parts missing": 2,
    }  # fmt: skip
    assert "Traceback" not in text and "SELECT" not in text


def test_numbers_link_to_lists_filtered_as_they_were_counted(client, auth, seeded):
    auth.login("viewer")
    links = hrefs(page(client))
    prompts = "/admin/pluginprompt/"
    expected = {
        "by provider": f"{prompts}?flt0_provider_equals=anthropic",
        "by model": f"{prompts}?flt0_provider_equals=openai&flt1_model_equals=gpt-4o-mini",
        "unknown model": f"{prompts}?flt0_provider_equals=openai&flt1_model_equals=gpt-4-32k",
        "too hot": f"{prompts}?flt0_provider_equals=anthropic&flt1_model_equals=claude-haiku-4-5"
        "&flt2_temperature_greater_than=1.0",
        "temperature 1.5": f"{prompts}?flt0_temperature_greater_than=1.45&flt1_temperature_smaller_than=1.55",
        "up to 512 tokens": f"{prompts}?flt0_max_completion_tokens_greater_than=256"
        "&flt1_max_completion_tokens_smaller_than=513",
        "class": "/admin/pluginmeta/?flt0_plugin_class_equals=static",
        "directive": "/admin/pluginselector/?flt0_directive_equals=search_terms",
        "all plugins": "/admin/pluginmeta/",
    }
    assert {name: url for name, url in expected.items() if url not in links} == {}

    def names(url):
        text = listed(client, url)
        return {name for name in seeded if f">{name}<" in text}

    assert names(expected["too hot"]) == {"too_hot"}
    assert names(expected["unknown model"]) == {"retired"}
    assert names(expected["by provider"]) == {"alpha", "too_hot"}
    assert names(expected["temperature 1.5"]) == {"too_hot"}
    assert names(expected["up to 512 tokens"]) == {"beta"}


def test_records_link_to_their_details_by_hashed_id(client, auth, seeded):
    auth.login("viewer")
    links = hrefs(page(client))
    lonely, too_hot = seeded["lonely"], db.session.get(PluginMeta, seeded["too_hot"].id)
    assert f"/admin/pluginmeta/details/?id={lonely.hashed_id}" in links  # incomplete
    assert f"/admin/pluginprompt/details/?id={too_hot.plugin_prompt_plugin.hashed_id}" in links  # failing
    assert f"/admin/pluginmeta/details/?id={lonely.id}" not in links
    for url in (u for u in links if "/details/" in u):
        assert listed(client, url)


def test_recently_updated_says_how_long_ago(client, auth, seeded):
    auth.login("viewer")
    text = page(client)
    assert text.count("updated just now") == aggregates.RECENT


def test_an_empty_database_shows_a_calm_page(client, auth):
    auth.login("viewer")
    text = page(client)
    assert "Nothing to chart yet." in text
    assert "All 0 prompts pass today's catalog rules." in text


def test_a_warm_page_issues_no_sql_and_a_cold_one_a_few_statements(client, auth, seeded, queries):
    auth.login("viewer")
    page(client)
    with queries:
        page(client)
    assert queries.statements == []
    caching.drop(caching.GENERATION_KEY)  # what a commit in any process does
    with queries:
        page(client)
    assert 0 < queries.count <= COLD_STATEMENTS, queries.statements


def test_a_list_without_the_filter_gets_no_link(app, app_context):
    links = Links(current_app.extensions["admin"][0])
    with app.test_request_context():
        assert links.listing(PluginPrompt) == "/admin/pluginprompt/"
        assert links.listing(PluginMeta, (PluginMeta.__table__.c.description, object, "x")) is None


def test_bars_are_scaled_to_the_longest():
    drawn = bars([{"n": "a", "count": 4}, {"n": "b", "count": 1}], lambda i: i["n"], lambda i: None, lambda i: "")
    assert [(b.label, b.share) for b in drawn] == [("a", 100.0), ("b", 25.0)]
    assert bars([{"count": 0}], str, str, str)[0].share == 0


@pytest.mark.parametrize(
    "seconds, text",
    [
        (0, "just now"),
        (59, "just now"),
        (60, "1 minute ago"),
        (150, "2 minutes ago"),
        (7200, "2 hours ago"),
        (90000, "1 day ago"),
    ],
)
def test_elapsed_reads_like_a_person(seconds, text):
    now = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)
    assert elapsed(now - timedelta(seconds=seconds), now) == text


@pytest.mark.parametrize(
    "n, text", [(0, "0"), (950, "950"), (1000, "1k"), (9540, "9.5k"), (95400, "95k"), (1_250_000, "1.2M")]
)
def test_compact_counts_fit_a_narrow_column(n, text):
    assert compact(n) == text


def test_a_saved_change_shows_on_the_next_page(client, auth, seeded):
    auth.login("viewer")
    model_link = "/admin/pluginprompt/?flt0_provider_equals=openai&flt1_model_equals=gpt-4.1"
    assert model_link not in hrefs(page(client))
    prompt = db.session.get(PluginMeta, seeded["alpha"].id).plugin_prompt_plugin
    prompt.provider, prompt.model = "openai", "gpt-4.1"
    db.session.commit()
    assert model_link in hrefs(page(client))
