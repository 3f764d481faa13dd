"""Settings from the environment, each with a working embedded default (SPEC §5)."""

import os
import secrets
from pathlib import Path


def database_url(url: str) -> str:
    """Point bare PostgreSQL URLs at psycopg 3, the driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def secret_key(instance_path: Path) -> str:
    """Generated once and kept in ``instance/``, so sessions survive restarts."""
    path = instance_path / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    """Read once per app; tests pass overrides to ``create_app`` instead of setting the environment."""

    def __init__(self, instance_path: str, env=os.environ):
        instance = Path(instance_path)
        instance.mkdir(parents=True, exist_ok=True)
        self.SECRET_KEY = env.get("SECRET_KEY") or secret_key(instance)
        self.SQLALCHEMY_DATABASE_URI = database_url(
            env.get("DATABASE_URL") or f"sqlite:///{instance / 'plugin_admin.sqlite3'}"
        )
        self.CACHE_EXPIRATION = int(env.get("CACHE_EXPIRATION", "60"))
        self.CACHE_DEFAULT_TIMEOUT = self.CACHE_EXPIRATION
        self.CACHE_KEY_PREFIX = env.get("CACHE_KEY_PREFIX", "plugin_admin:")
        cache_url = env.get("CACHE_URL", "")
        if cache_url.startswith(("redis://", "rediss://", "unix://")):
            self.CACHE_TYPE = "RedisCache"
            self.CACHE_REDIS_URL = cache_url
        else:
            self.CACHE_TYPE = "SimpleCache"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = env.get("SESSION_COOKIE_SECURE", "").lower() in ("1", "true", "yes")
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.MAX_CONTENT_LENGTH = int(env.get("MAX_CONTENT_LENGTH", str(2 * 1024 * 1024)))
        # A pasted manifest (up to 1 MiB) is one form field; Flask's default allows 500 kB.
        self.MAX_FORM_MEMORY_SIZE = self.MAX_CONTENT_LENGTH
        self.WTF_CSRF_TIME_LIMIT = None
        self.FLASK_ADMIN_SWATCH = "cerulean"
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.SQL_STATEMENT_HEADER = env.get("SQL_STATEMENT_HEADER", "").lower() in ("1", "true", "yes")
