"""Opt-in ``X-SQL-Statements`` response header: how many SQL statements a request issued.

For the bench and for spotting N+1 queries in a browser's network panel. Off unless
``SQL_STATEMENT_HEADER`` is set, so production pays nothing for it.
"""

from flask import g, has_app_context
from sqlalchemy import event

from .extensions import db

HEADER = "X-SQL-Statements"


def init_app(app) -> None:
    if not app.config.get("SQL_STATEMENT_HEADER"):
        return
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", _count)

    @app.before_request
    def _start():
        g.sql_statements = 0

    @app.after_request
    def _report(response):
        response.headers[HEADER] = str(g.get("sql_statements", 0))
        return response


def _count(conn, cursor, statement, parameters, context, executemany):
    if has_app_context():  # statements issued outside one (CLI, startup) are not counted
        g.sql_statements = g.get("sql_statements", 0) + 1
