"""Cached reads: zero SQL when warm, invalidated after commit, coherent across processes."""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import cachelib.file
import cachelib.simple
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from plugin_admin import caching
from plugin_admin.config import cache_settings
from plugin_admin.extensions import cache, db
from plugin_admin.models import PluginMeta, PluginPrompt, User

from .factories import plugin
from .helpers import PASSWORD, AuthActions, QueryCounter, empty_tables

ROOT = Path(__file__).resolve().parent.parent


def test_warm_cached_prompt_read_issues_no_sql(app_context, queries):
    record = plugin()
    PluginPrompt.get_cached_prompt_by_plugin(record)  # warm
    db.session.remove()
    with queries:
        prompt = PluginPrompt.get_cached_prompt_by_plugin(record.id)
        values = (prompt.model, prompt.temperature, prompt.system_role, prompt.hashed_id)
    assert queries.count == 0
    assert values[0] == "gpt-4o-mini"


def test_warm_cached_object_and_objects_issue_no_sql(app_context, queries):
    record = plugin()
    PluginMeta.get_cached_object(pk=record.id)
    PluginMeta.get_cached_objects()
    db.session.remove()
    with queries:
        assert PluginMeta.get_cached_object(pk=record.id).name == "test_plugin"
        assert [p.name for p in PluginMeta.get_cached_objects()] == ["test_plugin"]
    assert queries.count == 0


def test_cached_record_is_attached_and_can_be_edited(app_context):
    record = plugin()
    PluginPrompt.get_cached_prompt_by_plugin(record)
    db.session.remove()
    prompt = PluginPrompt.get_cached_prompt_by_plugin(record.id)
    assert prompt.plugin.name == "test_plugin"  # relationships load on demand
    prompt.temperature = 0.9
    db.session.commit()
    assert db.session.scalar(sa.select(PluginPrompt.temperature)) == 0.9


def test_update_is_visible_to_the_next_read(app_context):
    record = plugin()
    pk = record.id
    assert PluginPrompt.get_cached_prompt_by_plugin(record).temperature == 0.5
    record.plugin_prompt_plugin.temperature = 1.25
    db.session.commit()
    db.session.remove()
    assert PluginPrompt.get_cached_prompt_by_plugin(pk).temperature == 1.25


def test_delete_is_visible_to_the_next_read(app_context):
    record = plugin()
    pk = record.id
    prompt_pk = record.plugin_prompt_plugin.id
    assert PluginPrompt.get_cached_prompt_by_plugin(pk) is not None
    assert PluginPrompt.get_cached_object(pk=prompt_pk) is not None
    db.session.delete(record)
    db.session.commit()
    assert PluginPrompt.get_cached_prompt_by_plugin(pk) is None
    assert PluginPrompt.get_cached_object(pk=prompt_pk) is None
    assert PluginMeta.get_cached_objects() == []


def test_invalidation_happens_after_commit_not_before(app_context):
    record = plugin()
    key = PluginPrompt.plugin_key(record.id)
    PluginPrompt.get_cached_prompt_by_plugin(record)
    record.plugin_prompt_plugin.temperature = 1.0
    db.session.flush()
    assert cache.get(key) is not None  # flushed, not committed: other readers still see the old state
    db.session.commit()
    assert cache.get(key) is None


def test_rolled_back_change_is_never_cached(app_context):
    record = plugin()
    pk = record.id
    record.plugin_prompt_plugin.temperature = 1.7
    db.session.flush()
    PluginPrompt.get_cached_prompt_by_plugin(record)  # reads uncommitted state: must not cache it
    db.session.rollback()
    db.session.remove()
    assert PluginPrompt.get_cached_prompt_by_plugin(pk).temperature == 0.5


def test_invalidate_flag_forces_a_fresh_read(app_context):
    pk = plugin().id
    PluginPrompt.get_cached_prompt_by_plugin(pk)
    with db.engine.begin() as connection:  # behind the session's back: no invalidation
        connection.execute(sa.update(PluginPrompt).values(temperature=0.1))
    db.session.remove()
    assert PluginPrompt.get_cached_prompt_by_plugin(pk).temperature == 0.5  # stale until invalidated
    assert PluginPrompt.get_cached_prompt_by_plugin(pk, invalidate=True).temperature == 0.1


def test_models_never_share_a_key(app_context):
    record = plugin()
    keys = [
        caching.object_key(type(r), 1) for r in (record, record.plugin_prompt_plugin, record.plugin_selector_plugin)
    ]
    assert len(set(keys)) == 3


def test_cache_outage_falls_back_to_the_database(make_app):
    app = make_app(CACHE_TYPE="RedisCache", CACHE_REDIS_URL="redis://127.0.0.1:1/0")
    with app.app_context():
        empty_tables()
        record = plugin()
        assert PluginPrompt.get_cached_prompt_by_plugin(record.id).model == "gpt-4o-mini"


@pytest.mark.slow  # a second process
def test_second_process_sees_committed_changes_at_once(make_app, database_uri, redis_url):
    prefix = f"coherence-{uuid.uuid4().hex[:8]}:"
    app = make_app(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=redis_url, CACHE_KEY_PREFIX=prefix)
    env = {**os.environ, "DATABASE_URL": database_uri, "CACHE_URL": redis_url, "CACHE_KEY_PREFIX": prefix,
           "SECRET_KEY": "peer"}  # fmt: skip
    peer = subprocess.Popen(
        [sys.executable, "-m", "tests.cache_peer"], cwd=ROOT, env=env, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip

    def peer_reads(plugin_id):
        peer.stdin.write(f"{plugin_id}\n")
        peer.stdin.flush()
        return json.loads(peer.stdout.readline())

    try:
        with app.app_context():
            empty_tables()
            pk = plugin().id
            assert peer_reads(pk)["max_completion_tokens"] == 2048
            for tokens in range(1000, 3000, 100):
                assert peer_reads(pk)["max_completion_tokens"] != tokens  # the peer has a warm entry ...
                db.session.get(PluginMeta, pk).plugin_prompt_plugin.max_completion_tokens = tokens
                db.session.commit()
                assert peer_reads(pk)["max_completion_tokens"] == tokens  # ... and sees the commit at once
            db.session.delete(db.session.get(PluginMeta, pk))
            db.session.commit()
            assert peer_reads(pk) is None
    finally:
        peer.stdin.close()
        peer.wait(timeout=10)
        peer.stdout.close()


def test_a_derived_value_computed_across_a_commit_is_never_read(app_context):
    record = plugin()
    key = caching.derived_key("test:aggregate")  # a computation starts under this generation ...
    record.description = "changed"
    db.session.commit()  # ... another write commits meanwhile ...
    caching.write(key, "computed from the old state")  # ... and the stale result is stored
    assert caching.read(caching.derived_key("test:aggregate")) is None


def test_a_record_loaded_before_a_commit_elsewhere_and_stored_after_it_is_never_read(app_context):
    """Two processes racing: one loads the old row, the other commits a change (dropping the
    key), then the first stores what it loaded. The next read must show the change."""
    pk = plugin().id
    db.session.remove()

    def load_then_lose_the_race():
        old = db.session.get(PluginMeta, pk)  # the old row is loaded ...
        with Session(db.engine) as elsewhere:  # ... another process commits a change ...
            elsewhere.get(PluginMeta, pk).description = "new"
            elsewhere.commit()
        return old  # ... and the old row is stored

    stored = PluginMeta._cached(caching.object_key(PluginMeta, pk), load_then_lose_the_race, False)
    assert stored["description"] == "A plugin for tests."
    db.session.remove()
    assert PluginMeta.get_cached_object(pk=pk).description == "new"


def test_read_through_skips_what_may_not_be_cached(app_context):
    assert caching.read_through("test:once", lambda: 1, cacheable=lambda value: False) == 1
    assert caching.read("test:once") is None
    assert caching.read_through("test:twice", lambda: 2) == 2
    assert caching.read_through("test:twice", lambda: 3) == 2


def test_cache_url_names_redis_a_directory_or_this_process():
    assert cache_settings("redis://cache:6379/2") == {
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": "redis://cache:6379/2",
    }
    assert cache_settings("file:///var/cache/plugin%20admin")["CACHE_DIR"] == "/var/cache/plugin admin"
    assert cache_settings("") == {"CACHE_TYPE": "SimpleCache"}
    with pytest.raises(ValueError, match="CACHE_URL='memcached://cache' is not understood: use redis://"):
        cache_settings("memcached://cache")


# --- expiry: every backend stores again once an entry has expired -------------------------

BACKENDS = ("memory", "directory", "redis")


@pytest.fixture(params=BACKENDS)
def expiring(request, make_app, tmp_path, monkeypatch):
    """``(app, expire)`` on each cache backend; ``expire()`` moves past ``CACHE_EXPIRATION``
    without waiting: cachelib's clock for memory and directory, each key's expiry on Redis."""
    prefix = f"expiry-{uuid.uuid4().hex[:8]}:"
    settings = {
        "memory": lambda: {"CACHE_TYPE": "SimpleCache"},
        "directory": lambda: cache_settings(f"file://{tmp_path / 'cache'}"),
        "redis": lambda: {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": request.getfixturevalue("redis_url")},
    }[request.param]()
    app = make_app(**settings, CACHE_KEY_PREFIX=prefix)
    shift = 0

    def expire():
        nonlocal shift
        if request.param == "redis":
            client = cache.cache._write_client
            for key in client.scan_iter(f"{prefix}*"):
                client.pexpireat(key, 1)  # an expiry in the past: Redis drops the key
            return
        shift += app.config["CACHE_EXPIRATION"] + 1
        clock = time.time
        for module in (cachelib.simple, cachelib.file):
            monkeypatch.setattr(module, "time", lambda: clock() + shift)

    with app.app_context():
        empty_tables()
        yield app, expire
        db.session.rollback()


def test_add_stores_again_once_the_entry_has_expired(expiring):
    app, expire = expiring
    caching.add("test:first-writer", "first")
    caching.add("test:first-writer", "second")
    assert caching.read("test:first-writer") == "first"
    expire()
    assert caching.read("test:first-writer") is None
    caching.add("test:first-writer", "after expiry")
    caching.add("test:first-writer", "too late")
    assert caching.read("test:first-writer") == "after expiry"


def test_warm_pages_issue_no_new_sql_after_the_cache_expired(expiring):
    """The dashboard runs no SQL when warm, and a list does not count again, after an expiry too."""
    app, expire = expiring
    for index in range(3):
        plugin(f"expiry_{index}")
    password_hash = generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")  # cheap, as in conftest
    db.session.add(User(username="viewer", role="viewer", password_hash=password_hash))
    db.session.commit()
    client = app.test_client()
    AuthActions(client).login("viewer")
    queries = QueryCounter(db.engine)

    def warm_statements() -> dict[str, int]:
        counts = {}
        for path in ("/admin/", "/admin/pluginmeta/"):
            assert client.get(path).status_code == 200
            with queries:
                assert client.get(path).status_code == 200
            counts[path] = queries.count
        return counts

    before = warm_statements()
    assert before["/admin/"] == 0
    expire()
    assert warm_statements() == before
    expire()
    assert warm_statements() == before
