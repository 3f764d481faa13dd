"""What tests share besides fixtures: settings, services, logins, the statement counter."""

import os
import re
import uuid
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

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
PASSWORD = "correct horse battery"
ROLES = ("viewer", "editor", "admin")


def unavailable(what: str, why: str):
    """Skip on a newcomer's machine; fail in CI, where every service must be up."""
    message = f"{what} is not reachable ({why})"
    if IN_CI:
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(f"{message}; start it or set its URL to run these tests")


def postgres_problem(url: str) -> str | None:
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


def redis_problem(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def settings(uri: str, **extra) -> dict:
    """Test settings on ``uri``: this pass's cache, under a key prefix no other app shares."""
    values = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": uri,
        "CACHE_TYPE": "SimpleCache",
        "CACHE_KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}:",
    }
    if CACHE_URL.startswith("redis"):
        values.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=CACHE_URL)
    values.update(extra)
    return values


def empty_tables() -> None:
    """Delete every row and restart the ids (call inside an app context)."""
    tables = [f'"{t.name}"' for t in reversed(db.metadata.sorted_tables)]  # quoted: "transaction" is a keyword
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(sa.text(f"DELETE FROM {table}"))
        db.session.execute(sa.text("DELETE FROM sqlite_sequence"))  # ids restart, as on PostgreSQL
    db.session.commit()


class RequestClient(FlaskClient):
    """Each request in an app context of its own, as under a server.

    Flask reuses an app context that is already pushed, and with it ``g`` and the
    scoped ``db.session``: a test holding one for its ORM work (``app_context``) would
    otherwise hand its logged-in user, CSRF token and session from request to request.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


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


def make_users() -> dict:
    """One login per role, named after it, password ``PASSWORD`` (inside an app context).

    A cheap hash keeps the suite fast; ``check_password`` reads any werkzeug hash.
    The users come back loaded and detached, readable after the context ends.
    """
    from werkzeug.security import generate_password_hash

    from plugin_admin.models import User

    password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    made = {role: User(username=role, role=role, password_hash=password_hash) for role in ROLES}
    db.session.add_all(made.values())
    db.session.commit()
    for user in made.values():
        db.session.refresh(user)
    db.session.expunge_all()
    return made


def csrf_token(client, path="/login") -> str:
    """The CSRF token of the form at ``path``, as a browser would read it (CSRF stays enabled in tests)."""
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
