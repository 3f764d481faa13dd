"""The plugin domain: a plugin and its three parts (selector, prompt, data)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import validation
from ..catalog import get_catalog
from ..extensions import db
from ..validation import Errors
from .base import TimestampedModel
from .columns import BigId


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
    return mapped_column(BigId, sa.ForeignKey("plugin_meta.id", ondelete="CASCADE"), unique=True, nullable=False)


def _parse(kind, text):
    """A form or CLI string as a number, or the string itself for validate to refuse."""
    try:
        return kind(text.strip())
    except ValueError:
        return text


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
        validation.check_length(errors, "version", v["version"], cls.max_length("version"))
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
        keys = self.row_cache_keys({"id": self.id, "plugin_id": self.plugin_id})
        keys.update(map(self.plugin_key, sa.inspect(self).attrs.plugin_id.history.deleted))  # moved from there
        return keys

    @classmethod
    def row_cache_keys(cls, row: dict) -> set[str]:
        return super().row_cache_keys(row) | {cls.plugin_key(row["plugin_id"])}

    @staticmethod
    def plugin_key(plugin_id) -> str:
        return f"{PluginPrompt.__tablename__}:plugin:{plugin_id}"

    @classmethod
    def get_cached_prompt_by_plugin(cls, plugin, invalidate: bool = False):
        """The prompt of ``plugin`` (a PluginMeta or its id), or None; a warm read issues no SQL."""
        plugin_id = plugin.id if isinstance(plugin, PluginMeta) else plugin
        if not isinstance(plugin_id, int):
            return None

        def load():
            return db.session.scalars(sa.select(cls).filter_by(plugin_id=plugin_id)).first()

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
            validation.check_length(errors, field, v[field], cls.max_length(field))
        return errors

    @classmethod
    def unique_message(cls, field: str, value) -> str:
        return "this plugin already has data"
