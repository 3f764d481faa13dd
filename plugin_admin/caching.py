"""Cached reads and their invalidation.

Records are cached as plain column dicts (never live ORM objects, whose loaded
relationships would go stale) under keys of the form ``<table>:<what>``, so two
models never share a key. Writes collect the keys they affect while flushing and
delete them only once the transaction has committed: a reader in any process that
shares the cache then sees the committed state on its next read. A key holds a
token and the value lives under the token (``stamped_key``), so a value loaded just
before a commit and stored just after it is never read.

The cache is an accelerator, never a source of truth (SPEC §8). A failing cache trips a
breaker (``Breaker``): it is skipped for ``CACHE_BREAKER_SECONDS`` instead of being waited
on by every call. Every key carries the cache *epoch*, a number kept in the database and
read once per request: an invalidation that could not be delivered moves it on, so whatever
the cache kept through an outage is never read again.
"""

import logging
import time
import uuid
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app, g
from flask_caching.backends import FileSystemCache
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, class_mapper, make_transient_to_detached, scoped_session

from .extensions import cache, db

log = logging.getLogger(__name__)

BREAKER = "plugin_admin.cache_breaker"
"""``app.extensions`` slot of each app's ``Breaker``."""

epoch_table = sa.Table(
    "cache_epoch",
    db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("value", sa.BigInteger, nullable=False),
)
EPOCH = sa.select(sa.func.coalesce(sa.func.max(epoch_table.c.value), 0))
"""The current cache epoch (0 before the first lost invalidation)."""

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


class Breaker:
    """After a cache failure, skip the cache for ``pause`` seconds (then try it again): a dead or
    frozen cache costs one client timeout per pause, not one per call."""

    def __init__(self, pause: float):
        self.pause = pause
        self.open_until = 0.0

    def closed(self) -> bool:
        return time.monotonic() >= self.open_until

    def trip(self) -> None:
        self.open_until = time.monotonic() + self.pause


def init_app(app) -> None:
    app.extensions[BREAKER] = Breaker(app.config["CACHE_BREAKER_SECONDS"])


def remember_epoch(value: int) -> None:
    """The epoch as a query of this request read it (the login check reads it with the user)."""
    g.cache_epoch = value


def epoch() -> int:
    """The cache epoch, read from the database once per request."""
    if "cache_epoch" not in g:
        with db.engine.connect() as connection:  # not the session: this may run after its commit
            remember_epoch(connection.scalar(EPOCH) or 0)
    return g.cache_epoch


def advance_epoch() -> None:
    """Record that an invalidation was lost: from now on every process reads and writes afresh."""
    try:
        with db.engine.begin() as connection:
            moved = connection.execute(epoch_table.update().values(value=epoch_table.c.value + 1))
            if not moved.rowcount:
                connection.execute(epoch_table.insert().values(id=1, value=1))
    except Exception:  # the database is away too: nothing was committed, so nothing went stale
        log.error("could not advance the cache epoch", exc_info=True)
    g.pop("cache_epoch", None)


def scoped(key: str) -> str:
    return f"{epoch()}/{key}"


def attempt(operation, what: str) -> tuple[bool, object]:
    """``(True, operation())``, or ``(False, None)`` when the cache failed or is being skipped."""
    breaker = current_app.extensions[BREAKER]
    if not breaker.closed():
        return False, None
    try:
        return True, operation()
    except Exception:  # a cache outage must cost speed, never a page
        breaker.trip()
        log.warning("cache %s failed; skipping the cache for %s s", what, breaker.pause, exc_info=True)
        return False, None


def read(key):
    """The cached value, or None when missing or when the cache cannot be reached."""
    scoped_key = scoped(key)
    return attempt(lambda: cache.get(scoped_key), f"read of {key}")[1]


def write(key, value) -> None:
    scoped_key = scoped(key)
    attempt(lambda: cache.set(scoped_key, value, timeout=timeout()), f"write of {key}")


def add(key, value) -> None:
    """Store ``value`` unless ``key`` holds one already (the first writer wins)."""
    scoped_key = scoped(key)
    attempt(lambda: cache.add(scoped_key, value, timeout=timeout()), f"write of {key}")


def drop(*keys) -> None:
    """Delete ``keys``; when that cannot be done, move the epoch on so that nobody reads them."""
    if not keys:
        return
    scoped_keys = [scoped(key) for key in keys]
    delivered, _ = attempt(lambda: cache.delete_many(*scoped_keys), f"invalidation of {keys}")
    if not delivered:
        log.error("cache invalidation of %s not delivered; advancing the cache epoch", keys)
        advance_epoch()


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
