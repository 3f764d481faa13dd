"""What a Smarter manifest holds: its kinds, its fields and where each lands in the models, and the
results of reading one."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import PluginData, PluginMeta, PluginPrompt, PluginSelector, TimestampedModel
from ..validation import show

API_VERSION = "smarter.sh/v1"
KINDS = {"Plugin": "static", "SqlPlugin": "sql", "ApiPlugin": "api"}
MAX_MANIFEST_BYTES = 1024 * 1024
MAX_VALUES = 100_000
"""Values (keys, items, scalars) one document may hold once YAML aliases are expanded."""
SUFFIXES = (".yaml", ".yml", ".json")
FORMATS = ("yaml", "json")

CREATE, UPDATE, UNCHANGED, INVALID = "create", "update", "unchanged", "invalid"


def _fields(section: tuple, **keys) -> dict[str, tuple]:
    return {column: (*section, key) for column, key in keys.items()}


_SPEC = ("spec",)
FIELDS = {
    PluginMeta: _fields(
        ("metadata",),
        name="name",
        description="description",
        version="version",
        tags="tags",
        annotations="annotations",
        plugin_class="pluginClass",
        author="author",
    ),
    PluginSelector: _fields((*_SPEC, "selector"), directive="directive", search_terms="searchTerms"),
    PluginPrompt: _fields(
        (*_SPEC, "prompt"),
        provider="provider",
        system_role="systemRole",
        model="model",
        temperature="temperature",
        max_completion_tokens="maxTokens",
    ),
}
"""Model column -> manifest key path, in export order (the Smarter manifest format's)."""


def _sql_or_api_fields(section: str, **keys) -> dict[str, tuple]:
    """``spec.connection`` beside a ``sqlData``/``apiData`` section; ``keys`` go after its description."""
    return {
        "connection": (*_SPEC, "connection"),
        **_fields(
            (*_SPEC, section),
            description="description",
            **keys,
            parameters="parameters",
            test_values="testValues",
            limit="limit",
        ),
    }


DATA_FIELDS = {
    "static": _fields((*_SPEC, "data"), description="description", static_data="staticData"),
    "sql": _sql_or_api_fields("sqlData", sql_query="sqlQuery"),
    "api": _sql_or_api_fields(
        "apiData", endpoint="endpoint", method="method", url_params="urlParams", headers="headers", body="body"
    ),
}
"""The data part's columns per plugin class (``spec.connection`` sits beside ``sqlData``/``apiData``)."""
PARTS = {
    PluginMeta: None,
    PluginSelector: "plugin_selector_plugin",
    PluginPrompt: "plugin_prompt_plugin",
    PluginData: "plugin_data_plugin",
}
"""Each model of a manifest and the plugin's relationship to it."""


def record_of(plugin: PluginMeta, model: type[TimestampedModel]) -> TimestampedModel | None:
    """The plugin itself, or its part of ``model`` (None when it has none)."""
    relationship = PARTS[model]
    return plugin if relationship is None else getattr(plugin, relationship)


OMITTED_WHEN_NULL = {("metadata", "author")}
IDENTITY = ("id", "plugin_id", "created_at", "updated_at", "row_version", "revision", "changed_by")
"""Columns a manifest never sets: an update keeps them, so hashed ids and locators stay."""
ABSENT = object()


def fields_of(plugin_class: str | None) -> dict[type[TimestampedModel], dict[str, tuple]]:
    """Column -> path per model for a plugin class (without the data part if the class is unknown)."""
    found = dict(FIELDS)
    if plugin_class in DATA_FIELDS:
        found[PluginData] = DATA_FIELDS[plugin_class]
    return found


def dotted(path) -> str:
    """``("spec", "sqlData", "parameters", 1, "name")`` -> ``spec.sqlData.parameters[1].name``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """An error or warning located at a manifest path (``""`` for the whole document)."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.path}: {self.message}" if self.path else f"{where}{self.message}"


@dataclass(frozen=True)
class Change:
    path: str
    before: object
    after: object

    def __str__(self) -> str:
        return f"{self.path}: {show(self.before)} -> {show(self.after)}"


@dataclass
class ManifestDocument:
    """One parsed manifest: its data (JSON values), where it came from, and the lines of its keys."""

    source: str
    number: int
    """1-based position in its source."""
    data: object = None
    lines: dict[tuple, int] = field(default_factory=dict, repr=False)
    errors: list[Problem] = field(default_factory=list)

    def line_of(self, path: tuple) -> int | None:
        """The line of ``path``, or of its nearest enclosing key the parser saw."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def problem(self, path: tuple, message: str) -> Problem:
        return Problem(dotted(path), message, self.line_of(path))


@dataclass
class DocumentPlan:
    """What importing one document will do (or, after ``apply``, did)."""

    document: ManifestDocument
    action: str = INVALID
    kind: str | None = None
    name: str | None = None
    """The plugin's name as stored (cleaned to snake_case)."""
    changes: list[Change] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    plugin: PluginMeta | None = None
    """The existing plugin when planned; the written one after ``apply``."""
    applied: bool = False
    rows: dict = field(default_factory=dict, repr=False)
    """Cleaned, validated column values per model: what ``apply`` writes."""

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportPlan:
    documents: list[DocumentPlan]

    @property
    def ok(self) -> bool:
        return all(d.ok for d in self.documents)

    def sources(self) -> dict[str, list[DocumentPlan]]:
        """Documents grouped by source, in order: the unit that applies whole or not at all."""
        grouped: dict[str, list[DocumentPlan]] = {}
        for plan in self.documents:
            grouped.setdefault(plan.document.source, []).append(plan)
        return grouped

    def failed_sources(self) -> list[str]:
        return [source for source, plans in self.sources().items() if not all(p.ok for p in plans)]
