"""Plugin Prompt Admin: the application factory."""

from pathlib import Path

from flask import Flask
from sqlalchemy import event

from . import caching, sql_statements
from .config import Config, derived_settings
from .extensions import cache, csrf, db, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(Config(app.instance_path))
    if test_config:
        app.config.update(test_config)
    app.config.update(derived_settings(app.config))

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    cache.init_app(app)
    caching.init_app(app)
    csrf.init_app(app)
    with app.app_context():
        _tune_sqlite(db.engine)

    from . import cli, health, locators, models  # noqa: F401 - models register their mappers
    from .admin import init_admin
    from .assets import init_assets
    from .auth import init_auth
    from .security import init_security

    sql_statements.init_app(app)  # first: its count starts before the login gate reads the session's user
    init_security(app)
    init_auth(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(locators.bp)
    init_admin(app)
    init_assets(app)
    cli.register(app)
    return app


def _tune_sqlite(engine) -> None:
    """Foreign keys (for ON DELETE CASCADE), WAL for concurrent readers, a busy wait for writers."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, connection_record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()
