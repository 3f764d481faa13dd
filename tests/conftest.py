"""Fixtures in the flaskr style: ``app``, ``client``, ``runner``, ``auth``, plus real services.

One app serves the whole session; each test that asks for ``app`` starts on empty
tables and an empty cache. ``app`` pushes no context: ORM work between requests goes
in ``app_context`` (or ``with app.app_context():``), and every request runs in a
context of its own (``helpers.RequestClient``), as under a server.

The suite runs once per backend: ``make test`` runs it on SQLite with the in-process
cache, then again with ``DATABASE_URL``/``CACHE_URL`` pointing at PostgreSQL and Redis.
A service that is down skips what needs it on a newcomer's machine, but fails under
``CI=true``. Shared helpers live in ``tests/helpers.py``.
"""

import pytest
import sqlalchemy as sa

from plugin_admin import create_app
from plugin_admin.extensions import cache, db

from .helpers import (
    CACHE_URL,
    DATABASE_URL,
    POSTGRES_URL,
    REDIS_URL,
    AuthActions,
    QueryCounter,
    RequestClient,
    empty_tables,
    make_users,
    postgres_problem,
    redis_problem,
    settings,
    unavailable,
)


def build_app(uri: str, **extra):
    app = create_app(settings(uri, **extra))
    app.test_client_class = RequestClient
    return app


def dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def postgres_url():
    problem = postgres_problem(POSTGRES_URL)
    if problem:
        unavailable(f"PostgreSQL at {POSTGRES_URL}", problem)
    return POSTGRES_URL


@pytest.fixture(scope="session")
def redis_url():
    problem = redis_problem(REDIS_URL)
    if problem:
        unavailable(f"Redis at {REDIS_URL}", problem)
    return REDIS_URL


def migrated(uri: str) -> str:
    """``uri`` with every table dropped and the migrations run."""
    app = build_app(uri)
    with app.app_context():
        from flask_migrate import upgrade

        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
    dispose(app)
    return uri


def sibling_database(uri: str, suffix: str, tmp_path_factory) -> str:
    """A database of its own next to this pass's: another file, or another PostgreSQL database."""
    from plugin_admin.config import database_url

    url = sa.engine.make_url(database_url(uri))
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp(suffix) / f'{suffix}.sqlite3'}"
    name = f"{url.database}_{suffix}"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory):
    """The database of this pass, migrated once: PostgreSQL when DATABASE_URL says so."""
    if DATABASE_URL:
        problem = postgres_problem(DATABASE_URL)
        if problem:
            unavailable(f"the database at {DATABASE_URL}", problem)
        return migrated(DATABASE_URL)
    return migrated(f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}")


@pytest.fixture(scope="session")
def large_app(database_uri, tmp_path_factory):
    """An app on a database of its own with 10,000 seeded plugins and the role logins, seeded
    once per session: tests compare against it and only read it."""
    from plugin_admin import demo

    app = build_app(migrated(sibling_database(database_uri, "large", tmp_path_factory)))
    with app.app_context():
        demo.seed(10_000)
        make_users()
    yield app
    dispose(app)


@pytest.fixture(scope="session")
def session_app(database_uri):
    """The one app of the session (``app`` hands it out reset)."""
    app = build_app(database_uri)
    yield app
    dispose(app)


@pytest.fixture
def app(session_app):
    """The session's app on empty tables and an empty cache; no context pushed."""
    with session_app.app_context():
        empty_tables()
        cache.clear()
    return session_app


@pytest.fixture
def app_context(app):
    """An app context held for the whole test, for ORM work (``db.session``, factories)."""
    with app.app_context() as context:
        yield context
        db.session.rollback()


@pytest.fixture
def make_app(database_uri):
    """Build an app of its own on this pass's database, with overrides (tests of config and caching)."""
    made = []

    def make(**extra):
        app = build_app(database_uri, **extra)
        made.append(app)
        return app

    yield make
    for app in made:
        dispose(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def queries(app):
    with app.app_context():
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
        values = {"DATABASE_URL": database_uri, "SECRET_KEY": "live-test-secret", "CACHE_URL": cache_url, **env}
        server = LiveServer(values, workers=workers).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def users(app):
    """One login per role, named after it (``viewer``, ``editor``, ``admin``), password ``helpers.PASSWORD``."""
    with app.app_context():
        return make_users()


@pytest.fixture
def auth(client, users):
    return AuthActions(client)
