"""Revisions of records (SPEC §6): read a record's history, compare, restore, audit, prune.

The writing side lives in ``models.versioning`` (SQLAlchemy-Continuum, set up before the
models): every flush records its revisions there. This module reads them back as
``Revision`` values and writes new ones only through the ORM, so a restore passes the
write gate and the ``row_version`` check like any save. Bulk loaders (the seed) write
their first revisions with ``record_created`` in bulk, as they write their rows.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy_continuum import Operation, version_class
from sqlalchemy_continuum.utils import versioned_column_properties

from . import hashing, serialization
from .extensions import db
from .models import PluginData, PluginMeta, PluginPrompt, PluginSelector, TimestampedModel, User, utcnow, versioning
from .models.versioning import ACTIONS, BOOKKEEPING, current_actor, current_note, mark_restoring

MODELS = (PluginMeta, PluginSelector, PluginPrompt, PluginData, User)
"""Versioned models, in the order the audit lists revisions of one transaction."""
PARTS = (PluginSelector, PluginPrompt, PluginData)
PAGE_SIZE = 20
LONG_TEXT = 80
"""Text columns, and values longer than this or with a line break, are compared as a line and word diff."""


def transaction_table() -> sa.Table:
    return versioning.manager.transaction_cls.__table__


def version_table(model) -> sa.Table:
    return version_class(model).__table__


def model_named(name: str):
    """The versioned model for a locator prefix or class name (``pluginprompt``), or None."""
    return next((m for m in MODELS if m.__name__.lower() == (name or "").lower()), None)


def versioned_keys(model) -> list[str]:
    return [prop.key for prop in versioned_column_properties(model)]


def shown_keys(model) -> list[str]:
    """The fields a revision shows and a restore writes: the versioned ones but the bookkeeping."""
    return [k for k in versioned_keys(model) if k not in BOOKKEEPING and k != "id"]


@dataclass
class Revision:
    """One revision of one record: what it holds after the change (before it, for a delete)."""

    model: type[TimestampedModel]
    record_id: int
    n: int
    action: str
    actor: str
    note: str | None
    at: datetime
    changed: list[str]
    transaction_id: int
    values: dict = field(default_factory=dict)

    @property
    def record_locator(self) -> str:
        return hashing.record_locator(self.model.__name__, self.record_id)

    @property
    def hashed_id(self) -> str:
        return hashing.hashed_id(self.record_id)

    @property
    def model_name(self) -> str:
        return self.model.__name__.lower()

    @property
    def shown_values(self) -> dict:
        """The values a person sees: a reference to another record as its locator, never its integer id."""
        return {key: shown_value(self.model, key, self.values.get(key)) for key in shown_keys(self.model)}

    def record(self):
        """A detached, unsaved record holding this revision's values (for ``to_json`` and display)."""
        mapper: sa.orm.Mapper = sa.inspect(self.model)
        record = mapper.class_manager.new_instance()
        for column in mapper.columns:
            record.__dict__[column.key] = self.values.get(column.key)
        record.__dict__["id"] = self.record_id
        record.__dict__["changed_by"] = self.actor
        return record

    def to_json(self) -> dict:
        data = self.record().to_json()
        data.pop("row_version", None)
        data.update(
            revision=self.n, action=self.action, actor=self.actor, note=self.note,
            revised_at=serialization.json_ready(self.at),
        )  # fmt: skip
        return data


def shown_value(model, key: str, value):
    for foreign in model.__table__.c[key].foreign_keys:
        target = next(m for m in MODELS if m.__table__ is foreign.column.table)
        return hashing.record_locator(target.__name__, value) if value is not None else None
    return value


def _select(model, with_values: bool = True):
    table, tx = version_table(model), transaction_table()
    columns = [table] if with_values else [table.c.id, table.c.revision, table.c.action, table.c.changed,
                                            table.c.transaction_id]  # fmt: skip
    return sa.select(*columns, tx.c.actor, tx.c.note, tx.c.issued_at).join(tx, tx.c.id == table.c.transaction_id)


def _revision(model, row) -> Revision:
    values = {k: row[k] for k in versioned_keys(model) if k in row}
    return Revision(
        model=model, record_id=row["id"], n=row["revision"], action=row["action"], actor=row["actor"],
        note=row["note"], at=row["issued_at"].replace(tzinfo=UTC), changed=list(row["changed"] or ()),
        transaction_id=row["transaction_id"], values=values,
    )  # fmt: skip


def history(model, record_id: int, page: int = 0, per_page: int = PAGE_SIZE) -> tuple[list[Revision], int]:
    """One page of a record's revisions, newest first, and how many it has."""
    table = version_table(model)
    query = _select(model).where(table.c.id == record_id).order_by(table.c.revision.desc())
    rows = db.session.execute(query.limit(per_page).offset(page * per_page)).mappings()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(table).where(table.c.id == record_id))
    return [_revision(model, r) for r in rows], total or 0


def get(model, record_id: int, n: int) -> Revision | None:
    """Revision ``n`` of a record, or None."""
    if not isinstance(n, int) or not 0 < n < 2**31:
        return None
    table = version_table(model)
    row = db.session.execute(_select(model).where(table.c.id == record_id, table.c.revision == n)).mappings().first()
    return _revision(model, row) if row is not None else None


def latest(model, record_id: int) -> Revision | None:
    table = version_table(model)
    query = _select(model).where(table.c.id == record_id).order_by(table.c.revision.desc()).limit(1)
    row = db.session.execute(query).mappings().first()
    return _revision(model, row) if row is not None else None


def before(revision: Revision) -> Revision | None:
    """The revision before ``revision`` that still exists (pruning leaves gaps)."""
    table = version_table(revision.model)
    query = (
        _select(revision.model)
        .where(table.c.id == revision.record_id, table.c.revision < revision.n)
        .order_by(table.c.revision.desc())
        .limit(1)
    )
    row = db.session.execute(query).mappings().first()
    return _revision(revision.model, row) if row is not None else None


def revision_values(model_cls, record_id: int, n: int) -> dict | None:
    """The record's field values at revision ``n`` (for previews of a past state), or None."""
    found = get(model_cls, record_id, n)
    return dict(found.values) if found is not None else None


# --- comparing ------------------------------------------------------------------------------


@dataclass
class FieldDiff:
    name: str
    before: object
    after: object
    lines: list[tuple[str, list[tuple[str, str]]]] | None = None
    """For long text: ``(kind, [(kind, words)])`` per line, kinds ``equal``/``delete``/``insert``."""

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _is_long(value) -> bool:
    return isinstance(value, str) and (len(value) > LONG_TEXT or "\n" in value)


_WORDS = re.compile(r"\s+|\w+|[^\w\s]")


def word_diff(a: str, b: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Both sides of a changed line as ``(kind, text)`` runs: words removed from ``a``, added in ``b``."""
    wa, wb = _WORDS.findall(a), _WORDS.findall(b)
    left, right = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes():
        if tag == "equal":
            left.append(("equal", "".join(wa[i1:i2])))
            right.append(("equal", "".join(wb[j1:j2])))
            continue
        if i2 > i1:
            left.append(("delete", "".join(wa[i1:i2])))
        if j2 > j1:
            right.append(("insert", "".join(wb[j1:j2])))
    return left, right


def line_diff(a: str, b: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """A line diff of two texts; a replaced line pairs with its new line and shows the changed words."""
    la, lb = (a or "").splitlines(), (b or "").splitlines()
    out: list[tuple[str, list[tuple[str, str]]]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, la, lb, autojunk=False).get_opcodes():
        if tag == "equal":
            out.extend(("equal", [("equal", line)]) for line in la[i1:i2])
            continue
        old, new = la[i1:i2], lb[j1:j2]
        for index in range(max(len(old), len(new))):
            if index < len(old) and index < len(new):
                left, right = word_diff(old[index], new[index])
                out.append(("delete", left))
                out.append(("insert", right))
            elif index < len(old):
                out.append(("delete", [("delete", old[index])]))
            else:
                out.append(("insert", [("insert", new[index])]))
    return out


def compare(a: Revision, b: Revision) -> list[FieldDiff]:
    """Field by field, ``a`` against ``b``; long text as a line and word diff."""
    diffs = []
    before_values, after_values = a.shown_values, b.shown_values
    for key in shown_keys(a.model):
        before, after = before_values[key], after_values[key]
        diff = FieldDiff(key, before, after)
        text = isinstance(sa.inspect(a.model).columns[key].type, sa.Text)  # system role, descriptions, SQL
        if diff.changed and (text or _is_long(before) or _is_long(after)):
            diff.lines = line_diff(before or "", after or "")
        diffs.append(diff)
    return diffs


# --- restoring ------------------------------------------------------------------------------


class RestoreError(Exception):
    """A restore that cannot run; ``str()`` says why for the person who asked."""


class StaleRestore(RestoreError):
    def __init__(self, record):
        self.record = record
        when = record.updated_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        super().__init__(
            f"{record.changed_by or 'someone'} saved this record at {when}, after you opened its history; "
            "nothing was restored. Look at the history again and restore from there."
        )


def _assign(record, revision: Revision) -> None:
    for key in shown_keys(revision.model):
        value = revision.values.get(key)
        if value != getattr(record, key):
            setattr(record, key, value)


def restore(model, record_id: int, n: int, row_version=None) -> Any:
    """Write revision ``n``'s values as a new revision (action ``restore``) and commit.

    A live record must still be at ``row_version`` (what the person saw). A deleted record
    comes back with its id (and, for a plugin, the parts deleted with it). The flush runs
    the write gate: ``ValidationError`` when today's rules refuse the values; nothing is
    written then. The caller decides who may restore a deleted record (``is_deleted``).
    """
    session = db.session
    revision = get(model, record_id, n)
    if revision is None:
        raise RestoreError(f"{hashing.record_locator(model.__name__, record_id)} has no revision {n}")
    plugin_id = revision.values.get("plugin_id")
    if plugin_id is not None and session.get(PluginMeta, plugin_id) is None:
        plugin = hashing.record_locator(PluginMeta.__name__, plugin_id)
        raise RestoreError(f"its plugin {plugin} is deleted: restore the plugin first (its parts come back with it)")
    record = session.get(model, record_id)
    if record is None:
        last = latest(model, record_id)
        assert last is not None  # a record with revision n has a latest one
        record = _undelete(session, model, revision, last)
        if model is PluginMeta and last.action == "delete":
            for part in PARTS:
                table = version_table(part)
                deleted_with = (table.c.transaction_id == last.transaction_id, table.c.action == "delete")
                query = _select(part).where(table.c.plugin_id == record_id, *deleted_with)
                for row in session.execute(query).mappings():
                    gone = _revision(part, row)
                    setattr(record, part_relationship(part), _undelete(session, part, gone, gone))
    else:
        if row_version is not None and str(row_version) != str(record.row_version):
            raise StaleRestore(record)
        _assign(record, revision)
        mark_restoring(session, record)
    session.add(record)
    session.commit()
    return record


def part_relationship(part) -> str:
    """The plugin's relationship that holds ``part`` (``plugin_prompt_plugin`` for a prompt)."""
    return next(r.key for r in sa.inspect(PluginMeta).relationships if r.mapper.class_ is part)


def _undelete(session, model, revision: Revision, last: Revision):
    record = model()
    _assign(record, revision)
    record.id = revision.record_id
    record.created_at = revision.values.get("created_at")
    record.revision = last.n + 1
    mark_restoring(session, record)
    return record


def is_deleted(model, record_id: int) -> bool:
    return db.session.get(model, record_id) is None


# --- the audit ----------------------------------------------------------------------------------


@dataclass
class AuditFilter:
    actor: str | None = None
    model: type | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    note: str | None = None
    models: tuple = MODELS
    """The models the reader may see (user accounts are for admins)."""


Cursor = tuple[int, int, int]
"""Where a page of the audit ends: (transaction id, model position, record id)."""


def audit(
    filters: AuditFilter, after: Cursor | None = None, limit: int = PAGE_SIZE
) -> tuple[list[Revision], Cursor | None]:
    """Revisions of every model, newest first, filtered; and the cursor of the next page (None at the end).

    Each model's version table answers its own newest ``limit + 1`` off its indexes; the
    union of those short lists is ordered again. Pages are keyed by the last row shown,
    so any page costs the same as the first.
    """
    tx = transaction_table()
    arms = []
    for position, model in enumerate(MODELS):
        if model not in filters.models or (filters.model is not None and model is not filters.model):
            continue
        table = version_table(model)
        query = _select(model, with_values=False).add_columns(sa.literal(position).label("position"))
        conditions = []
        if filters.actor:
            conditions.append(tx.c.actor == filters.actor)
        if filters.action:
            conditions.append(table.c.action == filters.action)
        if filters.since:
            conditions.append(tx.c.issued_at >= filters.since.astimezone(UTC).replace(tzinfo=None))
        if filters.until:
            conditions.append(tx.c.issued_at < filters.until.astimezone(UTC).replace(tzinfo=None))
        if filters.note:
            conditions.append(tx.c.note.contains(filters.note, autoescape=True))
        if after is not None:
            conditions.append(_after(table, position, after))
        query = query.where(*conditions).order_by(table.c.transaction_id.desc(), table.c.id.desc()).limit(limit + 1)
        arms.append(sa.select(query.subquery()))
    if not arms:
        return [], None
    union = sa.union_all(*arms).subquery() if len(arms) > 1 else arms[0].subquery()
    rows = (
        db.session.execute(
            sa.select(union)
            .order_by(union.c.transaction_id.desc(), union.c.position, union.c.id.desc())
            .limit(limit + 1)
        )
        .mappings()
        .all()
    )
    revisions = [_revision(MODELS[r["position"]], r) for r in rows[:limit]]
    more = len(rows) > limit
    if not more:
        return revisions, None
    last = rows[limit - 1]
    return revisions, (last["transaction_id"], last["position"], last["id"])


def _after(table, position: int, cursor: Cursor):
    """Rows of this model's table that come after ``cursor`` in the audit's order."""
    tx_id, cursor_position, record_id = cursor
    if position > cursor_position:
        return table.c.transaction_id <= tx_id
    if position < cursor_position:
        return table.c.transaction_id < tx_id
    return sa.or_(table.c.transaction_id < tx_id, sa.and_(table.c.transaction_id == tx_id, table.c.id < record_id))


def latest_numbers(found: list[Revision]) -> dict[tuple[type, int], int]:
    """The latest revision number of each record of ``found``, one query per model."""
    numbers: dict[tuple[type, int], int] = {}
    by_model: dict = {}
    for revision in found:
        by_model.setdefault(revision.model, set()).add(revision.record_id)
    for model, ids in by_model.items():
        table = version_table(model)
        query = sa.select(table.c.id, sa.func.max(table.c.revision)).where(table.c.id.in_(ids)).group_by(table.c.id)
        numbers.update(((model, pk), n) for pk, n in db.session.execute(query))
    return numbers


def actors() -> list[str]:
    """Everyone who has written a revision (the audit's actor choices)."""
    tx = transaction_table()
    return list(db.session.scalars(sa.select(tx.c.actor).distinct().order_by(tx.c.actor).limit(500)))


def existing_ids(revisions: list[Revision]) -> set[tuple[type, int]]:
    """Which of the revisions' records still exist: one query per model on the page."""
    found: set[tuple[type, int]] = set()
    by_model: dict = {}
    for revision in revisions:
        by_model.setdefault(revision.model, set()).add(revision.record_id)
    for model, ids in by_model.items():
        found.update((model, pk) for pk in db.session.scalars(sa.select(model.id).where(model.id.in_(ids))))
    return found


# --- bulk writers and pruning --------------------------------------------------------------------


def open_transaction(session, actor: str | None = None, note: str | None = None) -> int:
    """A transaction row for revisions written in bulk; returns its id."""
    tx = transaction_table()
    values = {"actor": actor or current_actor(session), "note": note if note is not None else current_note(session),
              "issued_at": utcnow().replace(tzinfo=None)}  # fmt: skip
    return session.execute(tx.insert().values(values).returning(tx.c.id)).scalar_one()


def record_created(session, model, ids: list[int], transaction_id: int) -> None:
    """First revisions (``create``, n = 1) of rows just inserted in bulk: one ``INSERT … SELECT``.

    The rows are copied inside the database, so their values are not sent a second time.
    """
    table, versions = model.__table__, version_table(model)
    keys = [k for k in versioned_keys(model) if k != "revision"]
    source = sa.select(
        *(table.c[k] for k in keys),
        sa.literal(1).label("revision"),
        sa.literal(transaction_id).label("transaction_id"),
        sa.literal(Operation.INSERT).label("operation_type"),
        sa.literal("create").label("action"),
        sa.literal(shown_keys(model), sa.JSON).label("changed"),
    ).where(table.c.id.in_(ids))
    names = [*keys, "revision", "transaction_id", "operation_type", "action", "changed"]
    session.execute(versions.insert().from_select(names, source))


def prune(older_than_days: int) -> int:
    """Delete revisions older than ``older_than_days`` days, keeping each record's latest; returns how many went."""
    session = db.session
    tx = transaction_table()
    cutoff = (utcnow() - timedelta(days=older_than_days)).replace(tzinfo=None)
    old = sa.select(tx.c.id).where(tx.c.issued_at < cutoff)
    removed = 0
    for model in MODELS:
        table = version_table(model)
        newer = sa.alias(table)
        keep_latest = sa.exists().where(newer.c.id == table.c.id, newer.c.revision > table.c.revision)
        result = session.execute(sa.delete(table).where(table.c.transaction_id.in_(old), keep_latest))
        removed += result.rowcount  # type: ignore[attr-defined]  # a DELETE's CursorResult
    used = [sa.select(version_table(m).c.transaction_id).where(version_table(m).c.transaction_id == tx.c.id)
            for m in MODELS]  # fmt: skip
    session.execute(sa.delete(tx).where(tx.c.issued_at < cutoff, *[~sa.exists(u) for u in used]))
    session.commit()
    return removed


__all__ = [
    "ACTIONS", "MODELS", "AuditFilter", "FieldDiff", "Revision", "RestoreError", "StaleRestore", "audit", "actors",
    "before", "compare", "existing_ids", "get", "history", "is_deleted", "latest", "latest_numbers", "line_diff",
    "model_named",
    "open_transaction", "prune", "record_created", "restore", "revision_values", "word_diff",
]  # fmt: skip
