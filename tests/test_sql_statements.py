"""The opt-in ``X-SQL-Statements`` header counts each request's statements, and only when asked."""

import pytest
from flask import Blueprint, jsonify
from sqlalchemy import text

from plugin_admin.extensions import db
from plugin_admin.models import TimestampedModel
from plugin_admin.sql_statements import HEADER

from .helpers import AuthActions

probe = Blueprint("statement_probe", __name__)


@probe.get("/probe/<int:n>")
def run_statements(n):
    for _ in range(n):
        db.session.execute(text("SELECT 1"))
    return jsonify(ran=n)


@pytest.fixture(autouse=True)
def public_probe(monkeypatch):
    """The probe needs no login, like the health checks."""
    paths = [f"/probe/{n}" for n in range(4)]
    monkeypatch.setattr(TimestampedModel, "amnesty_urls", [*TimestampedModel.amnesty_urls, *paths])


@pytest.mark.parametrize("n", [0, 1, 3])
def test_header_counts_the_statements_of_each_request(make_app, n):
    app = make_app(SQL_STATEMENT_HEADER=True)
    app.register_blueprint(probe)
    client = app.test_client()
    assert client.get(f"/probe/{n}").headers[HEADER] == str(n)
    assert client.get("/probe/2").headers[HEADER] == "2"  # counted per request, not summed


def test_header_is_off_by_default(make_app):
    app = make_app()
    app.register_blueprint(probe)
    assert HEADER not in app.test_client().get("/probe/1").headers


def test_environment_switches_it_on(tmp_path):
    from plugin_admin.config import Config

    assert Config(str(tmp_path), env={"SQL_STATEMENT_HEADER": "true"}).SQL_STATEMENT_HEADER is True
    assert Config(str(tmp_path), env={}).SQL_STATEMENT_HEADER is False


def test_header_counts_the_login_gates_session_check_too(make_app, users):
    """A logged-in page reads its user (and the cache epoch) in one statement before the view runs."""
    client = make_app(SQL_STATEMENT_HEADER=True).test_client()
    AuthActions(client).login("viewer")
    client.get("/admin/")  # the dashboard's numbers are cached now
    assert client.get("/admin/").headers[HEADER] == "1"  # the session check alone
