"""Fixtures in the flaskr style: ``app``, ``client``, ``runner``, plus real services.

The suite runs once per backend: ``make test`` runs it on SQLite with the in-process
cache, then again with ``DATABASE_URL``/``CACHE_URL`` pointing at PostgreSQL and Redis.
A service that is down skips what needs it on a newcomer's machine, but fails under
``CI=true``.
"""

import os
import uuid
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa

from plugin_admin import create_app
from plugin_admin.extensions import db

IN_CI = os.environ.get("CI", "").lower() == "true"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
CACHE_URL = os.environ.get("CACHE_URL", "")
REDIS_URL = CACHE_URL if CACHE_URL.startswith("redis") else os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
POSTGRES_URL = (
    DATABASE_URL
    if DATABASE_URL.startswith("postgres")
    else os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
)


def unavailable(what: str, why: str):
    """Skip on a newcomer's machine; fail in CI, where every service must be up."""
    message = f"{what} is not reachable ({why})"
    if IN_CI:
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(f"{message}; start it or set its URL to run these tests")


def _postgres_problem(url: str) -> str | None:
    from plugin_admin.config import database_url

    name = urlparse(url).path.lstrip("/")
    if "test" not in name:
        return f"refusing to run tests against database {name!r}: its name must contain 'test'"
    try:
        engine = sa.create_engine(database_url(url))
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure to connect is reported, not raised
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


def _redis_problem(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@pytest.fixture(scope="session")
def postgres_url():
    problem = _postgres_problem(POSTGRES_URL)
    if problem:
        unavailable(f"PostgreSQL at {POSTGRES_URL}", problem)
    return POSTGRES_URL


@pytest.fixture(scope="session")
def redis_url():
    problem = _redis_problem(REDIS_URL)
    if problem:
        unavailable(f"Redis at {REDIS_URL}", problem)
    return REDIS_URL


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory):
    """The database of this pass, migrated once: PostgreSQL when DATABASE_URL says so."""
    if DATABASE_URL:
        problem = _postgres_problem(DATABASE_URL)
        if problem:
            unavailable(f"the database at {DATABASE_URL}", problem)
        uri = DATABASE_URL
    else:
        uri = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    app = create_app(_settings(uri))
    with app.app_context():
        from flask_migrate import upgrade

        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        db.session.remove()
        db.engine.dispose()
    return uri


def _settings(uri: str, **extra) -> dict:
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": uri,
        "CACHE_TYPE": "SimpleCache",
        "CACHE_KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}:",
    }
    if CACHE_URL.startswith("redis"):
        settings.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=CACHE_URL)
    settings.update(extra)
    return settings


def empty_tables():
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(sa.text(f"DELETE FROM {table}"))
        db.session.execute(sa.text("DELETE FROM sqlite_sequence"))  # ids restart, as on PostgreSQL
    db.session.commit()


@pytest.fixture
def make_app(database_uri):
    """Build an app on this pass's database, with overrides (tests of config and caching)."""
    made = []

    def make(**extra):
        app = create_app(_settings(database_uri, **extra))
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        empty_tables()
        yield app
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class QueryCounter:
    """Counts the SQL statements an engine executes inside ``with counter:``."""

    def __init__(self, engine):
        self.engine = engine
        self.statements: list[str] = []
        self.parameters: list = []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)
        self.parameters.append(parameters)

    def __enter__(self):
        self.statements.clear()
        self.parameters.clear()
        sa.event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._record)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def queries(app):
    return QueryCounter(db.engine)


@pytest.fixture
def gunicorn_server(database_uri, tmp_path):
    """Start ``gunicorn -w N app:app`` on this pass's database: ``gunicorn_server(workers=2, **env)``.

    The workers share this pass's ``CACHE_URL``, else a directory of this test's.
    Every server started is stopped at the end of the test, pass or fail.
    """
    from .live import LiveServer

    started = []
    cache_url = CACHE_URL or f"file://{tmp_path / 'cache'}"

    def start(workers=2, **env):
        settings = {"DATABASE_URL": database_uri, "SECRET_KEY": "live-test-secret", "CACHE_URL": cache_url, **env}
        server = LiveServer(settings, workers=workers).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


# --- logins for the admin UI -------------------------------------------------------------

PASSWORD = "correct horse battery"
ROLES = ("viewer", "editor", "admin")


@pytest.fixture
def users(app):
    """One login per role, named after it (``viewer``, ``editor``, ``admin``), password ``PASSWORD``.

    A cheap hash keeps the suite fast; ``check_password`` reads any werkzeug hash.
    """
    from werkzeug.security import generate_password_hash

    from plugin_admin.models import User

    password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    made = {role: User(username=role, role=role, password_hash=password_hash) for role in ROLES}
    db.session.add_all(made.values())
    db.session.commit()
    return made


def csrf_token(client, path="/login") -> str:
    """The CSRF token of the form at ``path``, as a browser would read it (CSRF stays enabled in tests)."""
    import re

    html = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert found, f"no csrf_token in the page at {path}"
    return found.group(1)


class AuthActions:
    """``auth.login(role)`` / ``auth.logout()`` through the real login form, flaskr style."""

    def __init__(self, client):
        self.client = client

    def login(self, role="editor", password=PASSWORD):
        token = csrf_token(self.client, "/login")
        return self.client.post("/login", data={"username": role, "password": password, "csrf_token": token})

    def logout(self):
        token = csrf_token(self.client, "/admin/")
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client, users):
    return AuthActions(client)
