"""Smarter-format plugin manifests (SPEC §4): parse, plan an import, apply it, export.

Public API (the CLI uses it; the admin's import page and export actions can reuse it as is):

    MAX_MANIFEST_BYTES = 1 MiB                      size limit of one file or paste
    load_documents(text, source="<input>") -> list[ManifestDocument]
        ``text`` is str or bytes: YAML, multi-document YAML, or JSON (an object or a list of
        objects; JSON when ``source`` ends in .json or the text starts with { or [).
        Never raises for bad input: parse errors, oversize and bad encodings become errors
        on the returned documents.
    load_path(path) -> list[ManifestDocument]       one file (checks the size before reading)
    load_upload(stream, source) -> list[ManifestDocument]   a file object, e.g. request.files["manifest"]
        (reads at most MAX_MANIFEST_BYTES + 1 bytes)
    manifest_paths(paths) -> list[Path]              files as given; the *.yaml, *.yml, *.json in folders
    plan_import(documents) -> ImportPlan             reads only: per document the action
        (create / update / unchanged / invalid), field-level ``changes``, ``errors``, ``warnings``
    apply(plan) -> ImportPlan                        writes: one transaction per source; a source
        with any error applies nothing; marks ``applied`` and sets ``plugin`` on each document
    find_plugin(ref) -> PluginMeta | None            a plugin name ("Test Plugin" works) or its locator
    manifest(plugin) -> dict
    export_plugin(plugin, fmt="yaml") -> str         fmt "yaml" or "json"
    export_many(plugins, fmt="yaml") -> str          multi-document YAML, or a JSON list
    manifest_filename(plugin, fmt="yaml") -> str     e.g. "everlasting_gobstopper.yaml"

    Problem(path, message, line)    str(): "line 12: spec.prompt.temperature: 3 is above ..."
    Change(path, before, after)     str(): "spec.prompt.temperature: 0.5 -> 1"
    DocumentPlan: document, action, kind, name, changes, errors, warnings, plugin, applied, ok
    ImportPlan: documents, ok, sources() -> {source: [DocumentPlan]}, failed_sources()

A page previews with ``plan_import(load_documents(text, filename))`` and, on confirm, loads and
plans the same text again before ``apply``: a plan holds records of one request's session.

What a manifest means, and how it round-trips:

- A manifest is the whole plugin. A key it leaves out takes the model's default, so importing
  a trimmed manifest resets what it omits (the dry-run diff shows it), and a data part of
  another plugin class is cleared. ``metadata.pluginClass`` may be left out (the kind says it).
- Every value passes the models' clean and validate (the one gate); their
  ``{field: [messages]}`` come back located at manifest paths, with the line where the parser
  knows it (the nearest enclosing key when the key itself is absent).
- The models' cleaning is kept: names become snake_case, descriptions and system roles lose
  surrounding blanks, so a folded ``>`` system role loses its final newline. Export writes
  strings with newlines as literal ``|`` blocks and never wraps lines.
- Values are JSON values (the columns are JSON): unquoted YAML dates such as
  ``release-date: 2024-06-15`` become ISO 8601 strings, which export quotes so they stay
  strings; NaN, infinity, binary, sets and non-string keys are refused.
- Export keeps a fixed key order (SPEC §4's) and the stored order inside free-form data;
  ``metadata.author`` is written only when set; a missing selector or prompt is left out
  (such a manifest is refused on import until the part is added).
- Parsing uses ``yaml.safe_load_all`` (and ``yaml.compose_all`` under ``SafeLoader`` for line
  numbers): no tag can run code; aliases may not expand past ``MAX_VALUES``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
import yaml
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import validation
from ..extensions import db
from ..models import PluginData, PluginMeta, PluginPrompt, PluginSelector, prepare_rows
from ..validation import ValidationError, show

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
"""Model column -> manifest key path, in export order (SPEC §4)."""


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
OMITTED_WHEN_NULL = {("metadata", "author")}
IDENTITY = ("id", "plugin_id", "created_at", "updated_at", "row_version")
"""Columns a manifest never sets: an update keeps them, so hashed ids and locators stay."""
_ABSENT = object()


def fields_of(plugin_class: str | None) -> dict[type, dict[str, tuple]]:
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


# --- loading ------------------------------------------------------------------------------


def _broken(source: str, message: str, line: int | None = None) -> list[ManifestDocument]:
    return [ManifestDocument(source, 1, errors=[Problem("", message, line)])]


def _too_large(size: int, exact: bool = True) -> str | None:
    if size <= MAX_MANIFEST_BYTES:
        return None
    mib = MAX_MANIFEST_BYTES / (1024 * 1024)
    measured = f"is {size:,} bytes" if exact else f"is over {MAX_MANIFEST_BYTES:,} bytes"
    return f"{measured}; a manifest file may be at most {MAX_MANIFEST_BYTES:,} bytes ({mib:g} MiB)"


def load_documents(text: str | bytes, source: str = "<input>") -> list[ManifestDocument]:
    """Parse every manifest in ``text``; problems come back on the documents, never raised."""
    problem = _too_large(len(text.encode("utf-8")) if isinstance(text, str) else len(text))
    if problem:
        return _broken(source, problem)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            return _broken(source, f"is not UTF-8 text (byte {error.start:,} is {text[error.start]:#04x})")
    try:
        if source.lower().endswith(".json") or text.lstrip().startswith(("{", "[")):
            return _load_json(text, source)
        return _load_yaml(text, source)
    except RecursionError:
        return _broken(source, "nests too deeply to be a manifest")


def load_path(path) -> list[ManifestDocument]:
    path = Path(path)
    try:
        problem = _too_large(path.stat().st_size)
        if problem:
            return _broken(str(path), problem)
        content = path.read_bytes()
    except OSError as error:
        return _broken(str(path), f"cannot be read: {error.strerror}")
    return load_documents(content, str(path))


def load_upload(stream, source: str) -> list[ManifestDocument]:
    """An uploaded file: reads at most one byte past the limit, however large the upload."""
    content = stream.read(MAX_MANIFEST_BYTES + 1)
    problem = _too_large(len(content), exact=False)
    return _broken(source, problem) if problem else load_documents(content, source)


def manifest_paths(paths) -> list[Path]:
    """The files to import: each file as given; the manifest files directly inside each folder."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES))
        else:
            found.append(path)
    return found


def _load_yaml(text: str, source: str) -> list[ManifestDocument]:
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
        values = list(yaml.safe_load_all(text))
    except yaml.constructor.ConstructorError as error:  # a tag such as !!python/object: never built
        return _broken(source, f"refused: {error.problem}; a manifest holds plain data only", _line(error))
    except yaml.MarkedYAMLError as error:
        return _broken(source, f"invalid YAML: {error.problem or error.context}", _line(error))
    except yaml.YAMLError as error:
        return _broken(source, f"invalid YAML: {error}")
    except ValueError as error:
        return _broken(source, _unreadable(error))
    documents = [
        _document(source, number, value, node)
        for number, (value, node) in enumerate(zip(values, nodes), start=1)
        if value is not None  # an empty document between two "---"
    ]
    return documents or _broken(source, "holds no manifest")


def _unreadable(error: ValueError) -> str:
    """A scalar YAML or JSON recognised but Python cannot build: a date such as 2024-13-45, or an
    integer of more digits than Python parses (a denial-of-service guard)."""
    return f"holds a value that cannot be read: {str(error).split(';')[0]}"


def _line(error: yaml.MarkedYAMLError) -> int | None:
    mark = error.problem_mark or error.context_mark
    return mark.line + 1 if mark else None


def _load_json(text: str, source: str) -> list[ManifestDocument]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return _broken(source, f"invalid JSON: {error.msg}", error.lineno)
    except ValueError as error:
        return _broken(source, _unreadable(error))
    try:  # JSON is YAML: its node tree gives the lines of keys
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        node = None
    if isinstance(value, list):
        nodes = node.value if isinstance(node, yaml.SequenceNode) else [None] * len(value)
        return [_document(source, n, v, nd) for n, (v, nd) in enumerate(zip(value, nodes), start=1)] or _broken(
            source, "holds no manifest"
        )
    return [_document(source, 1, value, node)]


def _document(source: str, number: int, value, node) -> ManifestDocument:
    doc = ManifestDocument(source, number)
    if node is not None:
        doc.lines[()] = node.start_mark.line + 1
        expanded = _expanded_size(node, {}, set())
        if expanded > MAX_VALUES:
            message = f"holds more than {MAX_VALUES:,} values once its YAML aliases are expanded"
            doc.errors.append(doc.problem((), message))
            return doc
        _walk_lines(doc, node, ())
    doc.data = _json_value(doc, value, ())
    return doc


def _expanded_size(node, sizes: dict, open_nodes: set) -> int:
    """How many values ``node`` stands for with every alias expanded (aliased nodes are shared)."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_nodes:
        return MAX_VALUES + 1  # an alias inside its own anchor: endless once expanded
    open_nodes.add(key)
    size = 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            size += _expanded_size(k, sizes, open_nodes) + _expanded_size(v, sizes, open_nodes)
    elif isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(item, sizes, open_nodes) for item in node.value)
    open_nodes.discard(key)
    sizes[key] = size
    return size


_KEY_KINDS = {"bool": "a boolean (YAML 1.1: yes, no, on, off)", "int": "a number", "float": "a number",
              "null": "null", "timestamp": "a date"}


def _walk_lines(doc: ManifestDocument, node, path: tuple) -> None:
    """Record the line of every key and item.

    A key written twice is an error (YAML would keep the last), and so is a key YAML reads as
    something other than text (JSON, and so the columns, have text keys only).
    """
    if isinstance(node, yaml.MappingNode):
        seen: dict = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            line = key_node.start_mark.line + 1
            if key is not None and key in seen:
                doc.errors.append(
                    Problem(dotted((*path, key)), f"appears twice (first on line {seen[key]}); keep one", line)
                )
            seen.setdefault(key, line)
            doc.lines.setdefault((*path, key), line)
            kind = key_node.tag.rpartition(":")[2]
            if isinstance(key_node, yaml.ScalarNode) and kind not in ("str", "merge"):
                read_as = _KEY_KINDS.get(kind, f"a {kind}")
                doc.errors.append(Problem(dotted((*path, key)), f"is read as {read_as}, not text; quote the key", line))
            _walk_lines(doc, value_node, (*path, key))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            doc.lines[(*path, index)] = item.start_mark.line + 1
            _walk_lines(doc, item, (*path, index))


def _json_value(doc: ManifestDocument, value, path: tuple):
    """``value`` as JSON values (dates as ISO strings); what JSON cannot hold is an error."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        doc.errors.append(doc.problem(path, f"{show(value)} is refused: JSON has no NaN or infinity"))
        return None
    if isinstance(value, dict):
        plain = {}
        for key, item in value.items():
            if isinstance(key, str):  # other keys were reported with their line by _walk_lines
                plain[key] = _json_value(doc, item, (*path, key))
        return plain
    if isinstance(value, list):
        return [_json_value(doc, item, (*path, index)) for index, item in enumerate(value)]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    held = _TAGGED.get(type(value), f"a {type(value).__name__}")
    plain = "a manifest holds only mappings, lists, strings, numbers, booleans and null"
    doc.errors.append(doc.problem(path, f"holds {held}; {plain}"))
    return None


_TAGGED = {bytes: "binary data (!!binary)", set: "a set (!!set)", tuple: "ordered pairs (!!omap, !!pairs)"}
"""What YAML's own tags build that JSON cannot hold."""


# --- planning -----------------------------------------------------------------------------


def _lookup(data, path: tuple):
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return _ABSENT
        data = data[key]
    return data


def _type_name(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return {dict: "a mapping", list: "a list", str: "a string"}.get(type(value), "null")


def _string_columns(model) -> set[str]:
    return {c.key for c in model.__table__.columns if isinstance(c.type, sa.String)}


class _Planner:
    """Checks one document against the manifest's shape, then against the models' rules."""

    def __init__(self, doc: ManifestDocument):
        self.doc = doc
        self.plan = DocumentPlan(document=doc, errors=list(doc.errors))
        self.refused = {problem.path for problem in doc.errors}
        """Paths whose value was refused before the models saw it (they would only repeat it)."""

    def error(self, path: tuple, message: str) -> None:
        self.plan.errors.append(self.doc.problem(path, message))

    def warn(self, path: tuple, message: str) -> None:
        self.plan.warnings.append(self.doc.problem(path, message))

    def run(self) -> DocumentPlan:
        data = self.doc.data
        if data is None and self.plan.errors:  # nothing parsed
            return self.plan
        if not isinstance(data, dict):
            self.error((), f"a manifest is a mapping of apiVersion, kind, metadata and spec, not {_type_name(data)}")
            return self.plan
        plugin_class = self.check_header(data)
        fields = fields_of(plugin_class)
        bad_sections = self.check_sections(data, fields)
        self.warn_unknown_keys(data, plugin_class)
        rows = {
            model: self.row(data, model, columns)
            for model, columns in fields.items()
            if not any(path[: len(s)] == s for s in bad_sections for path in columns.values())
        }
        self.check_rows(rows, plugin_class)
        self.decide(rows)
        self.plan.errors.sort(key=_by_line)
        self.plan.warnings.sort(key=_by_line)
        return self.plan

    def check_header(self, data: dict) -> str | None:
        """apiVersion and kind; returns the plugin class the kind names."""
        version = data.get("apiVersion", _ABSENT)
        if version is _ABSENT:
            self.error(("apiVersion",), f"is required ({API_VERSION})")
        elif version != API_VERSION:
            self.error(("apiVersion",), f"{show(version)} is not supported; use {API_VERSION}")
        kind = data.get("kind", _ABSENT)
        if kind is _ABSENT:
            self.error(("kind",), f"is required (one of {', '.join(KINDS)})")
            return None
        if kind not in KINDS:
            self.error(("kind",), f"{show(kind)} is not one of {', '.join(KINDS)}")
            return None
        self.plan.kind = kind
        return KINDS[kind]

    def check_sections(self, data: dict, fields: dict) -> set[tuple]:
        """Every section holding fields must be a mapping; returns the paths of those that are not."""
        sections = dict.fromkeys(
            path[:end] for columns in fields.values() for path in columns.values() for end in range(1, len(path))
        )
        bad: set[tuple] = set()
        for section in sections:
            if any(section[: len(b)] == b for b in bad):
                continue
            value = _lookup(data, section)
            if value is _ABSENT or value is None:
                self.error(section, "is required")
                bad.add(section)
            elif not isinstance(value, dict):
                self.error(section, f"must be a mapping, not {_type_name(value)}")
                bad.add(section)
        return bad

    def warn_unknown_keys(self, data: dict, plugin_class: str | None) -> None:
        classes = [plugin_class] if plugin_class else list(DATA_FIELDS)
        paths = [("apiVersion",), ("kind",)]
        paths += [p for cls in classes for columns in fields_of(cls).values() for p in columns.values()]
        known: dict[tuple, list] = {}
        for path in paths:
            for end in range(len(path)):
                names = known.setdefault(path[:end], [])
                if path[end] not in names:
                    names.append(path[end])
        for section, names in known.items():
            value = _lookup(data, section)
            for key in value if isinstance(value, dict) else ():
                if key not in names:
                    self.warn((*section, key), f"unknown key; ignored (known here: {', '.join(names)})")

    def row(self, data: dict, model, columns: dict[str, tuple]) -> dict:
        """The model's column values as the manifest sets them; absent keys take the defaults."""
        values = {}
        strings = _string_columns(model)
        for column, path in columns.items():
            value = _lookup(data, path)
            if value is _ABSENT:
                continue
            if column in strings and value is not None and not isinstance(value, str):
                written = repr(value) if isinstance(value, float) else show(value)  # 1.0, not show's "1"
                self.error(path, f"{written} is {_type_name(value)}, not a string; quote it")
                self.refused.add(dotted(path))
                continue
            values[column] = value
        if model is PluginMeta and "plugin_class" not in values and self.plan.kind:
            values["plugin_class"] = KINDS[self.plan.kind]
        return values

    def check_rows(self, rows: dict, plugin_class: str | None) -> None:
        """Clean and validate through the models; locate their errors at manifest paths."""
        existing = self.existing(rows[PluginMeta]) if PluginMeta in rows else None
        self.plan.plugin = existing
        for model, values in rows.items():
            record = existing if model is PluginMeta else getattr(existing, PARTS[model]) if existing else None
            row = {**model().column_values(), **values}
            if record is not None:
                row.update({c: getattr(record, c) for c in IDENTITY if c in row})
            elif existing is not None and "plugin_id" in row:
                row["plugin_id"] = existing.id
            if model is PluginData:
                row["plugin_class"] = plugin_class
            try:
                prepare_rows(db.session, model, [row])
            except ValidationError as error:
                self.locate(model, plugin_class, error)
            rows[model] = row
        if PluginMeta in rows:
            self.check_kind_matches(rows[PluginMeta], plugin_class)
            self.plan.name = rows[PluginMeta]["name"] or None

    def existing(self, meta: dict) -> PluginMeta | None:
        """The plugin this manifest updates: the one with the cleaned name."""
        values = {**PluginMeta().column_values(), **meta}
        PluginMeta.clean_values(values)
        name = values["name"]
        if "name" in meta and name and validation.NAME_RE.match(name) and name != meta["name"]:
            cleaned = f"{show(meta['name'])} is saved as {show(name)} (names are snake_case)"
            self.warn(FIELDS[PluginMeta]["name"], cleaned)
        if not name:
            return None
        return db.session.scalar(sa.select(PluginMeta).filter_by(name=name))

    def locate(self, model, plugin_class: str | None, error: ValidationError) -> None:
        """A model's ``{field: [messages]}`` as errors at manifest paths (skipping values refused already)."""
        columns = fields_of(plugin_class).get(model, {})
        section = _common_prefix(list(columns.values()))
        for column, messages in error.errors.items():
            path = columns.get(column, section)
            if dotted(path) not in self.refused:
                for message in messages:
                    self.error(path, message)

    def check_kind_matches(self, meta: dict, plugin_class: str | None) -> None:
        stated = meta["plugin_class"]
        if plugin_class and stated in validation.PLUGIN_CLASSES and stated != plugin_class:
            self.error(
                FIELDS[PluginMeta]["plugin_class"],
                f"{show(stated)} does not match kind {self.plan.kind}, whose pluginClass is {plugin_class}",
            )

    def decide(self, rows: dict) -> None:
        if self.plan.errors:
            return
        self.plan.rows = rows
        existing = self.plan.plugin
        if existing is None:
            self.plan.action = CREATE
            return
        for model, row in rows.items():
            record = existing if model is PluginMeta else getattr(existing, PARTS[model])
            for column, after in row.items():
                if column in IDENTITY or column not in model.__table__.columns:
                    continue
                before = getattr(record, column) if record is not None else None
                if not _same(before, after):
                    self.plan.changes.append(Change(dotted(_path_of(model, column, row)), before, after))
        self.plan.action = UPDATE if self.plan.changes else UNCHANGED


def _by_line(problem: Problem) -> int:
    return problem.line or 0


def _common_prefix(paths: list[tuple]) -> tuple:
    prefix = paths[0][:-1] if paths else ()
    for path in paths:
        while path[: len(prefix)] != prefix:
            prefix = prefix[:-1]
    return prefix


def _path_of(model, column: str, row: dict) -> tuple:
    """A column's manifest path; a data column of another plugin class is named as that class has it."""
    if model is not PluginData:
        return FIELDS[model][column]
    own = DATA_FIELDS[row["plugin_class"]]
    return own.get(column) or next(paths[column] for paths in DATA_FIELDS.values() if column in paths)


def _same(a, b) -> bool:
    """Equal as export would write them: key order counts, ``True`` is not ``1``, ``1`` is ``1.0``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    return a == b


def plan_import(documents: list[ManifestDocument]) -> ImportPlan:
    """What importing ``documents`` would do; reads the database, writes nothing."""
    plans = [_Planner(doc).run() for doc in documents]
    first: dict[str, DocumentPlan] = {}
    for plan in plans:
        if plan.name is None:
            continue
        earlier = first.setdefault(plan.name, plan)
        if earlier is not plan:
            where = earlier.document
            plan.errors.append(
                plan.document.problem(
                    FIELDS[PluginMeta]["name"],
                    f"{show(plan.name)} is also imported by {where.source} document {where.number}; "
                    "a plugin may appear once per import",
                )
            )
            plan.action, plan.rows, plan.changes = INVALID, {}, []
    return ImportPlan(plans)


# --- applying -----------------------------------------------------------------------------


def apply(plan: ImportPlan) -> ImportPlan:
    """Write every source whose documents are all valid, each source in one transaction.

    The flush re-validates (the models' gate); a conflict with a concurrent writer rolls the
    whole source back and is reported on the document that met it.
    """
    for plans in plan.sources().values():
        if not all(p.ok for p in plans):
            continue
        current = plans[0]
        try:
            for current in plans:
                if current.action in (CREATE, UPDATE):
                    current.plugin = _write(current)
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            planner = _Planner(current.document)
            planner.locate(next(m for m in PARTS if m.__name__ == error.model), KINDS[current.kind], error)
            _fail(plans, current, planner.plan.errors)
        except (IntegrityError, StaleDataError):
            db.session.rollback()
            message = f"{show(current.name)} was changed by someone else during the import; run it again"
            _fail(plans, current, [current.document.problem(FIELDS[PluginMeta]["name"], message)])
        else:
            for p in plans:
                p.applied = p.action in (CREATE, UPDATE)
    return plan


def _fail(plans: list[DocumentPlan], failed: DocumentPlan, errors: list[Problem]) -> None:
    failed.errors.extend(errors)
    for p in plans:
        if p.action == CREATE:
            p.plugin = None  # rolled back: it was never created


def _write(plan: DocumentPlan) -> PluginMeta:
    meta = plan.plugin if plan.action == UPDATE else PluginMeta()  # never an update the plan did not show
    for model, relationship in PARTS.items():
        record = meta if relationship is None else getattr(meta, relationship)
        if record is None:
            record = model()
            setattr(meta, relationship, record)
        for column, value in plan.rows[model].items():
            settable = column not in IDENTITY and column in model.__table__.columns
            if settable and not _same(getattr(record, column), value):
                setattr(record, column, value)
    db.session.add(meta)
    db.session.flush()
    return meta


# --- exporting ----------------------------------------------------------------------------


def find_plugin(ref: str) -> PluginMeta | None:
    """The plugin a name or a plugin locator (``pluginmeta-rMTAwMDAwMQx``) names."""
    found = PluginMeta.get_object_by_locator(ref)
    if found is not None:
        return found
    name = validation.snake_case(ref)
    return db.session.scalar(sa.select(PluginMeta).filter_by(name=name)) if name else None


def manifest(plugin: PluginMeta) -> dict:
    kind = next(k for k, cls in KINDS.items() if cls == plugin.plugin_class)
    document: dict = {"apiVersion": API_VERSION, "kind": kind}
    for model, columns in fields_of(plugin.plugin_class).items():
        relationship = PARTS[model]
        record = plugin if relationship is None else getattr(plugin, relationship)
        if record is None:
            continue
        for column, path in columns.items():
            value = getattr(record, column)
            if value is None and path in OMITTED_WHEN_NULL:
                continue
            section = document
            for key in path[:-1]:
                section = section.setdefault(key, {})
            section[path[-1]] = value
    return document


class _Dumper(yaml.SafeDumper):
    """Block style with indented lists, literal blocks for multi-line text, no anchors."""

    def ignore_aliases(self, data) -> bool:
        return True

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str):
    if any(ch in value for ch in "\x85\u2028\u2029"):  # Unicode line breaks: only escaped text keeps them
        style = '"'
    else:
        style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _dump(documents: list[dict], fmt: str, single: bool) -> str:
    if fmt == "json":
        return json.dumps(documents[0] if single else documents, indent=2, ensure_ascii=False) + "\n"
    if fmt != "yaml":
        raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    return yaml.dump_all(
        documents, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1 << 30, explicit_start=True
    )


def export_plugin(plugin: PluginMeta, fmt: str = "yaml") -> str:
    return _dump([manifest(plugin)], fmt, single=True)


def export_many(plugins, fmt: str = "yaml") -> str:
    """Several plugins in one text: multi-document YAML, or a JSON list (even of one)."""
    return _dump([manifest(p) for p in plugins], fmt, single=False)


def manifest_filename(plugin: PluginMeta, fmt: str = "yaml") -> str:
    return f"{plugin.name}.{fmt}"
