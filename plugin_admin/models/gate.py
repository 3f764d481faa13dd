"""The write gate: every insert and update, whatever path it takes, is cleaned and validated here.

Flushes send their records through ``prepare_writes`` (admin forms, CLI, manifest import,
plain ORM); bulk loaders such as the seed send their plain rows through ``prepare_rows``.
A record that breaks a rule never reaches the database.
"""

from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session

from ..validation import ValidationError
from .base import TimestampedModel, unique_errors
from .columns import utcnow
from .versioning import current_actor, stamp


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
