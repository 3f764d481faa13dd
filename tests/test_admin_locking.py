"""No lost updates: a save from a form opened before someone else's save is refused."""

import html as html_lib

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from plugin_admin.extensions import db
from plugin_admin.models import PluginPrompt
from tests import factories
from tests.helpers import AuthActions, csrf_token

pytestmark = pytest.mark.usefixtures("app_context")  # the database is read between requests


def open_edit_form(client, url) -> dict:
    """What the browser holds after opening the edit page: the CSRF token and the opened version."""
    import re

    page = client.get(url).get_data(as_text=True)
    version = re.search(r'name="opened_version" type="hidden" value="(\d+)"', page)
    assert version, page[:2000]
    version = version.group(1)
    return {"csrf_token": csrf_token(client, url), "opened_version": version}


def prompt_data(prompt, **changes):
    data = {
        "plugin": prompt.plugin.hashed_id,
        "provider": prompt.provider,
        "model": prompt.model,
        "temperature": str(prompt.temperature),
        "max_completion_tokens": str(prompt.max_completion_tokens),
        "system_role": prompt.system_role,
    }
    return {**data, **changes}


@pytest.fixture
def two_editors(app, users):
    first, second = app.test_client(), app.test_client()
    AuthActions(first).login("editor")
    AuthActions(second).login("admin")
    return first, second


def test_stale_save_is_refused_and_the_first_save_survives(two_editors):
    first, second = two_editors
    prompt = factories.plugin().plugin_prompt_plugin
    url = f"/admin/pluginprompt/edit/?id={prompt.hashed_id}"
    form_a, form_b = open_edit_form(first, url), open_edit_form(second, url)

    saved = first.post(url, data={**prompt_data(prompt, temperature="0.9"), **form_a})
    assert saved.status_code == 302

    stale = second.post(url, data={**prompt_data(prompt, temperature="0.2", system_role="Be brief."), **form_b})
    page = html_lib.unescape(stale.get_data(as_text=True))
    assert stale.status_code == 200
    assert "Someone else saved this record after you opened it" in page
    assert "Temperature: 0.2 → 0.9" in page
    assert "System Role: 'Be brief.' → 'You are a test assistant.'" in page
    db.session.expire_all()
    current = db.session.get(PluginPrompt, prompt.id)
    assert (current.temperature, current.system_role, current.row_version) == (0.9, "You are a test assistant.", 2)

    reopened = open_edit_form(second, url)
    assert second.post(url, data={**prompt_data(current, temperature="0.2"), **reopened}).status_code == 302


def test_a_form_without_its_version_is_refused(two_editors):
    first, _ = two_editors
    prompt = factories.plugin().plugin_prompt_plugin
    url = f"/admin/pluginprompt/edit/?id={prompt.hashed_id}"
    form = open_edit_form(first, url)
    response = first.post(url, data={**prompt_data(prompt, temperature="0.9"), "csrf_token": form["csrf_token"]})
    assert "Someone else saved this record" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PluginPrompt, prompt.id).temperature == 0.5


def test_a_save_racing_past_the_check_is_caught_by_the_versioned_update(two_editors, monkeypatch):
    """Another writer commits between the view's version check and its UPDATE: StaleDataError, nothing lost."""
    first, _ = two_editors
    prompt = factories.plugin().plugin_prompt_plugin
    url = f"/admin/pluginprompt/edit/?id={prompt.hashed_id}"
    form = open_edit_form(first, url)

    def concurrent_save(session, flush_context, instances):
        with db.engine.begin() as other:
            other.execute(
                sa.update(PluginPrompt)
                .where(PluginPrompt.id == prompt.id)
                .values(temperature=1.1, row_version=PluginPrompt.row_version + 1)
            )

    sa.event.listen(Session, "before_flush", concurrent_save, once=True)
    response = first.post(url, data={**prompt_data(prompt, temperature="0.3"), **form})
    page = html_lib.unescape(response.get_data(as_text=True))
    assert "Someone else saved this record after you opened it" in page
    assert "Temperature: 0.3 → 1.1" in page
    db.session.expire_all()
    assert db.session.get(PluginPrompt, prompt.id).temperature == 1.1
