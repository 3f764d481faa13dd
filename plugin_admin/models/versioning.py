"""Revisions with SQLAlchemy-Continuum: its version tables and transaction table, set up before any model.

Continuum records a version row per changed record in the flush's own transaction (so a
rolled-back write leaves none) and a ``transaction`` row per database transaction. This
module adds what SPEC §6 asks of a revision beyond Continuum's columns:

- the transaction carries the ``actor`` and the optional ``note``;
- each version row carries the record's revision number ``revision`` (the model's own
  column, bumped once per transaction by the write gate, so numbers are 1, 2, … per record
  and survive pruning and deletion), its ``action`` (create, update, delete, restore) and
  the names of the fields that ``changed``.

Versioned models set ``__versioned__``; bookkeeping columns (``row_version``,
``changed_by``) are left out of the version tables.
"""

from __future__ import annotations

import getpass
import weakref

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy_continuum import Operation, make_versioned, versioning_manager
from sqlalchemy_continuum.plugins import Plugin
from sqlalchemy_continuum.utils import is_modified, versioned_column_properties

ACTIONS = ("create", "update", "delete", "restore")
NOTE_MAX = 500
ACTOR_MAX = 120
BOOKKEEPING = frozenset({"revision", "created_at", "updated_at"})
"""Versioned columns that change with every revision: never listed as changed fields."""
NOT_VERSIONED = ["row_version", "changed_by"]
"""Columns of every model left out of its version table."""

AnySession = Session | scoped_session
"""A session, or Flask-SQLAlchemy's scoped ``db.session`` (whose ``info`` is its current session's)."""

_ACTOR, _NOTE, _BUMPED, _RESTORING = (f"plugin_admin.revision_{k}" for k in ("actor", "note", "bumped", "restoring"))


def set_context(session: AnySession, actor: str | None = None, note: str | None = None) -> None:
    """Who writes the next revisions of ``session`` and why (``note=""`` clears the note).

    Kept in ``session.info`` for the session's life: one request, or one command.
    """
    if actor is not None:
        session.info[_ACTOR] = actor[:ACTOR_MAX]
    if note is not None:
        session.info[_NOTE] = note.strip()[:NOTE_MAX] or None


def cli_actor(name: str | None = None) -> str:
    """``cli:<name>`` for the command line: ``--actor`` or the OS user."""
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry (some containers)
            name = "unknown"
    return f"cli:{name}"


def current_actor(session: AnySession) -> str:
    """The logged-in user in a request; else the actor set on the session; else the command line's OS user."""
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return current_user.username
    return session.info.get(_ACTOR) or cli_actor()


def current_note(session: AnySession) -> str | None:
    return session.info.get(_NOTE)


def mark_restoring(session: AnySession, record) -> None:
    """Record the next revision of ``record`` as a restore."""
    session.info.setdefault(_RESTORING, weakref.WeakSet()).add(record)


def _bumped(session: Session) -> weakref.WeakSet:
    return session.info.setdefault(_BUMPED, weakref.WeakSet())


def committed(record, key: str):
    """The value of ``key`` as the database holds it (before this flush's change)."""
    history = sa.inspect(record).attrs[key].history
    return history.deleted[0] if history.deleted else getattr(record, key)


def stamp(session: Session, changed, deleted) -> None:
    """Part of the write gate: number the revision each record gets in this transaction.

    A record gets one revision per transaction however often it is flushed, so its
    ``revision`` goes up by one per transaction: a new record starts at 1 (or the number a
    restore gives it), a changed or deleted one takes the committed number plus one.
    """
    bumped = _bumped(session)
    for record in changed:
        if record in bumped or not hasattr(record, "__versioned__"):
            continue
        if record in session.new:
            record.revision = record.revision or 1
        elif is_modified(record):
            record.revision = (committed(record, "revision") or 0) + 1
        else:
            continue
        bumped.add(record)
    for record in deleted:
        if hasattr(record, "__versioned__") and record not in bumped:
            record.revision = (committed(record, "revision") or 0) + 1
            bumped.add(record)


def changed_fields(record, created: bool) -> list[str]:
    """The versioned fields this revision changes: all of them for a create (each gets its first value)."""
    state = sa.inspect(record)
    keys = [p.key for p in versioned_column_properties(record) if p.key not in BOOKKEEPING and p.key != "id"]
    return keys if created else [k for k in keys if state.attrs[k].history.has_changes()]


class RevisionPlugin(Plugin):
    """Actor and note on Continuum's transaction; action and changed fields on its version rows."""

    def after_build_tx_class(self, manager):
        tx = manager.transaction_cls
        tx.actor = sa.Column(sa.String(ACTOR_MAX), nullable=False, default="unknown")
        tx.note = sa.Column(sa.String(NOTE_MAX), nullable=True)
        sa.Index("ix_transaction_actor_id", tx.__table__.c.actor, tx.__table__.c.id)
        sa.Index("ix_transaction_issued_at", tx.__table__.c.issued_at)

    def after_build_version_table_columns(self, table_builder, columns):
        if table_builder.model is None:
            return
        for column in columns:  # the copies keep the record's own indexes; a history needs none of them
            column.index = None
        columns.append(sa.Column("action", sa.String(8), nullable=False))
        columns.append(sa.Column("changed", sa.JSON, nullable=True))

    def after_version_class_built(self, parent_cls, version_cls):
        table = version_cls.__table__
        sa.Index(f"ix_{table.name}_id_revision", table.c.id, table.c.revision, unique=True)
        sa.Index(f"ix_{table.name}_action_transaction_id_id", table.c.action, table.c.transaction_id, table.c.id)
        sa.Index(f"ix_{table.name}_transaction_id_id", table.c.transaction_id, table.c.id)  # the audit's order

    def transaction_args(self, uow, session):
        address = request.remote_addr if has_request_context() else None
        return {"actor": current_actor(session), "note": current_note(session), "remote_addr": address}

    def after_create_version_object(self, uow, parent_obj, version_obj):
        session = sa.orm.object_session(parent_obj)
        assert session is not None  # a record being flushed belongs to the flushing session
        kind, action = version_obj.operation_type, version_obj.action  # set when flushed before in this transaction
        if parent_obj in session.info.get(_RESTORING, ()):
            version_obj.action = "restore"
        elif kind == Operation.DELETE:
            version_obj.action = "delete"
        elif action is None or kind == Operation.INSERT:
            version_obj.action = "create" if kind == Operation.INSERT else "update"
        if kind == Operation.DELETE:
            version_obj.changed = []
        else:
            before = version_obj.changed or []
            fields = changed_fields(parent_obj, kind == Operation.INSERT)
            version_obj.changed = [*before, *(f for f in fields if f not in before)]


def _forget(session, *args) -> None:
    for key in (_BUMPED, _RESTORING):
        session.info.pop(key, None)


event.listen(Session, "after_commit", _forget)
event.listen(Session, "after_rollback", _forget)

make_versioned(
    user_cls=None,
    plugins=[RevisionPlugin()],
    options={"strategy": "subquery", "create_composite_index": False},
)
manager = versioning_manager
