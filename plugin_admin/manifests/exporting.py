"""Writing plugins back as manifests that import to the same records."""

from __future__ import annotations

import json

import sqlalchemy as sa
import yaml

from .. import validation
from ..extensions import db
from ..models import PluginMeta
from .schema import API_VERSION, FORMATS, KINDS, OMITTED_WHEN_NULL, fields_of, record_of


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
        record = record_of(plugin, model)
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
    style: str | None
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
