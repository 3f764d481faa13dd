"""Settings from the environment, each with a working embedded default (README, Configuration)."""

import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit


def database_url(url: str) -> str:
    """Point bare PostgreSQL URLs at psycopg 3, the driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def kept_secret(path: Path, make) -> str:
    """The secret in ``path``: made once (readable by its owner only) and read back on every start."""
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def secret_key(instance_path: Path) -> str:
    """Generated once and kept in ``instance/``, so sessions survive restarts."""
    return kept_secret(instance_path / "secret_key", lambda: secrets.token_hex(32))


PROCESS_LOCAL_CACHE = "SimpleCache"


def cache_settings(cache_url: str) -> dict:
    """Flask-Caching settings for ``CACHE_URL``: Redis (shared by every process on every host),
    a directory (shared by the processes of one host: several workers on SQLite), or, when
    unset, this process's memory (one process only)."""
    if cache_url.startswith(("redis://", "rediss://", "unix://")):
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": cache_url}
    if cache_url.startswith("file:///"):
        directory = unquote(urlsplit(cache_url).path)
        # Entries live CACHE_EXPIRATION seconds; the threshold only bounds the directory.
        cache_type = "plugin_admin.caching.DirectoryCache"  # cachelib's, with add() across expiry
        return {"CACHE_TYPE": cache_type, "CACHE_DIR": directory, "CACHE_THRESHOLD": 20_000}
    if not cache_url:
        return {"CACHE_TYPE": PROCESS_LOCAL_CACHE}
    raise ValueError(
        f"CACHE_URL={cache_url!r} is not understood: use redis://host:6379/0, "
        "file:///an/absolute/directory, or leave it unset for a cache in this process's memory"
    )


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
        for name, value in cache_settings(env.get("CACHE_URL", "")).items():
            setattr(self, name, value)
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
