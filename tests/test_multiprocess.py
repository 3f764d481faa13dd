"""Several gunicorn processes on one database and one cache: fresh reads at once, no lost writes.

Runs on this pass's database (PostgreSQL under ``make test-postgres``), once with Redis as
the shared cache and once with a directory (the workers of one host). Each test starts
its own servers and stops them, bounded in time.
"""

import re
import threading
import time
import uuid

import pytest
import sqlalchemy as sa

from plugin_admin.cli import save_user
from plugin_admin.config import cache_settings
from plugin_admin.extensions import db
from plugin_admin.models import PluginMeta, PluginPrompt

from .factories import plugin
from .helpers import empty_tables
from .live import Client, form_fields

pytestmark = pytest.mark.slow
PASSWORD = "multi-process-secret"


@pytest.fixture(params=["redis", "directory"])
def shared(request, make_app, tmp_path):
    """An app context in this process on the shared cache (Redis, or a directory the processes
    of one host share), and the settings its servers need."""
    cache_url = request.getfixturevalue("redis_url") if request.param == "redis" else f"file://{tmp_path / 'cache'}"
    prefix = f"live-{uuid.uuid4().hex[:8]}:"
    app = make_app(**cache_settings(cache_url), CACHE_KEY_PREFIX=prefix)
    with app.app_context():
        empty_tables()
        save_user("operator", "editor", PASSWORD)
        yield {"CACHE_URL": cache_url, "CACHE_KEY_PREFIX": prefix}
        db.session.rollback()


def logged_in(server) -> Client:
    client = Client(server.url)
    client.login("operator", PASSWORD)
    return client


def save(client: Client, prompt, **changes):
    """Open the prompt's edit form and save it with ``changes``, as a person would."""
    path = f"/admin/pluginprompt/edit/?id={prompt}"
    fields = {**form_fields(client.request(path).body), **{k: str(v) for k, v in changes.items()}}
    return client.request(path, fields, follow=False)


def test_an_edit_through_one_process_is_what_the_other_shows_next(gunicorn_server, shared):
    record = plugin()
    prompt = record.plugin_prompt_plugin.hashed_id
    a = logged_in(gunicorn_server(workers=1, **shared))
    b = logged_in(gunicorn_server(workers=1, **shared))
    json_path = f"/l/pluginprompt-{prompt}.json"
    details_path = f"/admin/pluginprompt/details/?id={prompt}"
    stale = []
    for i in range(100):
        tokens = 1000 + i
        before = b.request(json_path)  # B holds a warm cached copy ...
        assert before.status == 200 and f'"max_completion_tokens":{tokens}' not in before.body.replace(" ", "")
        assert save(a, prompt, max_completion_tokens=tokens).status == 302  # ... A saves ...
        after = b.request(json_path).body.replace(" ", "")  # ... and B's very next read has the change
        details = b.request(details_path).body
        if f'"max_completion_tokens":{tokens}' not in after or not re.search(rf">\s*{tokens}\s*<", details):
            stale.append(i)
    assert stale == []


def test_eight_clients_editing_and_listing_lose_no_write(gunicorn_server, shared):
    prompts = [plugin(f"concurrent_{n}").plugin_prompt_plugin.hashed_id for n in range(8)]
    server = gunicorn_server(workers=2, **shared)
    acknowledged: dict[str, int] = {}
    failures: list[str] = []
    deadline = time.monotonic() + 10

    def work(prompt):
        client = logged_in(server)
        for i in range(1, 200):
            if i > 3 and time.monotonic() > deadline:  # at least three saves each, however slow the machine
                return
            tokens = 100 + i
            response = save(client, prompt, max_completion_tokens=tokens)
            if response.status == 302:
                acknowledged[prompt] = tokens
            else:
                failures.append(f"save of {prompt} answered {response.status}")
            listing = client.request("/admin/pluginprompt/" + ("?page=0" if i % 2 else "?search=concurrent"))
            if listing.status != 200:
                failures.append(f"list answered {listing.status}")

    threads = [threading.Thread(target=work, args=(p,), daemon=True) for p in prompts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert failures == []
    assert len(acknowledged) == 8 and all(tokens >= 103 for tokens in acknowledged.values())
    db.session.expire_all()
    saved = dict(db.session.execute(
        sa.select(PluginMeta.name, PluginPrompt.max_completion_tokens).join(PluginPrompt.plugin)
    ).all())  # fmt: skip
    by_name = {f"concurrent_{n}": acknowledged[p] for n, p in enumerate(prompts)}
    assert saved == by_name  # every prompt holds the last write its client was told succeeded


def test_a_revision_saved_through_one_process_is_in_the_others_history_at_once(gunicorn_server, shared):
    prompt = plugin().plugin_prompt_plugin.hashed_id
    a = logged_in(gunicorn_server(workers=1, **shared))
    b = logged_in(gunicorn_server(workers=1, **shared))
    for n in range(2, 12):
        assert b.request(f"/l/pluginprompt-{prompt}@{n}.json").status == 404
        assert save(a, prompt, max_completion_tokens=500 + n, change_note=f"step {n}").status == 302
        seen = b.request(f"/l/pluginprompt-{prompt}@{n}.json")
        assert seen.status == 200 and '"note":"step' in seen.body.replace(" ", "") and f"{500 + n}" in seen.body
        history = b.request(f"/admin/pluginprompt/history/?id={prompt}").body
        assert re.search(rf'<tr data-revision="{n}"', history) and f"step {n}" in history
