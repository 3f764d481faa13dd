"""Browser fixtures: ``live_server`` (the app on 127.0.0.1:<free port>), ``browser``, ``new_context``.

Without Chromium or Playwright these tests skip with the reason; with ``CI=true`` they fail.
"""

import pytest

from tests.browser.server import browser_problem, chromium
from tests.browser.server import live_server as serve
from tests.helpers import IN_CI


def pytest_collection_modifyitems(config, items):
    """Everything under tests/browser/ carries the ``browser`` marker (``-m "not browser"`` leaves it out)."""
    for item in items:
        if "/tests/browser/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    problem = browser_problem()
    if problem:
        if IN_CI:
            pytest.fail(f"browser tests need Chromium and Playwright: {problem}; CI=true requires them", pytrace=False)
        pytest.skip(f"browser tests need Chromium and Playwright: {problem}")
    with chromium() as launched:
        yield launched


@pytest.fixture
def live_server(app):
    with serve(app) as base_url:
        yield base_url


@pytest.fixture
def new_context(browser, live_server):
    """Make fresh browser contexts (separate cookie jars, like separate people); every URL they visit is kept."""
    contexts, visited = [], []

    def make():
        context = browser.new_context(base_url=live_server, permissions=["clipboard-read", "clipboard-write"])
        context.on("request", lambda request: visited.append(request.url))
        contexts.append(context)
        return context

    make.visited = visited
    yield make
    for context in contexts:
        context.close()
