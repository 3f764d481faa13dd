"""Planning an import: each document checked through the models' gate, its changes against the
stored plugin, its errors located."""

from __future__ import annotations

import sqlalchemy as sa

from .. import validation
from ..extensions import db
from ..models import PluginData, PluginMeta, prepare_rows
from ..validation import ValidationError, show
from .schema import (
    ABSENT,
    API_VERSION,
    CREATE,
    DATA_FIELDS,
    FIELDS,
    IDENTITY,
    INVALID,
    KINDS,
    UNCHANGED,
    UPDATE,
    Change,
    DocumentPlan,
    ImportPlan,
    ManifestDocument,
    Problem,
    dotted,
    fields_of,
    record_of,
)


def _lookup(data, path: tuple):
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return ABSENT
        data = data[key]
    return data


def _type_name(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    names: dict[type, str] = {dict: "a mapping", list: "a list", str: "a string"}
    return names.get(type(value), "null")


def _string_columns(model) -> set[str]:
    return {c.key for c in model.__table__.columns if isinstance(c.type, sa.String)}


class Planner:
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
        version = data.get("apiVersion", ABSENT)
        if version is ABSENT:
            self.error(("apiVersion",), f"is required ({API_VERSION})")
        elif version != API_VERSION:
            self.error(("apiVersion",), f"{show(version)} is not supported; use {API_VERSION}")
        kind = data.get("kind", ABSENT)
        if kind is ABSENT:
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
            if value is ABSENT or value is None:
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
            if value is ABSENT:
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
            record = record_of(existing, model) if existing else None
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
            record = record_of(existing, model)
            for column, after in row.items():
                if column in IDENTITY or column not in model.__table__.columns:
                    continue
                before = getattr(record, column) if record is not None else None
                if not same_value(before, after):
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


def same_value(a, b) -> bool:
    """Equal as export would write them: key order counts, ``True`` is not ``1``, ``1`` is ``1.0``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(same_value, a, b))
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    return a == b


def plan_import(documents: list[ManifestDocument]) -> ImportPlan:
    """What importing ``documents`` would do; reads the database, writes nothing."""
    plans = [Planner(doc).run() for doc in documents]
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
