"""Writing plugins back as manifests that import to the same records."""

from __future__ import annotations

import json

import sqlalchemy as sa
import yaml

from .. import validation
from ..catalog import get_catalog
from ..extensions import db
from ..models import PluginMeta, PluginSelector
from .schema import API_VERSION, FIELDS, FORMATS, KINDS, OMITTED_WHEN_NULL, fields_of, record_of

UPSTREAM_PROVIDER = "openai"
UPSTREAM_TEMPERATURE_MAX = 1.0
UPSTREAM_TEXT_MAX = 8192
"""Smarter's limits where ours go further: its one provider, its temperature range 0–1, and the
8,192 characters it allows a system role holding a newline, quote or brace."""


def find_plugin(ref: str) -> PluginMeta | None:
    """The plugin a name or a plugin locator (``pluginmeta-rMTAwMDAwMQx``) names."""
    found = PluginMeta.get_object_by_locator(ref)
    if found is not None:
        return found
    name = validation.normalise_name(ref)
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
            if path == FIELDS[PluginSelector]["search_terms"] and getattr(record, "directive", None) != "search_terms":
                value = None  # Smarter refuses [] beside always or llm; null it reads
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


def upstream_warnings(plugin: PluginMeta) -> list[str]:
    """Where ``plugin`` uses what this app accepts and Smarter refuses (each reads after "Smarter would
    refuse"): what to change before moving it to the platform."""
    found = []
    prompt = plugin.plugin_prompt_plugin
    if prompt is not None:
        provider = get_catalog().provider(prompt.provider)
        if prompt.provider != UPSTREAM_PROVIDER:
            found.append(f"spec.prompt.provider {prompt.provider!r}: it takes only {UPSTREAM_PROVIDER!r}")
        if prompt.temperature > UPSTREAM_TEMPERATURE_MAX:
            found.append(f"spec.prompt.temperature {prompt.temperature:g}: it takes 0 to 1")
        if provider is not None and provider.is_fine_tuned(prompt.model):
            found.append(f"spec.prompt.model {prompt.model!r}: it takes no fine-tuned model")
        role = prompt.system_role or ""
        if len(role) > UPSTREAM_TEXT_MAX and not validation.CLEAN_WITH_SPACES_RE.match(role):
            found.append(
                f"spec.prompt.systemRole of {len(role):,} characters holding a newline, quote or brace:"
                f" it takes at most {UPSTREAM_TEXT_MAX:,} such characters"
            )
    if plugin.plugin_class in ("sql", "api") and plugin.plugin_data_plugin is not None:
        kind = "SqlConnection" if plugin.plugin_class == "sql" else "ApiConnection"
        connection = plugin.plugin_data_plugin.connection
        found.append(f"spec.connection {connection!r} unless its account has a {kind} of that name")
    return found


def _checked(plugin: PluginMeta, text: str) -> str:
    """A YAML document headed by comments naming what Smarter would refuse (import ignores them)."""
    return "".join(f"# Smarter would refuse {warning}\n" for warning in upstream_warnings(plugin)) + text


def export_plugin(plugin: PluginMeta, fmt: str = "yaml", check_upstream: bool = False) -> str:
    """``check_upstream``: YAML only, each warning of ``upstream_warnings`` as a comment above the manifest."""
    text = _dump([manifest(plugin)], fmt, single=True)
    return _checked(plugin, text) if check_upstream and fmt == "yaml" else text


def export_many(plugins, fmt: str = "yaml", check_upstream: bool = False) -> str:
    """Several plugins in one text: multi-document YAML, or a JSON list (even of one)."""
    if fmt == "yaml":
        return "".join(export_plugin(p, fmt, check_upstream) for p in plugins)
    return _dump([manifest(p) for p in plugins], fmt, single=False)


def manifest_filename(plugin: PluginMeta, fmt: str = "yaml") -> str:
    return f"{plugin.name}.{fmt}"
