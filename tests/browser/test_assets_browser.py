"""A warm page load asks the server for the page alone: every static file comes from the browser's cache."""

import pytest

from tests import factories
from tests.browser.server import log_in
from tests.helpers import PASSWORD


@pytest.mark.parametrize("path", ["/admin/pluginprompt/", "/admin/"])
def test_a_warm_load_fetches_no_static_file_again(app, app_context, users, new_context, live_server, path, monkeypatch):
    factories.plugin("lighthouse_cafe")
    hits, serve = [], app.wsgi_app

    def counted(environ, start_response):
        hits.append(environ["PATH_INFO"])
        return serve(environ, start_response)

    monkeypatch.setattr(app, "wsgi_app", counted)  # the session's app: put back after the test
    page = new_context().new_page()
    page.goto(path)
    log_in(page, live_server, "viewer", PASSWORD)
    assert sum("/static/" in hit for hit in hits) >= 10  # the cold load fetched them
    for warm in (lambda: page.goto(path), page.reload):
        hits.clear()
        warm()
        page.wait_for_load_state("load")
        assert hits == [path]
