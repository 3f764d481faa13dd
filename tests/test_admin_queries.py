"""SQL per request: list pages cost a fixed few statements whatever the page size (no N+1);
a locator redirect on a warm cache reads nothing for the record."""

import pytest

from plugin_admin.demo import seed
from tests import factories

LIST_BUDGET = 3
"""Statements a list page may issue: the count and the rows with their plugin joined (the user is cached)."""


@pytest.fixture
def many_plugins(app_context):
    seed(120)


@pytest.mark.parametrize("view", ["pluginmeta", "pluginselector", "pluginprompt", "plugindata"])
def test_list_pages_cost_the_same_few_statements_at_any_page_size(client, auth, many_plugins, queries, view):
    auth.login("viewer")
    counts = {}
    for page_size in (20, 100):
        client.get(f"/admin/{view}/?page_size={page_size}")  # warm the user cache
        with queries:
            response = client.get(f"/admin/{view}/?page_size={page_size}&sort=0")
        assert response.status_code == 200
        counts[page_size] = queries.count
    assert counts[20] == counts[100] <= LIST_BUDGET, counts


def test_filtered_and_searched_prompt_list_stays_flat(client, auth, many_plugins, queries):
    auth.login("viewer")
    client.get("/admin/pluginprompt/")
    with queries:
        response = client.get("/admin/pluginprompt/?flt0_provider_equals=openai&search=plugin&page_size=100")
    assert response.status_code == 200 and queries.count <= LIST_BUDGET


def test_warm_locator_redirect_reads_nothing_for_the_record(client, auth, app_context, queries):
    prompt = factories.plugin().plugin_prompt_plugin
    auth.login("viewer")
    url = f"/l/{prompt.record_locator}"
    assert client.get(url).status_code == 302  # warms the record (and user) cache
    with queries:
        assert client.get(url).status_code == 302
    assert [s for s in queries.statements if "plugin_prompt" in s] == []
    assert queries.count == 0
