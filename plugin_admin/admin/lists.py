"""Pages of large lists without a ``COUNT(*)`` per view or a deep ``OFFSET`` scan.

Rows come in two short steps: the ids of the page, walked on the sort index (a page
past the middle is walked from the other end, in reverse order, and flipped back, so the
last page costs what the first does and no page walks more than half the index), then
the full rows of those ids only. Totals and a page's ids are derived once per query and
cached under the current generation (``caching.derived_key``), which any committed
change moves on, so every process derives them afresh after a write; the rows
themselves are always read from the database.
"""

import hashlib

import sqlalchemy as sa
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.util import LRUCache

from .. import caching

PAGE_SIZE = 20
_SQL_TEXT: LRUCache[object, str] = LRUCache(256)
"""SQL text by SQLAlchemy cache key (bounded: an entry per list shape, not per page)."""


def _derived(session, stmt: sa.Select, load):
    """``load()`` (which runs ``stmt``), cached under ``stmt``'s SQL and parameters until the
    next committed change: a key the same in every process, without compiling ``stmt`` per view.

    Run afresh and shared with nobody while this session has uncommitted changes, or
    when SQLAlchemy cannot key ``stmt``."""
    cache_key = stmt._generate_cache_key()
    if caching.pending_keys(session) or cache_key is None:
        return load()
    digest = hashlib.sha256(cache_key.to_offline_string(_SQL_TEXT, stmt, {}).encode()).hexdigest()[:32]
    return caching.read_through(caching.derived_key(f"lists:{digest}"), load)


def count(session, stmt: sa.Select, model) -> int:
    """How many ``model`` rows ``stmt`` selects."""
    ids = stmt.with_only_columns(model.id, maintain_column_froms=True).order_by(None).subquery()
    count_stmt = sa.select(sa.func.count()).select_from(ids)
    return _derived(session, count_stmt, lambda: session.scalar(count_stmt))


def ordering(stmt: sa.Select, model) -> list[tuple]:
    """``stmt``'s ORDER BY as ``(column, descending)`` pairs, ended by the primary key for a total order."""
    order = []
    for clause in stmt._order_by_clauses:
        descending = isinstance(clause, UnaryExpression) and clause.modifier is operators.desc_op
        column = clause.element if isinstance(clause, UnaryExpression) and clause.modifier else clause
        order.append((column, descending))
    if not any(model.__table__.c.id.compare(column) for column, _ in order):
        order.append((model.id, order[-1][1] if order else False))  # ties keep the direction of the sort
    return order


def page_ids(session, stmt: sa.Select, model, page: int, total: int, page_size: int = PAGE_SIZE) -> list:
    """The primary keys on ``page`` (from 0) of ``stmt`` in its order, given its ``total``."""
    offset = page * page_size
    size = min(page_size, total - offset)
    if page < 0 or size <= 0:
        return []
    from_end = total - offset - size
    reverse = from_end < offset
    keys = [c.desc() if descending != reverse else c.asc() for c, descending in ordering(stmt, model)]
    ids_stmt = (
        stmt.with_only_columns(model.id, maintain_column_froms=True)
        .order_by(None)
        .order_by(*keys)
        .offset(from_end if reverse else offset)
        .limit(size)
    )
    ids = _derived(session, ids_stmt, lambda: list(session.scalars(ids_stmt)))
    return ids[::-1] if reverse else ids


def matches(session, column, pattern: str):
    """``column LIKE pattern`` regardless of case: plain LIKE on SQLite (case-blind already, for
    ASCII, and twice as fast as ``lower(…) LIKE lower(…)``), ILIKE elsewhere (trigram-indexed)."""
    if not isinstance(column.type, sa.String):
        column = sa.cast(column, sa.Unicode)
    return column.like(pattern) if session.get_bind().dialect.name == "sqlite" else column.ilike(pattern)


def rows_by_id(session, model, ids: list, options=()) -> list:
    """The records of ``ids``, in that order, loaded with ``options`` (eager loads) in one query."""
    if not ids:
        return []
    found = {r.id: r for r in session.scalars(sa.select(model).where(model.id.in_(ids)).options(*options))}
    return [found[pk] for pk in ids if pk in found]


def fetch(
    session,
    stmt: sa.Select,
    model,
    page: int = 0,
    page_size: int = PAGE_SIZE,
    options=(),
    unsorted: sa.Select | None = None,
) -> tuple[int, list]:
    """``(total, records on page)`` of ``stmt`` (a select of ``model`` with its filters, joins and order).

    ``unsorted`` is ``stmt`` before the joins its sort needed: counted instead, every order
    of one list shares one cached total and the count skips those joins.
    """
    total = count(session, unsorted if unsorted is not None else stmt, model)
    return total, rows_by_id(session, model, page_ids(session, stmt, model, page, total, page_size), options)
