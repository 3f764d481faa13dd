"""The shared base of every model (the seed's ``TimestampedModel``) and the rules it runs."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, ClassVar, cast

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from .. import hashing, serialization, validation
from ..caching import CachedReads
from ..extensions import Base, db
from ..validation import Errors, ValidationError
from .columns import BigId, UTCDateTime, utcnow
from .smarter import SmarterCompat
from .versioning import ACTOR_MAX, NOT_VERSIONED


class ObjectDoesNotExist(LookupError):
    """Base of every model's ``DoesNotExist``."""


class MultipleObjectsReturned(LookupError):
    """Base of every model's ``MultipleObjectsReturned``."""


if TYPE_CHECKING:
    Model = Base  # db.Model is built from Base at run time; type checkers know Base
else:
    Model = db.Model


class TimestampedModel(SmarterCompat, CachedReads, Model):
    """What every record has: timestamps, a version counter, hashed ids, its rules, cached reads."""

    __abstract__ = True

    if TYPE_CHECKING:  # every model maps one table (SQLAlchemy types it as any FromClause)
        __table__: ClassVar[sa.Table]

    DoesNotExist = ObjectDoesNotExist

    MultipleObjectsReturned = MultipleObjectsReturned

    json_exclude: tuple[str, ...] = ()
    """Columns ``to_json`` leaves out (secrets)."""

    __versioned__ = {"exclude": NOT_VERSIONED}
    """Every model keeps revisions (``versioning``); bookkeeping columns stay out of them."""

    id: Mapped[int] = mapped_column(BigId, primary_key=True)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    row_version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    """Bumped by every UPDATE and checked in its WHERE clause: no lost updates."""

    revision: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default=sa.text("1"))
    """The number of the record's latest revision (1, 2, … one per transaction that changed it)."""

    changed_by: Mapped[str | None] = mapped_column(sa.String(ACTOR_MAX), nullable=True)
    """Who wrote the latest revision, kept on the row so lists show it without reading revisions."""

    extra_table_args: tuple = ()
    """Indexes and constraints a model adds to the shared table options."""

    filtered_columns: tuple[str, ...] = ()
    """Columns the admin lists filter on by value: each is indexed with ``(updated_at, id)`` after
    it, so a filtered page is read in the lists' default order straight off its index."""

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.row_version}

    @declared_attr.directive
    def __table_args__(cls):
        # (updated_at, id) is the lists' default order: pages walk this index alone.
        # AUTOINCREMENT: SQLite would otherwise reuse a deleted record's id, and with it
        # a locator someone may have shared.
        table = cls.__tablename__
        recent_first = sa.Index(f"ix_{table}_updated_at_id", "updated_at", "id")
        filtered = (sa.Index(f"ix_{table}_{c}_updated_at_id", c, "updated_at", "id") for c in cls.filtered_columns)
        return (*cls.extra_table_args, recent_first, *filtered, {"sqlite_autoincrement": True})

    @classmethod
    def max_length(cls, column: str) -> int | None:
        """The characters a text column holds (None: no limit)."""
        kind = cls.__table__.c[column].type
        return kind.length if isinstance(kind, sa.String) else None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        attrs = {"__module__": cls.__module__}
        cls.DoesNotExist = cast(type[ObjectDoesNotExist], type("DoesNotExist", (ObjectDoesNotExist,), attrs))
        cls.MultipleObjectsReturned = cast(
            type[MultipleObjectsReturned], type("MultipleObjectsReturned", (MultipleObjectsReturned,), attrs)
        )

    def __init__(self, **kwargs):
        # Column defaults apply at INSERT; validation runs before it, so apply them now.
        for column in self.__table__.columns:
            default = column.default
            if column.key in kwargs or column.key in ("id", "created_at", "updated_at"):
                continue
            if isinstance(default, sa.ColumnDefault):  # Python-side defaults (no sequences here)
                kwargs[column.key] = default.arg(None) if default.is_callable else default.arg
        super().__init__(**kwargs)

    def __repr__(self) -> str:
        return f"<{self.unformatted_class_name} {self.hashed_id if self.id else 'unsaved'}>"

    @property
    def hashed_id(self) -> str | None:
        return hashing.hashed_id(self.id) if self.id is not None else None

    @property
    def record_locator(self) -> str | None:
        return hashing.record_locator(type(self).__name__, self.id) if self.id is not None else None

    @classmethod
    def locator_prefix(cls) -> str:
        return cls.__name__.lower()

    @staticmethod
    def model_for_locator_prefix(prefix: str):
        return _models_by_prefix().get(prefix)

    @classmethod
    def get_object_by_locator(cls, locator):
        """The record a locator names, or None; on the base class any model's locator resolves."""
        parsed = hashing.parse_locator(locator)
        if parsed is None:
            return None
        prefix, pk = parsed
        model = cls.model_for_locator_prefix(prefix) if cls is TimestampedModel else cls
        if model is None or model.locator_prefix() != prefix:
            return None
        return model.get_cached_object(pk=pk)

    @classmethod
    def get(cls, **filters):
        """The one record matching ``filters``; ``DoesNotExist``/``MultipleObjectsReturned`` otherwise."""
        found = db.session.scalars(sa.select(cls).filter_by(**filters).limit(2)).all()
        if not found:
            raise cls.DoesNotExist(f"{cls.__name__} matching {filters} does not exist")
        if len(found) > 1:
            raise cls.MultipleObjectsReturned(f"more than one {cls.__name__} matches {filters}")
        return found[0]

    @classmethod
    def clean_values(cls, values: dict) -> None:
        """Normalise a record's values in place (strip, lower-case, snake_case)."""

    @classmethod
    def check_values(cls, values: dict) -> Errors:
        """Errors under the field rules, from plain values; issues no SQL.

        Rules take values, not instances, so bulk loaders can check rows without
        building 100,000 ORM objects, and instances check through the same code.
        """
        errors = Errors()
        for column in cls.__table__.columns:
            if isinstance(column.type, sa.String):
                validation.check_text(errors, column.key, values.get(column.key))
        return errors

    def rule_values(self) -> dict:
        """What the rules read: the columns, plus any context a subclass adds.

        A parent assigned through its relationship reaches the foreign key only during
        the flush; the rules take its key now, so a plugin's second prompt is refused as
        a duplicate instead of replacing (and orphan-deleting) the first.
        """
        values = self.column_values()
        for rel in sa.inspect(type(self)).relationships:
            parent = self.__dict__.get(rel.key)  # assigned or loaded; never lazy-loaded here
            if rel.direction is sa.orm.MANYTOONE and parent is not None:
                for local, remote in rel.local_remote_pairs or ():
                    assert isinstance(local, sa.Column) and isinstance(remote, sa.Column)  # a foreign key's pair
                    values[local.key] = getattr(parent, remote.key)
        return values

    def clean(self) -> None:
        values = self.rule_values()
        type(self).clean_values(values)
        self.assign(values)

    def assign(self, values: dict) -> None:
        """Set the columns whose value changed (unchanged ones stay unmodified for the ORM)."""
        for column in self.__table__.columns:
            if values[column.key] is not getattr(self, column.key):
                setattr(self, column.key, values[column.key])

    def rule_errors(self) -> Errors:
        return type(self).check_values(self.rule_values())

    @classmethod
    def unique_message(cls, field: str, value) -> str:
        return f"{validation.show(value)} is already taken by another {cls.__name__}"

    def validate(self) -> None:
        """Raise ``ValidationError`` with every field error at once."""
        errors = self.rule_errors()
        for field, messages in unique_errors(db.session, type(self), [self.rule_values()]).get(0, {}).items():
            errors.setdefault(field, []).extend(messages)
        if errors:
            raise ValidationError(errors, model=type(self).__name__)

    def column_values(self) -> dict:
        return {attr.key: getattr(self, attr.key) for attr in sa.inspect(type(self)).column_attrs}

    def to_json(self) -> dict:
        """All fields, JSON-ready; integer keys are replaced by hashed ids and locators."""
        data = {k: v for k, v in self.column_values().items() if k != "id" and k not in self.json_exclude}
        for rel in sa.inspect(type(self)).relationships:
            if rel.direction is sa.orm.MANYTOONE:
                (column,) = rel.local_columns
                pk = data.pop(column.key)
                data[rel.key] = hashing.record_locator(rel.mapper.class_.__name__, pk) if pk else None
        data.update(hashed_id=self.hashed_id, record_locator=self.record_locator, elapsed_updated=self.elapsed_updated)
        return serialization.json_ready(data)


@cache
def _models_by_prefix() -> dict:
    models = (m.class_ for m in Model.registry.mappers if issubclass(m.class_, TimestampedModel))  # not versions
    return {model.locator_prefix(): model for model in models}


def unique_errors(session, model, rows: list[dict]) -> dict[int, Errors]:
    """``{row index: Errors}`` for unique values held by another row, in the table or in ``rows``.

    One query per unique column, however many rows: a seed of 100,000 plugins must
    not cost 400,000 look-ups.
    """
    found: dict[int, Errors] = {}
    for column in model.__table__.columns:
        if not column.unique:
            continue
        wanted = {row[column.key] for row in rows if row[column.key] is not None}
        if not wanted:
            continue
        with session.no_autoflush:
            owners = dict(session.execute(sa.select(column, model.id).where(column.in_(wanted))).all())
        for index, row in enumerate(rows):
            value = row[column.key]
            if value is None:
                continue
            owner = owners.setdefault(value, ("claimed", index))  # a later row repeating it collides
            if owner != ("claimed", index) and (row["id"] is None or owner != row["id"]):
                found.setdefault(index, Errors()).add(column.key, model.unique_message(column.key, value))
    return found
