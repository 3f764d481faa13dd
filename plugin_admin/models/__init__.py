"""The plugin domain: one shared base (the seed's ``TimestampedModel``) and its models.

Every insert and update, whatever path it takes (admin form, CLI, manifest import,
plain ORM), passes ``full_clean`` in the session's ``before_flush`` hook, so a record
that breaks a rule never reaches the database.
"""

from __future__ import annotations

import re
from functools import cache
from datetime import datetime, timezone

import sqlalchemy as sa
from flask import has_request_context, request
from flask_login import UserMixin
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, declared_attr, make_transient_to_detached, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .. import caching, hashing, serialization, validation
from ..catalog import get_catalog
from ..extensions import db
from ..validation import Errors, ValidationError


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(sa.TypeDecorator):
    """Timezone-aware UTC on every backend (SQLite hands back naive datetimes)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
"""BIGINT keys; SQLite only auto-increments a column declared INTEGER."""


class ObjectDoesNotExist(LookupError):
    """Base of every model's ``DoesNotExist``."""


class MultipleObjectsReturned(LookupError):
    """Base of every model's ``MultipleObjectsReturned``."""


class ElapsedSeconds(int):
    """Seconds since ``updated_at`` that can also be called with another reference time."""

    def __new__(cls, updated_at: datetime, reference: datetime | None = None):
        self = super().__new__(cls, _seconds_between(updated_at, reference))
        self.updated_at = updated_at
        return self

    def __call__(self, reference: datetime | None = None) -> int:
        return _seconds_between(self.updated_at, reference)


def _seconds_between(updated_at: datetime, reference: datetime | None) -> int:
    if reference is None:
        reference = utcnow()
    if not isinstance(reference, datetime):
        raise TypeError(f"expected a datetime, not {type(reference).__name__}")
    if reference.tzinfo is None:
        reference = reference.replace(tzinfo=timezone.utc)
    return int(abs((reference - updated_at).total_seconds()))


class TimestampedModel(db.Model):
    """What every record has: timestamps, a version counter, hashed ids, cached reads."""

    __abstract__ = True

    HASH_FLOOR = hashing.HASH_FLOOR
    HASH_PREFIX = hashing.HASH_PREFIX
    HASH_SUFFIX = hashing.HASH_SUFFIX
    DoesNotExist = ObjectDoesNotExist
    MultipleObjectsReturned = MultipleObjectsReturned

    amnesty_urls = ["/healthz", "/readiness", "/favicon.ico", "/robots.txt"]
    """Paths served without a login."""
    cache_expiration = 60
    """Default seconds a cached read lives; ``CACHE_EXPIRATION`` overrides it."""
    json_exclude: tuple[str, ...] = ()
    """Columns ``to_json`` leaves out (secrets)."""

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    row_version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    """Bumped by every UPDATE and checked in its WHERE clause: no lost updates."""

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

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.DoesNotExist = type("DoesNotExist", (ObjectDoesNotExist,), {"__module__": cls.__module__})
        cls.MultipleObjectsReturned = type(
            "MultipleObjectsReturned", (MultipleObjectsReturned,), {"__module__": cls.__module__}
        )

    def __init__(self, **kwargs):
        # Column defaults apply at INSERT; validation runs before it, so apply them now.
        for column in self.__table__.columns:
            if column.key in kwargs or column.key in ("id", "created_at", "updated_at") or column.default is None:
                continue
            default = column.default
            kwargs[column.key] = default.arg(None) if default.is_callable else default.arg
        super().__init__(**kwargs)

    def __repr__(self) -> str:
        return f"<{self.unformatted_class_name} {self.hashed_id if self.id else 'unsaved'}>"

    # --- identity -------------------------------------------------------------------

    @property
    def hashed_id(self) -> str | None:
        return hashing.hashed_id(self.id) if self.id is not None else None

    @property
    def record_locator(self) -> str | None:
        return hashing.record_locator(type(self).__name__, self.id) if self.id is not None else None

    @classmethod
    def id_from_hashed_id(cls, hashed_id) -> int | None:
        return hashing.id_from_hashed_id(hashed_id)

    @classmethod
    def hash_regex(cls) -> re.Pattern:
        return hashing.hash_regex()

    @classmethod
    def find_hash(cls, value) -> str | None:
        return hashing.find_hash(value)

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

    # --- names and state --------------------------------------------------------------

    @property
    def unformatted_class_name(self) -> str:
        return type(self).__name__

    @property
    def formatted_class_name(self) -> str:
        return f"{type(self).__module__}.{type(self).__name__}()"

    @property
    def ready(self) -> bool:
        """Saved, and valid under today's catalog (which may have changed since the save)."""
        return self.id is not None and not self.rule_errors()

    @property
    def formatted_state_ready(self) -> str:
        return "READY"

    @property
    def formatted_state_not_ready(self) -> str:
        return "NOT_READY"

    # --- clean and validate ------------------------------------------------------------

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
                for local, remote in rel.local_remote_pairs:
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

    def full_clean(self) -> None:
        self.clean()
        self.validate()

    # --- serialisation ------------------------------------------------------------------

    @property
    def elapsed_updated(self) -> ElapsedSeconds | None:
        """Whole seconds since ``updated_at``; call it with a datetime to measure from there."""
        return ElapsedSeconds(self.updated_at) if self.updated_at is not None else None

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

    data_to_dict = staticmethod(serialization.data_to_dict)
    sorted_dict = staticmethod(serialization.sorted_dict)
    mask_string = staticmethod(serialization.mask_string)

    @staticmethod
    def build_absolute_uri(req=None) -> str:
        """The absolute URL of ``req`` (the current request by default)."""
        req = req if req is not None else (request if has_request_context() else None)
        if req is None or not getattr(req, "url", None):
            raise ValueError("no request to build an absolute URI from")
        return req.url

    # --- cached reads -----------------------------------------------------------------------

    def cache_keys(self) -> set[str]:
        """Every cache key a change to this record makes stale."""
        return {caching.object_key(type(self), self.id), caching.all_key(type(self))}

    @classmethod
    def _from_cache(cls, values: dict):
        """Attach a cached column dict to the session as a loaded record, without SQL."""
        session = db.session
        existing = session.identity_map.get(sa.inspect(cls).identity_key_from_primary_key([values["id"]]))
        if existing is not None:
            return existing
        obj = sa.inspect(cls).class_manager.new_instance()
        obj.__dict__.update(values)
        make_transient_to_detached(obj)
        session.add(obj)
        return obj

    @classmethod
    def _cacheable(cls, obj) -> bool:
        """Only committed state may be cached: never a record with unflushed or unflushed-over changes."""
        state = sa.inspect(obj)
        return not state.modified and not (obj.cache_keys() & caching.pending_keys(db.session))

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

        return caching.read_through(
            caching.stamped_key(key), compute, invalidate, cacheable=lambda _: all(map(cls._cacheable, loaded))
        )

    @classmethod
    def get_cached_object(cls, invalidate: bool = False, pk=None):
        """The record with primary key ``pk`` (an int), or None; a warm read issues no SQL."""
        if not isinstance(pk, int) or isinstance(pk, bool) or pk < 1:
            return None
        values = cls._cached(caching.object_key(cls, pk), lambda: db.session.get(cls, pk), invalidate)
        return cls._from_cache(values) if values is not None else None

    @classmethod
    def get_cached_objects(cls, invalidate: bool = False) -> list:
        """Every record of this model, ordered by id. Meant for small tables (users, lookups)."""
        load = lambda: db.session.scalars(sa.select(cls).order_by(cls.id)).all()  # noqa: E731
        return [cls._from_cache(v) for v in cls._cached(caching.all_key(cls), load, invalidate)]


def search_indexes(table: str, columns: tuple[str, ...]) -> tuple[sa.Index, ...]:
    """Indexes serving the lists' search (``LIKE '%term%'`` on ``columns``) on either backend.

    PostgreSQL: a trigram index per column. SQLite cannot index such a pattern, so it
    scans; an index of the default order that also holds ``columns`` makes that scan
    read the index alone, in list order, not every row. Each backend's other index is
    an empty partial one (``WHERE`` false) that costs nothing and keeps the schemas alike.
    """
    trigram = tuple(
        sa.Index(f"ix_{table}_{column}_trgm", column, postgresql_using="gin",
                 postgresql_ops={column: "gin_trgm_ops"}, sqlite_where=sa.text("0"))
        for column in columns
    )  # fmt: skip
    scan = sa.Index(f"ix_{table}_search_scan", "updated_at", "id", *columns, postgresql_where=sa.text("false"))
    return (*trigram, scan)


def _plugin_fk():
    return mapped_column(
        BigId, sa.ForeignKey("plugin_meta.id", ondelete="CASCADE"), unique=True, nullable=False
    )


class PluginMeta(TimestampedModel):
    """A plugin: its identity and metadata. Deleting it deletes its selector, prompt and data."""

    __tablename__ = "plugin_meta"
    extra_table_args = search_indexes("plugin_meta", ("name", "description", "author"))
    filtered_columns = ("plugin_class", "version", "author")

    name: Mapped[str] = mapped_column(sa.String(validation.NAME_MAX), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    plugin_class: Mapped[str] = mapped_column(sa.String(16), default="static")
    version: Mapped[str] = mapped_column(sa.String(255), default="1.0.0")
    """The plugin's SemVer version (the row's edit counter is ``row_version``)."""
    tags: Mapped[list] = mapped_column(sa.JSON, default=list)
    annotations: Mapped[list] = mapped_column(sa.JSON, default=list)
    author: Mapped[str | None] = mapped_column(sa.Text, nullable=True)

    plugin_selector_plugin: Mapped[PluginSelector | None] = relationship(
        back_populates="plugin", cascade="all, delete-orphan", uselist=False
    )
    plugin_prompt_plugin: Mapped[PluginPrompt | None] = relationship(
        back_populates="plugin", cascade="all, delete-orphan", uselist=False
    )
    plugin_data_plugin: Mapped[PluginData | None] = relationship(
        back_populates="plugin", cascade="all, delete-orphan", uselist=False
    )

    def __str__(self) -> str:
        return self.name or "new plugin"

    @classmethod
    def clean_values(cls, v: dict) -> None:
        v["name"] = validation.snake_case(v["name"])
        v["description"] = (v["description"] or "").strip()
        v["plugin_class"] = validation.stripped(v["plugin_class"] or "static").lower()
        v["version"] = validation.stripped(v["version"])
        v["tags"] = validation.clean_string_list(v["tags"])
        v["annotations"] = v["annotations"] if v["annotations"] is not None else []
        v["author"] = validation.stripped(v["author"]) or None

    @classmethod
    def check_values(cls, v: dict) -> Errors:
        errors = super().check_values(v)
        validation.check_name(errors, v["name"])
        validation.check_choice(errors, "plugin_class", v["plugin_class"], validation.PLUGIN_CLASSES)
        validation.check_semver(errors, v["version"])
        validation.check_length(errors, "version", v["version"], cls.__table__.c.version.type.length)
        validation.check_string_list(errors, "tags", v["tags"])
        validation.check_annotations(errors, v["annotations"])
        return errors

    @classmethod
    def unique_message(cls, field: str, value) -> str:
        return f"a plugin named {validation.show(value)} already exists (names are unique)"


class PluginSelector(TimestampedModel):
    """When a plugin is invoked: on search terms, always, or when the LLM decides."""

    __tablename__ = "plugin_selector"
    filtered_columns = ("directive",)

    plugin_id: Mapped[int] = _plugin_fk()
    directive: Mapped[str] = mapped_column(sa.String(32), default="search_terms")
    search_terms: Mapped[list] = mapped_column(sa.JSON, default=list)

    plugin: Mapped[PluginMeta] = relationship(back_populates="plugin_selector_plugin")

    def __str__(self) -> str:
        return f"selector of {self.plugin}" if self.plugin_id else "new selector"

    @classmethod
    def clean_values(cls, v: dict) -> None:
        v["directive"] = validation.stripped(v["directive"] or "search_terms").lower()
        v["search_terms"] = validation.clean_string_list(v["search_terms"])

    @classmethod
    def check_values(cls, v: dict) -> Errors:
        errors = super().check_values(v)
        validation.check_selector(errors, v["directive"], v["search_terms"])
        return errors

    @classmethod
    def unique_message(cls, field: str, value) -> str:
        return "this plugin already has a selector"


class PluginPrompt(TimestampedModel):
    """How a plugin talks to its model: provider, model, system role, temperature, token limit."""

    __tablename__ = "plugin_prompt"
    extra_table_args = (sa.Index("ix_plugin_prompt_provider_model", "provider", "model"),)
    filtered_columns = ("provider", "model")

    plugin_id: Mapped[int] = _plugin_fk()
    provider: Mapped[str] = mapped_column(sa.String(64), default="openai")
    system_role: Mapped[str] = mapped_column(sa.Text, default="You are a helpful assistant.")
    model: Mapped[str] = mapped_column(sa.String(validation.MODEL_MAX), default="gpt-4o-mini")
    temperature: Mapped[float] = mapped_column(sa.Float, default=0.5, index=True)
    max_completion_tokens: Mapped[int] = mapped_column(sa.Integer, default=2048, index=True)

    plugin: Mapped[PluginMeta] = relationship(back_populates="plugin_prompt_plugin")

    def __str__(self) -> str:
        return f"prompt of {self.plugin}" if self.plugin_id else "new prompt"

    @classmethod
    def clean_values(cls, v: dict) -> None:
        v["provider"] = validation.stripped(v["provider"] or "").lower()
        v["model"] = validation.stripped(v["model"])
        v["system_role"] = validation.stripped(v["system_role"])
        if isinstance(v["temperature"], str):
            v["temperature"] = _parse(float, v["temperature"])
        if isinstance(v["max_completion_tokens"], str):
            v["max_completion_tokens"] = _parse(int, v["max_completion_tokens"])

    @classmethod
    def check_values(cls, v: dict) -> Errors:
        errors = super().check_values(v)
        validation.check_prompt(
            errors,
            get_catalog(),
            v["provider"],
            v["model"],
            v["temperature"],
            v["max_completion_tokens"],
            v["system_role"],
        )
        return errors

    @classmethod
    def unique_message(cls, field: str, value) -> str:
        return "this plugin already has a prompt"

    def cache_keys(self) -> set[str]:
        keys = super().cache_keys()
        history = sa.inspect(self).attrs.plugin_id.history
        for plugin_id in (self.plugin_id, *history.deleted):
            keys.add(self.plugin_key(plugin_id))
        return keys

    @staticmethod
    def plugin_key(plugin_id) -> str:
        return f"{PluginPrompt.__tablename__}:plugin:{plugin_id}"

    @classmethod
    def get_cached_prompt_by_plugin(cls, plugin, invalidate: bool = False):
        """The prompt of ``plugin`` (a PluginMeta or its id), or None; a warm read issues no SQL."""
        plugin_id = plugin.id if isinstance(plugin, PluginMeta) else plugin
        if not isinstance(plugin_id, int):
            return None
        load = lambda: db.session.scalars(sa.select(cls).filter_by(plugin_id=plugin_id)).first()  # noqa: E731
        values = cls._cached(cls.plugin_key(plugin_id), load, invalidate)
        return cls._from_cache(values) if values is not None else None


class PluginData(TimestampedModel):
    """The data part of a plugin's manifest; which fields apply depends on the plugin class."""

    __tablename__ = "plugin_data"
    filtered_columns = ("connection", "method")

    plugin_id: Mapped[int] = _plugin_fk()
    description: Mapped[str] = mapped_column(sa.Text, default="")
    static_data: Mapped[dict | list | None] = mapped_column(sa.JSON, nullable=True)
    connection: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    sql_query: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    endpoint: Mapped[str | None] = mapped_column(sa.String(2048), nullable=True)
    method: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    url_params: Mapped[list | dict | None] = mapped_column(sa.JSON, nullable=True)
    headers: Mapped[list | dict | None] = mapped_column(sa.JSON, nullable=True)
    body: Mapped[list | dict | None] = mapped_column(sa.JSON, nullable=True)
    parameters: Mapped[list | None] = mapped_column(sa.JSON, nullable=True)
    test_values: Mapped[list | None] = mapped_column(sa.JSON, nullable=True)
    limit: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)

    plugin: Mapped[PluginMeta] = relationship(back_populates="plugin_data_plugin")

    def __str__(self) -> str:
        return f"data of {self.plugin}" if self.plugin_id else "new plugin data"

    @property
    def plugin_class(self) -> str | None:
        return self.plugin.plugin_class if self.plugin is not None else None

    def rule_values(self) -> dict:
        return {**super().rule_values(), "plugin_class": self.plugin_class}

    @classmethod
    def clean_values(cls, v: dict) -> None:
        v["description"] = (v["description"] or "").strip()
        for field in ("connection", "sql_query", "endpoint"):
            v[field] = validation.stripped(v[field]) or None
        v["method"] = validation.stripped(v["method"]).upper() if v["method"] else None

    @classmethod
    def check_values(cls, v: dict) -> Errors:
        errors = super().check_values(v)
        if v["plugin_class"] is None:
            errors.add("plugin", "is required")
        else:
            validation.check_plugin_data(errors, v["plugin_class"], v)
        for field in ("connection", "endpoint"):
            validation.check_length(errors, field, v[field], cls.__table__.c[field].type.length)
        return errors

    @classmethod
    def unique_message(cls, field: str, value) -> str:
        return "this plugin already has data"


class User(UserMixin, TimestampedModel):
    """An operator who logs in; the role decides what they may change."""

    __tablename__ = "user_account"
    json_exclude = ("password_hash",)

    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16), default="viewer")
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)

    def __str__(self) -> str:
        return self.username

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    def get_id(self) -> str:
        """The session remembers the hashed id, like every other place that names a record."""
        return self.hashed_id

    def set_password(self, password: str) -> None:
        if not password or len(password) < 8:
            raise ValidationError({"password": ["must be at least 8 characters"]}, model="User")
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def can(self, role: str) -> bool:
        """Whether this user holds ``role`` or a stronger one."""
        return validation.ROLES.index(self.role) >= validation.ROLES.index(role)

    @classmethod
    def clean_values(cls, v: dict) -> None:
        v["username"] = validation.stripped(v["username"])
        v["role"] = validation.stripped(v["role"] or "").lower()

    @classmethod
    def check_values(cls, v: dict) -> Errors:
        errors = super().check_values(v)
        if not isinstance(v["username"], str) or not re.fullmatch(r"[A-Za-z0-9_.@-]{1,80}", v["username"]):
            errors.add("username", f"{validation.show(v['username'])} must be 1–80 letters, digits or _ . @ -")
        validation.check_choice(errors, "role", v["role"], validation.ROLES)
        if not v["password_hash"]:
            errors.add("password", "is required")
        return errors


@cache
def _models_by_prefix() -> dict:
    return {m.class_.locator_prefix(): m.class_ for m in db.Model.registry.mappers}


def _parse(kind, text):
    """A form or CLI string as a number, or the string itself for validate to refuse."""
    try:
        return kind(text.strip())
    except ValueError:
        return text


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


def prepare_rows(session, model, rows: list[dict], now: datetime | None = None) -> None:
    """Stamp, clean and validate rows of ``model`` in place; raise for the first invalid one.

    The one gate every write passes: flushes send their records through it (via
    ``prepare_writes``) and bulk loaders (the seed) their plain rows.
    """
    now = now or utcnow()
    for row in rows:
        row["created_at"] = row["created_at"] or now
        row["updated_at"] = now
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
            for record, row in zip(group, rows):
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
