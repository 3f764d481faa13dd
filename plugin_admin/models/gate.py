"""The write gate: every insert and update, whatever path it takes, is cleaned and validated here.

Flushes send their records through ``prepare_writes`` (admin forms, CLI, manifest import,
plain ORM); bulk loaders such as the seed send their plain rows through ``prepare_rows``.
A record that breaks a rule never reaches the database.

Bulk statements through a session (``session.execute(insert(Model), rows)``, ``update(Model)``)
skip the flush, so they are refused on the domain's tables unless the caller says it
validated the rows (``execution_options=VALIDATED``), and they make stale what they touch.
"""

from datetime import datetime
from functools import cache

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import ORMExecuteState, Session

from .. import caching
from ..validation import ValidationError
from .base import Model, TimestampedModel, unique_errors
from .columns import utcnow
from .versioning import current_actor, stamp

VALIDATED = {"validated": True}
"""The execution option of a bulk INSERT or UPDATE whose rows went through ``prepare_rows``."""


class UnvalidatedBulkWrite(InvalidRequestError):
    """A bulk INSERT or UPDATE of a domain table that did not say its rows were validated."""


def prepare_rows(session, model, rows: list[dict], now: datetime | None = None) -> None:
    """Stamp, clean and validate rows of ``model`` in place; raise for the first invalid one.

    The one gate every write passes: flushes send their records through it (via
    ``prepare_writes``) and bulk loaders (the seed) their plain rows.
    """
    now = now or utcnow()
    actor = current_actor(session)
    for row in rows:
        row["created_at"] = row["created_at"] or now
        row["updated_at"] = now
        row["revision"] = row.get("revision") or 1
        row["changed_by"] = actor
        model.clean_values(row)
    conflicts = unique_errors(session, model, rows)
    for index, row in enumerate(rows):
        errors = model.check_values(row)
        for field, messages in conflicts.get(index, {}).items():
            errors.setdefault(field, []).extend(messages)
        if errors:
            raise ValidationError(errors, model=model.__name__)


def prepare_writes(session, records) -> None:
    """``prepare_rows`` for ORM records, written back to them."""
    now = utcnow()
    by_model: dict = {}
    for record in records:
        by_model.setdefault(type(record), []).append(record)
    for model, group in by_model.items():
        rows = [record.rule_values() for record in group]
        try:
            prepare_rows(session, model, rows, now)
        finally:
            for record, row in zip(group, rows, strict=True):
                record.assign(row)


@event.listens_for(Session, "before_flush")
def _clean_and_validate(session, flush_context, instances):
    new, deleted = session.new, session.deleted  # properties that build a new set on each access
    changed = [
        obj
        for obj in (*new, *session.dirty)
        if isinstance(obj, TimestampedModel)
        and obj not in deleted
        and (obj in new or session.is_modified(obj, include_collections=False))
    ]
    prepare_writes(session, changed)
    stamp(session, changed, [obj for obj in deleted if isinstance(obj, TimestampedModel)])


@cache
def _models_by_table() -> dict[str, type[TimestampedModel]]:
    return {m.class_.__tablename__: m.class_ for m in Model.registry.mappers if issubclass(m.class_, TimestampedModel)}


ID_BATCH = 10_000
"""Ids one IN list holds: PostgreSQL binds at most 65,535 parameters a statement, SQLite 32,766."""


def _rows_by_id(session, table: sa.Table, ids: list) -> list[dict]:
    """The rows of ``ids``, read in batches of ``ID_BATCH``."""
    found: list[dict] = []
    for start in range(0, len(ids), ID_BATCH):
        batch = sa.select(table).where(table.c.id.in_(ids[start : start + ID_BATCH]))
        found.extend(dict(row) for row in session.execute(batch).mappings())
    return found


def _touched(state: ORMExecuteState, statement: sa.Update | sa.Delete, table: sa.Table) -> list[dict]:
    """The rows an UPDATE or DELETE is about to touch."""
    rows = state.parameters
    if isinstance(rows, list):  # executemany: by primary key (the ORM's bulk UPDATE) or by bound parameters
        ids = [row["id"] for row in rows if "id" in row]
        if len(ids) == len(rows):
            return _rows_by_id(state.session, table, ids)
        return [dict(row) for row in state.session.execute(sa.select(table)).mappings()]
    query = sa.select(table) if statement.whereclause is None else sa.select(table).where(statement.whereclause)
    return [dict(row) for row in state.session.execute(query, rows).mappings()]


@event.listens_for(Session, "do_orm_execute")
def _bulk_writes(state: ORMExecuteState):
    """Refuse an unvalidated bulk INSERT or UPDATE of a domain table; mark what a bulk write touches stale."""
    statement = state.statement
    if not isinstance(statement, sa.Insert | sa.Update | sa.Delete) or not isinstance(statement.table, sa.TableClause):
        return None
    model = _models_by_table().get(statement.table.name)
    if model is None:
        return None
    if not isinstance(statement, sa.Delete) and not state.execution_options.get("validated"):
        verb = "INSERT into" if isinstance(statement, sa.Insert) else "UPDATE of"
        raise UnvalidatedBulkWrite(
            f"a bulk {verb} {model.__tablename__} skips the write gate: send the rows through"
            " prepare_rows() and pass execution_options=VALIDATED to say so"
        )
    if isinstance(statement, sa.Insert):  # new rows: nothing is cached under them, but lists and totals change
        caching.mark_stale(state.session, {caching.all_key(model)})
        return None
    table = model.__table__
    before = _touched(state, statement, table)
    result = state.invoke_statement()
    after = _rows_by_id(state.session, table, [row["id"] for row in before])
    caching.mark_stale(state.session, {key for row in (*before, *after) for key in model.row_cache_keys(row)})
    return result
