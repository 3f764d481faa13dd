"""Cached reads and their invalidation.

Records are cached as plain column dicts (never live ORM objects, whose loaded
relationships would go stale) under keys of the form ``<table>:<what>``, so two
models never share a key. Writes collect the keys they affect while flushing and
delete them only once the transaction has committed: a reader in any process that
shares the cache then sees the committed state on its next read. A key holds a
token and the value lives under the token (``stamped_key``), so a value loaded just
before a commit and stored just after it is never read.
"""

import logging
import uuid
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app
from flask_caching.backends import FileSystemCache
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, class_mapper, make_transient_to_detached, scoped_session

from .extensions import cache, db

log = logging.getLogger(__name__)

_PENDING = "plugin_admin.cache_keys"
"""``session.info`` slot holding the keys a transaction will invalidate on commit."""

GENERATION_KEY = "derived:generation"
DERIVED_KEYS: set[str] = {GENERATION_KEY}
"""Keys dropped after any committed change. Aggregates over many records (list totals,
the dashboard) are keyed by ``derived_key`` instead: dropping the generation token makes
them all unreachable at once, even one computed while the change was committing."""


class DirectoryCache(FileSystemCache):
    """Flask-Caching's directory cache (``CACHE_URL=file:///…``), with ``add`` meaning what it
    means in memory and on Redis: stored unless a live entry holds the key. cachelib's own
    refuses while an expired entry's file is still on disk, so a token, once expired, would
    never be stored again and nothing derived from it would be cached."""

    def add(self, key, value, timeout=None) -> bool:
        return False if self.has(key) else self.set(key, value, timeout)


def object_key(model, pk) -> str:
    return f"{model.__tablename__}:pk:{pk}"


def all_key(model) -> str:
    return f"{model.__tablename__}:all"


def timeout() -> int:
    return current_app.config["CACHE_EXPIRATION"]


def read(key):
    """The cached value, or None when missing or when the cache cannot be reached."""
    try:
        return cache.get(key)
    except Exception:  # a cache outage must cost speed, never a page
        log.warning("cache read failed for %s", key, exc_info=True)
        return None


def write(key, value) -> None:
    try:
        cache.set(key, value, timeout=timeout())
    except Exception:
        log.warning("cache write failed for %s", key, exc_info=True)


def add(key, value) -> None:
    """Store ``value`` unless ``key`` holds one already (the first writer wins)."""
    try:
        cache.add(key, value, timeout=timeout())
    except Exception:
        log.warning("cache write failed for %s", key, exc_info=True)


def drop(*keys) -> None:
    if not keys:
        return
    try:
        cache.delete_many(*keys)
    except Exception:
        log.error("cache invalidation failed for %s; entries expire by timeout", keys, exc_info=True)


def read_through(key: str, compute, invalidate: bool = False, cacheable=None):
    """The value cached under ``key``, else ``compute()``, stored unless ``cacheable(value)`` is false."""
    if invalidate:
        drop(key)
    else:
        value = read(key)
        if value is not None:
            return value
    value = compute()
    if value is not None and (cacheable is None or cacheable(value)):
        write(key, value)
    return value


def token(key: str) -> str:
    """The token stored under ``key``, created when missing before anything is computed under it."""
    value = read(key)
    if value is None:
        add(key, uuid.uuid4().hex)
        # Set before computing: a commit landing during the computation drops this token,
        # and the value stored under it is never read.
        value = read(key) or uuid.uuid4().hex  # cache down: a key never read again
    return value


def generation() -> str:
    """The current generation: a token any committed change drops."""
    return token(GENERATION_KEY)


def derived_key(name: str) -> str:
    """``name`` under the current generation: unreachable after the next committed change."""
    return f"{name}:{generation()}"


def stamped_key(key: str) -> str:
    """Where the value of ``key`` is stored: under a token of its own, held at ``key``.

    A commit drops ``key`` and with it the token. So a reader that loaded the old state
    before that commit and stores it after stores it where nobody reads: no process can
    put back a stale record, not even for a moment.
    """
    return f"{key}@{token(key)}"


def pending_keys(session: Session | scoped_session) -> set:
    return session.info.get(_PENDING, frozenset())


def mark_stale(session: Session | scoped_session, keys) -> None:
    """Drop ``keys`` (and every aggregate) once ``session`` commits; forget them on rollback."""
    if keys:
        session.info.setdefault(_PENDING, set()).update(keys, DERIVED_KEYS)


@event.listens_for(Session, "after_flush")
def _collect_keys(session, flush_context):
    keys = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        cache_keys = getattr(obj, "cache_keys", None)
        if cache_keys is not None:
            keys.update(cache_keys())
    mark_stale(session, keys)


@event.listens_for(Session, "after_commit")
def _invalidate(session):
    keys = session.info.pop(_PENDING, None)
    if keys:
        drop(*keys)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session, previous_transaction):
    if not session.in_transaction():
        session.info.pop(_PENDING, None)


class CachedReads:
    """Read-through cached reads for a model: ``get_cached_object``, ``get_cached_objects``."""

    if TYPE_CHECKING:  # the primary key of the model this is mixed into
        id: Mapped[int]

    def cache_keys(self) -> set[str]:
        """Every cache key a change to this record makes stale."""
        return type(self).row_cache_keys({"id": self.id})

    @classmethod
    def row_cache_keys(cls, row: dict) -> set[str]:
        """``cache_keys`` of a plain row (a bulk statement's): every column the keys use is in it."""
        return {object_key(cls, row["id"]), all_key(cls)}

    @classmethod
    def _from_cache(cls, values: dict):
        """Attach a cached column dict to the session as a loaded record, without SQL."""
        session = db.session
        mapper = class_mapper(cls)
        existing = session.identity_map.get(mapper.identity_key_from_primary_key((values["id"],)))
        if existing is not None:
            return existing
        obj = mapper.class_manager.new_instance()
        obj.__dict__.update(values)
        make_transient_to_detached(obj)
        session.add(obj)
        return obj

    @classmethod
    def _cacheable(cls, obj) -> bool:
        """Only committed state may be cached: never a record with unflushed or unflushed-over changes."""
        state = sa.inspect(obj)
        return not state.modified and not (obj.cache_keys() & pending_keys(db.session))

    @classmethod
    def _cached(cls, key: str, load, invalidate: bool):
        """Read-through cache of column dicts: ``load()`` returns a record, a list of them, or None."""
        loaded = []

        def compute():
            records = load()
            if records is None:
                return None
            loaded.extend(records if isinstance(records, list) else [records])
            values = [r.column_values() for r in loaded]
            return values if isinstance(records, list) else values[0]

        return read_through(stamped_key(key), compute, invalidate, cacheable=lambda _: all(map(cls._cacheable, loaded)))

    @classmethod
    def get_cached_object(cls, invalidate: bool = False, pk=None):
        """The record with primary key ``pk`` (an int), or None; a warm read issues no SQL."""
        if not isinstance(pk, int) or isinstance(pk, bool) or pk < 1:
            return None
        values = cls._cached(object_key(cls, pk), lambda: db.session.get(cls, pk), invalidate)
        return cls._from_cache(values) if values is not None else None

    @classmethod
    def get_cached_objects(cls, invalidate: bool = False) -> list:
        """Every record of this model, ordered by id. Meant for small tables (users, lookups)."""

        def load():
            return db.session.scalars(sa.select(cls).order_by(cls.id)).all()

        return [cls._from_cache(v) for v in cls._cached(all_key(cls), load, invalidate)]
