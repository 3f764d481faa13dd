"""Cache faults with a real Redis that each test starts on 127.0.0.1, freezes (SIGSTOP), kills
and restarts with the data it kept on disk (SPEC §8: the cache is an accelerator, never a
source of truth). Every wait is bounded; every server is stopped at the end, pass or fail."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from plugin_admin.extensions import db
from plugin_admin.models import PluginMeta, User
from tests import factories
from tests.helpers import AuthActions

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")
FROZEN_BUDGET = 1.5
"""Seconds one request may take while Redis is frozen (SPEC §8: about a second, once)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A redis-server of this test's own, persisting every write (append-only file, fsync always)."""

    def __init__(self, directory):
        self.directory, self.port, self.process = directory, free_port(), None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url, socket_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start within 10 s") from None
                time.sleep(0.05)

    def freeze(self):
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.process.send_signal(signal.SIGCONT)

    def kill(self):
        self.process.send_signal(signal.SIGCONT)  # a frozen process dies on SIGKILL too; thaw it anyway
        self.process.kill()
        self.process.wait(timeout=10)

    def restart(self):
        """Start again on the same port and directory: everything written before the kill is back."""
        return self.start()


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    if server.process.poll() is None:
        server.kill()


@pytest.fixture
def on_redis(make_app, redis_server):
    """``on_redis()``: an app (a process, as far as the cache goes) on the test's Redis."""

    def make(**extra):
        return make_app(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=redis_server.url, **extra)

    return make


def timed(call):
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def logged_in(app, role="editor"):
    client = app.test_client()
    AuthActions(client).login(role)
    return client


def test_a_frozen_redis_costs_one_short_timeout_then_is_skipped(app_context, users, on_redis, redis_server):
    factories.plugin("weather")
    client = logged_in(on_redis())
    assert client.get("/admin/pluginmeta/").status_code == 200  # warm
    redis_server.freeze()
    try:
        first, first_cost = timed(lambda: client.get("/admin/pluginmeta/"))
        later, later_cost = timed(lambda: client.get("/admin/pluginmeta/"))
        page, _ = timed(lambda: client.get("/admin/pluginprompt/"))
    finally:
        redis_server.thaw()
    print(f"frozen Redis: first request {first_cost * 1000:.0f} ms, next {later_cost * 1000:.0f} ms")
    assert first.status_code == later.status_code == page.status_code == 200
    assert first_cost < FROZEN_BUDGET
    assert later_cost < 0.5  # the breaker skips the cache: no timeout waited out
    assert "weather" in first.get_data(as_text=True)


def test_a_frozen_redis_does_not_block_logins(app_context, users, on_redis, redis_server):
    client = on_redis().test_client()
    redis_server.freeze()
    try:
        response, cost = timed(lambda: AuthActions(client).login("viewer"))
    finally:
        redis_server.thaw()
    assert response.status_code == 302 and cost < 2 * FROZEN_BUDGET


def test_after_the_breaker_pause_the_cache_is_used_again(app_context, users, on_redis, redis_server):
    factories.plugin("weather")
    client = logged_in(on_redis(CACHE_BREAKER_SECONDS=0.5))
    redis_server.kill()
    assert client.get("/admin/pluginmeta/").status_code == 200
    redis_server.restart()
    time.sleep(0.6)
    assert client.get("/admin/pluginmeta/").status_code == 200
    assert redis.Redis.from_url(redis_server.url).dbsize() > 0  # written again


def test_no_stale_read_after_redis_returns_with_what_it_kept(app_context, users, on_redis, redis_server):
    """A change committed while Redis is dead cannot be invalidated there; Redis comes back with the
    old entry on disk. Another process, which never saw the outage, must not show it."""
    record = factories.plugin("weather", author="before")
    locator = record.record_locator
    writer, reader = on_redis(), on_redis()
    reading = logged_in(reader, "viewer")
    assert reading.get(f"/l/{locator}.json").json["author"] == "before"  # cached in Redis
    redis_server.kill()
    with writer.app_context():
        db.session.get(PluginMeta, record.id).author = "after"
        db.session.commit()  # the invalidation cannot be delivered
    redis_server.restart()
    assert redis.Redis.from_url(redis_server.url).dbsize() > 0  # the old entry is back
    assert reading.get(f"/l/{locator}.json").json["author"] == "after"


def test_a_user_deactivated_during_the_outage_stays_logged_out(app_context, users, on_redis, redis_server):
    first, second = on_redis(), on_redis()
    client = logged_in(second)
    assert client.get("/admin/").status_code == 200
    with second.app_context():
        User.get_cached_object(pk=users["editor"].id)  # a cached copy that says active
    redis_server.kill()
    with first.app_context():
        db.session.scalar(sa.select(User).filter_by(username="editor")).active = False
        db.session.commit()
    redis_server.restart()
    assert client.get("/admin/").status_code == 302


def test_readiness_reports_the_cache_and_the_pages_stay_up(app_context, users, on_redis, redis_server):
    made = on_redis()
    client = logged_in(made)
    redis_server.kill()
    response, cost = timed(lambda: client.get("/readiness"))
    assert response.status_code == 503 and response.json["checks"]["cache"] == "unavailable" and cost < 2
    assert client.get("/admin/").status_code == 200
    assert client.get("/healthz").status_code == 200
    redis_server.restart()
    assert client.get("/readiness").status_code == 200


POSTGRES_BIN = max((str(p) for p in Path("/usr/lib/postgresql").glob("*/bin")), default=None)


@pytest.fixture
def postgres_server(tmp_path):
    """A PostgreSQL cluster of this test's own on a free port: ``start()``, ``stop()``, its URL.

    initdb refuses to run as root: there it runs as the ``postgres`` user, in a directory it owns.
    """
    if POSTGRES_BIN is None:
        pytest.skip("no PostgreSQL binaries in /usr/lib/postgresql")
    as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    home = Path(tempfile.mkdtemp(prefix="plugin-admin-pg-"))
    if as_owner:
        shutil.chown(home, "postgres")
    port = free_port()
    ctl = [*as_owner, f"{POSTGRES_BIN}/pg_ctl", "-D", str(home / "data"), "-w", "-t", "30", "-l", str(home / "log"),
           "-o", f"-p {port} -k {home} -c listen_addresses=127.0.0.1"]  # fmt: skip

    def run(*args):
        subprocess.run([*ctl, *args], check=True, capture_output=True, timeout=60)

    subprocess.run([*as_owner, f"{POSTGRES_BIN}/initdb", "-D", str(home / "data"), "-U", "postgres", "-A", "trust"],
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    server = type("PostgresServer", (), {})()
    server.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres?connect_timeout=2"
    server.start, server.stop = (lambda: run("start")), (lambda: run("-m", "fast", "stop"))
    server.start()
    yield server
    subprocess.run([*ctl, "-m", "immediate", "stop"], capture_output=True, timeout=60)
    shutil.rmtree(home, ignore_errors=True)


def test_a_postgresql_that_stops_answers_503_and_then_comes_back(make_app, postgres_server):
    """Migrated, logged in, stopped (503 with Retry-After on every page), started again (served)."""
    from flask_migrate import upgrade
    from werkzeug.security import generate_password_hash

    from tests.helpers import PASSWORD

    made = make_app(SQLALCHEMY_DATABASE_URI=postgres_server.url)
    with made.app_context():
        upgrade()
        db.session.add(User(username="editor", role="editor", password_hash=generate_password_hash(PASSWORD)))
        db.session.commit()
        db.session.remove()
    client = logged_in(made)
    assert client.get("/admin/pluginmeta/").status_code == 200
    postgres_server.stop()
    for url in ("/admin/", "/admin/pluginmeta/", "/admin/pluginprompt/new/", "/l/pluginmeta-rMTAwMDAwMQx"):
        response = client.get(url)
        assert response.status_code == 503 and response.headers["Retry-After"] == "30", url
    assert client.get("/readiness").status_code == 503
    assert client.get("/healthz").status_code == 200
    postgres_server.start()
    assert client.get("/admin/pluginmeta/").status_code == 200  # pool_pre_ping reconnects
