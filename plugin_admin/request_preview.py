"""The HTTP request a provider's chat API receives when the chat selects a plugin, built offline.

The builder, ``preview_request``, takes plain values (a prompt's fields; its plugin's id, class and
data fields), so a live record, a form's unsaved values and a stored revision all preview the same
way; ``preview_prompt`` is the one reader, finding the plugin and its data as they are stored now. Where each
value goes differs per provider; that is data (``request_shapes.json``, beside the catalog), and
this module only puts each value where its provider's shape says. Keys are placeholders
(``$OPENAI_API_KEY``): nothing here reads a secret.
"""

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa

from .catalog import Catalog, get_catalog
from .extensions import db
from .models import PluginData, PluginMeta

SHAPES_PATH = Path(__file__).with_name("request_shapes.json")
DEFAULT_MESSAGE = "Hello"
MESSAGE_MAX = 32000
TOOL_PREFIX = "smarter_plugin_"
SYSTEM_PLACES = ("message", "top_level", "system_instruction")
TOOL_FORMATS = ("function", "input_schema", "function_declarations")
_SHELL_SAFE = re.compile(r"^[\w .:/=,;-]*$")  # header text that can sit inside double quotes as is


class MissingPart(ValueError):
    """A part the request needs is absent or unusable; the message names it."""


@dataclass(frozen=True)
class Shape:
    """One provider's request layout, as ``request_shapes.json`` records it."""

    provider: str
    method: str
    url: str
    auth_header: str
    auth_prefix: str
    key_variable: str
    headers: dict
    system: str
    temperature: str
    output_limit: str
    tool_format: str
    schema_leaves_out: tuple[str, ...]
    reasoning_refuses: tuple[str, ...]
    fixed: dict
    model_in_url: bool
    oracle: str
    source: str
    checked: str

    @property
    def citation(self) -> str:
        return f"request shape: {self.provider}, {self.source}, checked {self.checked}"

    def url_for(self, model: str) -> str:
        return self.url.format(model=quote(model, safe="")) if self.model_in_url else self.url

    def request_headers(self) -> dict:
        """The headers, the key as a shell variable the operator fills in."""
        return {
            "Content-Type": "application/json",
            self.auth_header: f"{self.auth_prefix}${self.key_variable}",
            **self.headers,
        }


def parse_shapes(data: dict) -> dict[str, Shape]:
    """Shapes from their JSON; an unknown layout name or unsafe header text fails here, not in a request."""
    shapes = {}
    for key, entry in data["providers"].items():
        auth = entry["auth"]
        shape = Shape(
            provider=key,
            method=entry["method"],
            url=entry["url"],
            auth_header=auth["header"],
            auth_prefix=auth["prefix"],
            key_variable=auth["variable"],
            headers=dict(entry["headers"]),
            system=entry["system"],
            temperature=entry["temperature"],
            output_limit=entry["output_limit"],
            tool_format=entry["tool_format"],
            schema_leaves_out=tuple(entry.get("schema_leaves_out", ())),
            reasoning_refuses=tuple(entry["reasoning_refuses"]),
            fixed=dict(entry["fixed"]),
            model_in_url=bool(entry.get("model_in_url", False)),
            oracle=entry["oracle"],
            source=entry["source"],
            checked=entry["checked"],
        )
        if shape.system not in SYSTEM_PLACES or shape.tool_format not in TOOL_FORMATS:
            raise ValueError(f"request shape {key}: unknown system place or tool format")
        if not all(_SHELL_SAFE.match(text) for text in (shape.auth_prefix, *shape.headers.values())):
            raise ValueError(f"request shape {key}: header text must not need shell quoting")
        shapes[key] = shape
    return shapes


@cache
def get_shapes() -> dict[str, Shape]:
    """The shapes, read from disk on first use only."""
    return parse_shapes(json.loads(SHAPES_PATH.read_text(encoding="utf-8")))


def check_message(message) -> str:
    """The sample user message: blank means the default; NUL and over-long text are refused."""
    text = message.strip() if isinstance(message, str) else ""
    if not text:
        return DEFAULT_MESSAGE
    if "\x00" in text:
        raise ValueError("The message contains a NUL character (\\x00), which a request cannot carry.")
    if len(text) > MESSAGE_MAX:
        raise ValueError(f"The message is {len(text):,} characters; a preview takes at most {MESSAGE_MAX:,}.")
    return text


# --- the plugin as a tool, the Smarter way -------------------------------------------


def tool_name(plugin_id) -> str:
    if isinstance(plugin_id, bool) or not isinstance(plugin_id, int) or plugin_id < 1:
        raise MissingPart("the prompt belongs to no plugin yet, so there is no tool to name")
    return f"{TOOL_PREFIX}{plugin_id:010d}"


def inquiry_types(static_data) -> list[str]:
    """What a static plugin offers as ``inquiry_type``: a mapping's keys; for a list, each item
    (a mapping's first value, with Smarter's key cleaning: no blanks, spaces as underscores)."""
    if isinstance(static_data, Mapping):
        found = [str(key) for key in static_data]
    elif isinstance(static_data, list):
        found = [
            re.sub(r"[\n\r\t]", "", str(next(iter(item.values())))).replace(" ", "_")
            if isinstance(item, Mapping)
            else str(item)
            for item in static_data
            if item is not None and item != {}
        ]
    else:
        found = []
    return list(dict.fromkeys(found))


def declared_parameters(parameters) -> dict:
    """SQL and API plugins: one JSON-schema property per declared parameter, as Smarter recasts them."""
    if parameters is None:
        parameters = []
    if not isinstance(parameters, list):
        raise MissingPart("the plugin data's parameters are not a list, so the tool has no parameters")
    properties, required = {}, []
    for position, parameter in enumerate(parameters, 1):
        name = parameter.get("name") if isinstance(parameter, Mapping) else None
        kind = parameter.get("type") if isinstance(parameter, Mapping) else None
        if not (isinstance(name, str) and name.strip() and isinstance(kind, str) and kind.strip()):
            raise MissingPart(f"parameter {position} of the plugin data has no name or no type")
        if name in properties:
            raise MissingPart(f"parameter {name!r} of the plugin data is declared twice")
        prop = {"type": kind, "description": parameter.get("description") or ""}
        if isinstance(parameter.get("enum"), list) and parameter["enum"]:
            prop["enum"] = parameter["enum"]
        if parameter.get("default") is not None:
            prop["default"] = parameter["default"]
        properties[name] = prop
        if parameter.get("required"):
            required.append(name)
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def smarter_tool(plugin_id, plugin_class, data: Mapping | None) -> dict:
    """The plugin as the Smarter platform offers it to a model (OpenAI function format)."""
    name = tool_name(plugin_id)
    if data is None:
        raise MissingPart("the plugin has no data yet, so its tool has no description and no parameters")
    if plugin_class == "static":
        keys = inquiry_types(data.get("static_data"))
        if not keys:
            raise MissingPart("the plugin's static data is empty, so the tool has no inquiry_type to offer")
        parameters = {
            "type": "object",
            "properties": {"inquiry_type": {"type": "string", "enum": keys}},
            "required": ["inquiry_type"],
        }
    elif plugin_class in ("sql", "api"):
        parameters = declared_parameters(data.get("parameters"))
    else:
        raise MissingPart(f"the plugin class {plugin_class!r} is not static, sql or api")
    return {
        "type": "function",
        "function": {"name": name, "description": data.get("description") or "", "parameters": parameters},
    }


def provider_schema(schema, leave_out: tuple[str, ...] = (), upper_types: bool = False):
    """A tool's JSON schema as a provider takes it: without the keys it does not have, and for
    Gemini with upper-case type names (OpenAPI ``Type``); nested properties and items alike."""
    if not isinstance(schema, Mapping):
        return schema
    out = {}
    for key, value in schema.items():
        if key in leave_out:
            continue
        if key == "type" and upper_types and isinstance(value, str):
            value = value.upper()
        elif key == "properties" and isinstance(value, Mapping):
            value = {name: provider_schema(prop, leave_out, upper_types) for name, prop in value.items()}
        elif key == "items":
            value = provider_schema(value, leave_out, upper_types)
        out[key] = value
    return out


def provider_tools(shape: Shape, tool: dict) -> list:
    """The Smarter tool in the provider's tool format."""
    function = tool["function"]
    upper = shape.tool_format == "function_declarations"
    parameters = provider_schema(function["parameters"], shape.schema_leaves_out, upper)
    if shape.tool_format == "input_schema":
        return [{"name": function["name"], "description": function["description"], "input_schema": parameters}]
    if shape.tool_format == "function_declarations":
        return [{"functionDeclarations": [{**function, "parameters": parameters}]}]
    return [{**tool, "function": {**function, "parameters": parameters}}]


# --- the request ----------------------------------------------------------------------


def _put(body: dict, path: str, value) -> None:
    *parents, leaf = path.split(".")
    for part in parents:
        body = body.setdefault(part, {})
    body[leaf] = value


def _drop(body: dict, path: str) -> None:
    *parents, leaf = path.split(".")
    for part in parents:
        body = body.get(part, {})
    body.pop(leaf, None)


def _place_messages(body: dict, place: str, system_role: str, message: str) -> None:
    if place == "message":
        body["messages"] = [{"role": "system", "content": system_role}, {"role": "user", "content": message}]
    elif place == "top_level":
        body["system"] = system_role
        body["messages"] = [{"role": "user", "content": message}]
    else:  # system_instruction: Gemini, with the role its SDK gives the instruction
        body["contents"] = [{"role": "user", "parts": [{"text": message}]}]
        body["systemInstruction"] = {"role": "user", "parts": [{"text": system_role}]}


def _shape_and_body(prompt: Mapping, plugin_id, plugin_class, data, message: str, catalog: Catalog, shapes):
    provider = catalog.provider(prompt.get("provider"))
    shape = shapes.get(provider.key) if provider else None
    if provider is None or shape is None:
        raise MissingPart(f"the provider {prompt.get('provider')!r} is not in the catalog, so its API is unknown")
    name = prompt.get("model")
    model = provider.find_model(name) if isinstance(name, str) else None
    if model is None:
        raise MissingPart(f"the model {name!r} is not a {provider.key} model in the catalog")
    system_role = prompt.get("system_role")
    if not isinstance(system_role, str) or not system_role.strip():
        raise MissingPart("the prompt has no system role")
    tool = smarter_tool(plugin_id, plugin_class, data)
    body: dict = {} if shape.model_in_url else {"model": name}
    _place_messages(body, shape.system, system_role, message)
    _put(body, shape.temperature, prompt.get("temperature"))
    _put(body, shape.output_limit, prompt.get("max_completion_tokens"))
    body["tools"] = provider_tools(shape, tool)
    body.update(shape.fixed)
    if not model.temperature_adjustable:
        for path in shape.reasoning_refuses:
            _drop(body, path)
    return shape, body


def curl_line(method: str, url: str, headers: Mapping, body: dict) -> str:
    """One shell line: header values in double quotes (the key variable expands), the body in single quotes."""
    parts = ["curl", "-sS", "-X", method, shlex.quote(url)]
    for name, value in headers.items():
        parts += ["-H", f'"{name}: {value}"']
    parts += ["-d", shlex.quote(json.dumps(body, ensure_ascii=False))]
    return " ".join(parts)


def preview_request(
    prompt: Mapping,
    plugin_id,
    plugin_class,
    data: Mapping | None,
    message: str = DEFAULT_MESSAGE,
    catalog: Catalog | None = None,
    shapes: Mapping[str, Shape] | None = None,
) -> dict:
    """``{"provider", "method", "url", "headers", "body", "curl"}``; ``{"provider", "error"}`` when a part is missing.

    ``prompt`` holds a prompt's fields (provider, model, system_role, temperature,
    max_completion_tokens); ``data`` the plugin data's fields, or None when it has none.
    """
    provider = str(prompt.get("provider") or "").strip().lower()
    try:
        shape, body = _shape_and_body(
            prompt, plugin_id, plugin_class, data, message, catalog or get_catalog(), shapes or get_shapes()
        )
    except MissingPart as missing:
        return {"provider": provider, "error": f"No request can be shown: {missing}."}
    url = shape.url_for(prompt["model"])
    headers = shape.request_headers()
    return {
        "provider": shape.provider,
        "method": shape.method,
        "url": url,
        "headers": headers,
        "body": body,
        "curl": curl_line(shape.method, url, headers, body),
    }


def as_json(preview: dict) -> str:
    """The preview as JSON text in its reading order (model, messages, settings, tools), which
    ``jsonify`` would sort away."""
    return json.dumps(preview, ensure_ascii=False)


def preview_prompt(values: Mapping, plugin_id, message: str = DEFAULT_MESSAGE) -> dict:
    """The preview of prompt ``values`` for plugin ``plugin_id`` with its class and data as stored now."""
    plugin = PluginMeta.get_cached_object(pk=plugin_id) if isinstance(plugin_id, int) else None
    if plugin is None:
        return preview_request(values, None, None, None, message)
    data = db.session.scalars(sa.select(PluginData).filter_by(plugin_id=plugin.id)).first()
    return preview_request(values, plugin.id, plugin.plugin_class, data.column_values() if data else None, message)
