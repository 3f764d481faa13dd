"""The rules every write must pass, as functions of plain values.

Models call these from the write gate (``clean_values``/``check_values``); nothing else
decides what is valid.
Each function returns the value it normalised and appends messages to an ``Errors``.
A message names the value, the rule and where the rule comes from; the field is the key.
"""

import json
import math
import re
import unicodedata
from collections.abc import Mapping

from .catalog import Catalog, Provider
from .serialization import depth_problem

NAME_RE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
PLUGIN_CLASSES = ("static", "sql", "api")
DIRECTIVES = ("search_terms", "always", "llm")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ROLES = ("viewer", "editor", "admin")
NAME_MAX = 255
"""The name column's width; a name itself may be at most ``NAME_LIMIT`` characters."""
NAME_LIMIT = 50
ENDPOINT_MAX = 255
ANNOTATION_TEXT_MAX = 2048
SQL_LIMIT_MIN, API_LIMIT_MIN = 1, 2
DEFAULT_LIMIT = 100
PARAMETER_TYPES = ("string", "number", "integer", "boolean", "object", "array", "null")
SMARTER = "Smarter's rule"
CLEAN_WITH_SPACES_RE = re.compile(r"^[\w \-.~:/?#\[\]@!$&'()*+,;=%]*$")
CLEAN_WITH_SPACES = "letters, digits, spaces and _ - . ~ : / ? # [ ] @ ! $ & ' ( ) * + , ; = %"
CLEAN_STRING_RE = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)(?:\.[A-Za-z0-9_-]{1,63})*$")
CLEAN_STRING = "dot-separated labels of 1 to 63 ASCII letters, digits, _ and -, not starting with -"
ANNOTATION_KEY_RE = re.compile(r"^[A-Za-z0-9._/-]+$")
ENDPOINT_RE = re.compile(r"^/(?:[A-Za-z0-9_/{}-]*/)?$")
HEADER_NAME_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$")
HEADER_VALUE_RE = re.compile(r"^[\t\x20-\x7e\x80-\xff]*$")
PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
MODEL_MAX = 255
SYSTEM_ROLE_MAX = 32000
INTEGER_MAX = 2**31 - 1
OURS = "this admin's rule"
"""A rule of this admin's own, stricter than the Smarter platform's (each message says why)."""
SEMVER = "SemVer 2.0.0, semver.org"
COLUMN = "the size of its database column"


class ValidationError(ValueError):
    """All of a record's field errors at once: ``errors`` maps field -> [messages]."""

    def __init__(self, errors: Mapping[str, list[str]], model: str | None = None):
        self.errors = {field: list(messages) for field, messages in errors.items()}
        self.model = model
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.model}: " if self.model else ""
        return where + "; ".join(f"{f}: {m}" for f, msgs in self.errors.items() for m in msgs)


class Errors(dict):
    """``{field: [messages]}``, collected rule by rule."""

    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)


def show(value) -> str:
    """A value as a message quotes it: short, and never a wall of text."""
    try:
        text = f"{value:g}" if isinstance(value, float) else repr(value)
    except RecursionError:
        return "a value nested too deeply to show"
    return text if len(text) <= 80 else text[:77] + "..."


def a_or_an(word: str) -> str:
    """The article before ``word``, by its first letter (right for every provider name in the catalog)."""
    return "an" if word[:1].lower() in "aeiou" else "a"


def _number(value: float) -> str:
    return f"{value:g}"


# --- normalising -------------------------------------------------------------------


def normalise_name(value) -> str:
    """A plugin name as Smarter stores it: ``Weather Bot`` -> ``weather_bot``, ``weather.bot`` -> ``weatherbot``.

    Accents become ASCII (other non-ASCII goes), letters lower-case, punctuation other than
    ``_`` goes, runs of spaces and hyphens become one ``_``, ``_`` and ``-`` are trimmed.
    """
    text = unicodedata.normalize("NFKD", str(value or "").strip()).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[ -]+", "_", re.sub(r"[^a-z0-9 _-]", "", text)).strip("_-")
    return re.sub(r"_+", "_", text)


def clean_name(value):
    """The stored form of a name that passes Smarter's rules; any other value is kept for ``check_name``."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if len(text) <= NAME_LIMIT and CLEAN_WITH_SPACES_RE.match(text) and normalise_name(text):
        return normalise_name(text)
    return text


def stripped(value):
    return value.strip() if isinstance(value, str) else value


def clean_tags(value):
    """Tags are stripped and kept as a set (the first of repeated tags stays); other shapes go to validate."""
    if value is None:
        return []
    if isinstance(value, list):
        return list(dict.fromkeys(v.strip() if isinstance(v, str) else v for v in value))
    return value


def clean_annotations(value):
    """Annotations given as JSON text are parsed first, as Smarter does; null is no annotations."""
    if value is None:
        return []
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def as_text(value):
    """Item values Smarter keeps as text: numbers and booleans as JSON writes them; anything else as is."""
    if isinstance(value, (bool, int, float)):
        return json.dumps(value)
    return value


def whole_number(value):
    """A form, CLI or manifest digit string as its number; any other value is kept for validate."""
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value.strip())
    return value


def clean_items(value, keys: dict[str, tuple]):
    """Item lists as Smarter keeps them: only the keys an item defines, text values as text.

    ``keys`` maps each key to (required, as_text, default-when-absent).
    """
    if not isinstance(value, list):
        return value
    cleaned = []
    for item in value:
        if not isinstance(item, Mapping):
            cleaned.append(item)
            continue
        row = {}
        for key, (_required, text, default) in keys.items():
            if key in item:
                row[key] = as_text(item[key]) if text else item[key]
            elif default is not None:
                row[key] = default
        cleaned.append(row)
    return cleaned


PARAMETER_KEYS = {
    "name": (True, False, None),
    "type": (True, False, None),
    "description": (False, False, None),
    "required": (False, False, False),
    "enum": (False, False, None),
    "default": (False, True, None),
}
TEST_VALUE_KEYS = {"name": (True, False, None), "value": (True, True, None)}
HEADER_KEYS = {"name": (True, False, None), "value": (True, True, None)}
URL_PARAM_KEYS = {"key": (True, False, None), "value": (True, True, None)}
ITEM_KEYS: dict[str, dict[str, tuple]] = {
    "parameters": PARAMETER_KEYS,
    "test_values": TEST_VALUE_KEYS,
    "headers": HEADER_KEYS,
}
ITEM_KEYS["url_params"] = URL_PARAM_KEYS
"""The keys of each item list's items, as Smarter defines them (others are dropped)."""


# --- checks ------------------------------------------------------------------------


def _first_refused(value: str, pattern: re.Pattern) -> str:
    """The first character of ``value`` that a one-class ``pattern`` refuses, for the message."""
    return next((ch for ch in value if not pattern.match(ch)), "")


def check_name(errors: Errors, value) -> None:
    if not value:
        errors.add("name", f"is required ({OURS}: at most {NAME_LIMIT} characters of {CLEAN_WITH_SPACES})")
    elif not isinstance(value, str):
        errors.add("name", f"{show(value)} is not a string")
    elif len(value) > NAME_LIMIT:
        errors.add("name", f"is {len(value)} characters; the limit is {NAME_LIMIT} ({SMARTER})")
    elif not CLEAN_WITH_SPACES_RE.match(value):
        bad = show(_first_refused(value, CLEAN_WITH_SPACES_RE))
        errors.add("name", f"{show(value)} holds {bad}; a name holds only {CLEAN_WITH_SPACES} ({SMARTER})")
    elif not NAME_RE.match(value):
        errors.add("name", f"{show(value)} has no letter or digit to make a name of ({SMARTER})")


def check_choice(errors: Errors, field: str, value, choices, source: str = OURS) -> None:
    if value not in choices:
        errors.add(field, f"{show(value)} is not one of {', '.join(choices)} ({source})")


def check_semver(errors: Errors, value) -> None:
    if not isinstance(value, str) or not SEMVER_RE.match(value):
        errors.add("version", f"{show(value)} is not a SemVer version MAJOR.MINOR.PATCH ({SEMVER})")


def check_text(errors: Errors, field: str, value) -> None:
    """Text PostgreSQL can store: no NUL character (SQLite would keep it, PostgreSQL refuses the row)."""
    if isinstance(value, str) and "\x00" in value:
        position = value.index("\x00") + 1
        errors.add(field, f"contains a NUL character (\\x00, at position {position}), which text cannot hold")


def check_depth(errors: Errors, field: str, value) -> None:
    """Structured values no deeper than ``serialization.MAX_DEPTH`` (deeper ones break readers and writers)."""
    problem = depth_problem(value)
    if problem:
        errors.add(field, problem)


def check_length(errors: Errors, field: str, value, limit: int | None, rule: str = COLUMN) -> None:
    """Text longer than its column (or ``rule``) allows (PostgreSQL would refuse the row; SQLite keep it)."""
    if field not in errors and isinstance(value, str) and limit is not None and len(value) > limit:
        errors.add(field, f"is {len(value):,} characters; the limit is {limit:,} ({rule})")


def check_terms(errors: Errors, field: str, value, what: str) -> None:
    """Tags and search terms: lists of strings Smarter calls clean-with-spaces, none blank."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.add(field, f"{show(value)} is not a list of strings ({OURS})")
        return
    for index, term in enumerate(value):
        if not term:
            errors.add(field, f"[{index}] '' is empty; a {what} needs a letter or digit ({SMARTER})")
        elif not term.strip():
            errors.add(
                field,
                f"[{index}] {show(term)} is blank; a {what} needs a letter or digit (Smarter would accept"
                " spaces only, which match nothing)",
            )
        elif not CLEAN_WITH_SPACES_RE.match(term):
            bad = show(_first_refused(term, CLEAN_WITH_SPACES_RE))
            message = f"[{index}] {show(term)} holds {bad}; a {what} holds only {CLEAN_WITH_SPACES}"
            errors.add(field, f"{message} ({SMARTER})")


def check_annotations(errors: Errors, value) -> None:
    """A list of mappings (an item may hold several keys) of named, non-null values."""
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        errors.add("annotations", f"{show(value)} is not a list of mappings ({OURS})")
        return
    for index, item in enumerate(value):
        for key, note in item.items():
            if not isinstance(key, str) or not ANNOTATION_KEY_RE.match(key):
                message = f"key {show(key)} holds other than letters, digits and . _ / -"
            elif note is None:
                message = f"{key} is null; an annotation needs a value"
            elif isinstance(note, str) and len(note) > ANNOTATION_TEXT_MAX:
                message = f"{key} is {len(note):,} characters; the limit is {ANNOTATION_TEXT_MAX:,}"
            else:
                continue
            errors.add("annotations", f"[{index}] {message} ({SMARTER})")


def check_selector(errors: Errors, directive, search_terms) -> None:
    check_choice(errors, "directive", directive, DIRECTIVES)
    check_terms(errors, "search_terms", search_terms, "search term")
    if "search_terms" in errors:
        return
    if directive == "search_terms" and not search_terms:
        errors.add(
            "search_terms",
            f"are required when the directive is search_terms ({OURS}; Smarter would accept an empty list, "
            "but a plugin with no search terms is never selected)",
        )
    elif directive in DIRECTIVES and directive != "search_terms" and search_terms:
        errors.add("search_terms", f"must be empty when the directive is {directive} ({OURS}, {SMARTER})")


def _real(errors: Errors, field: str, value) -> float | None:
    """``value`` as a finite float, or None with a message."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        errors.add(field, f"{show(value)} is not a number")
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float
        errors.add(field, f"{show(value)} is too large to be a {field}")
        return None
    if not math.isfinite(number):
        errors.add(field, f"{show(value)} is not a finite number (NaN and infinity are refused)")
        return None
    return number


def default_temperature(catalog: Catalog, provider, model, otherwise: float) -> float:
    """An omitted temperature: a fixed-temperature model's own default, else ``otherwise``."""
    entry = catalog.model(provider, model)
    known = catalog.provider(provider)
    if known is not None and entry is not None and not entry.temperature_adjustable:
        return known.temperature_default
    return otherwise


def check_prompt(errors: Errors, catalog: Catalog, provider, model, temperature, max_completion_tokens, system_role):
    """The prompt rules, with the limits of providers and models taken from the catalog.

    Every field is checked even when another is wrong: without a known provider or model the
    temperature and token limit are held to the widest bounds that could still apply, so a
    person sees all of a prompt's problems at once rather than one per save.
    """
    known = catalog.provider(provider)
    if known is None:
        owners = [p.key for p in catalog.providers.values() if isinstance(model, str) and p.find_model(model)]
        hint = f"; {model} is a model of {' and '.join(owners)}" if owners else ""
        errors.add(
            "provider",
            f"{show(provider)} is not a provider in the catalog; known: {', '.join(catalog.providers)}{hint} (catalog)",
        )
    entry = _check_model(errors, known, model)
    _check_temperature(errors, catalog, known, entry, temperature)
    _check_max_tokens(errors, catalog, known, entry, max_completion_tokens)
    if not isinstance(system_role, str) or not system_role.strip():
        errors.add(
            "system_role",
            f"is required and may not be blank ({OURS}; Smarter would accept a whitespace-only one, "
            "which gives the model no instructions)",
        )
    elif len(system_role) > SYSTEM_ROLE_MAX:
        errors.add(
            "system_role",
            f"is {len(system_role)} characters; the limit is {SYSTEM_ROLE_MAX:,} ({OURS}; Smarter would accept"
            " longer text free of newlines, quotes and braces, but one cap holds for any text here)",
        )


def _check_model(errors: Errors, provider: Provider | None, model):
    if not isinstance(model, str) or not model:
        errors.add("model", "is required")
        return None
    if len(model) > MODEL_MAX:
        errors.add("model", f"is {len(model)} characters; the limit is {MODEL_MAX} ({COLUMN})")
        return None
    if provider is None:
        return None
    refused = provider.unservable.get(model)
    if refused is not None:
        errors.add(
            "model",
            f"{show(model)} is refused: it is {refused.reason}, so it cannot answer a plugin's chat prompt "
            f"(Smarter lists it among its chat models; {refused.citation})",
        )
        return None
    entry = provider.find_model(model)
    if entry is None:
        errors.add(
            "model",
            f"{show(model)} is not {a_or_an(provider.display_name)} {provider.display_name} model in the catalog;"
            f" closest: "
            f"{', '.join(provider.suggestions(model))} ({provider.citation})",
        )
    return entry


def _check_temperature(errors: Errors, catalog: Catalog, provider: Provider | None, model, temperature) -> None:
    value = _real(errors, "temperature", temperature)
    if value is None:
        return
    if provider is None:
        lo = min(p.temperature_min for p in catalog.providers.values())
        hi = max(p.temperature_max for p in catalog.providers.values())
        if not lo <= value <= hi:
            errors.add("temperature", f"{_number(value)} is outside every provider's range (widest {lo:g}–{hi:g})")
        return
    if model is not None and not model.temperature_adjustable:
        if value != provider.temperature_default:
            errors.add(
                "temperature",
                f"{_number(value)} is refused: {model.name} accepts only its default temperature "
                f"{_number(provider.temperature_default)}; leave it out to get it (Smarter would accept "
                f"{_number(value)}, having no per-model rule, but the provider would refuse the request; "
                f"{model.citation}; {provider.citation})",
            )
        return
    lo, hi = provider.temperature_min, provider.temperature_max
    if not lo <= value <= hi:
        side = "above" if value > hi else "below"
        errors.add(
            "temperature",
            f"{_number(value)} is {side} {provider.key}'s range {_number(lo)}–{_number(hi)} ({provider.citation})",
        )


def _whole_number_refused(value) -> str:
    return (
        f"{show(value)} is not a whole number (Smarter would read {show(value)} as a number; "
        "here a count is written as one, so a slip such as 2.5 or true is not silently cut)"
    )


def _check_max_tokens(errors: Errors, catalog: Catalog, provider: Provider | None, model, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        message = _whole_number_refused(value) if isinstance(value, (bool, float)) else None
        errors.add("max_completion_tokens", message or f"{show(value)} is not a whole number")
        return
    if value < 1:
        errors.add("max_completion_tokens", f"{value} is below the minimum 1 (a reply has at least one token)")
    elif model is not None and value > model.max_output_tokens:
        errors.add(
            "max_completion_tokens",
            f"{value:,} is above {model.name}'s maximum output of {model.max_output_tokens:,} tokens"
            f" (Smarter would accept it, having no upper bound, but the provider would refuse the request;"
            f" {model.citation})",
        )
    elif model is None:
        models = (
            provider.models if provider else {m.name: m for p in catalog.providers.values() for m in p.models.values()}
        )
        largest = max(m.max_output_tokens for m in models.values())
        if value > largest:
            whose = f"any {provider.key} model" if provider else "any model in the catalog"
            errors.add("max_completion_tokens", f"{value:,} is above the largest output of {whose}, {largest:,} tokens")


# --- plugin data ---------------------------------------------------------------------


def _check_parameter(item: Mapping) -> str | None:
    enum, default = item.get("enum"), item.get("default")
    if not isinstance(item["name"], str) or not item["name"]:
        return f"name {show(item['name'])} is not a non-empty string"
    if item["type"] not in PARAMETER_TYPES:
        return f"type {show(item['type'])} is not one of {', '.join(PARAMETER_TYPES)}"
    if not isinstance(item.get("description", ""), (str, type(None))):
        return f"description {show(item['description'])} is not a string"
    if not isinstance(item.get("required", False), bool):
        return f"required {show(item['required'])} is not a boolean"
    if enum is not None and (not isinstance(enum, list) or not all(isinstance(e, str) for e in enum)):
        return f"enum {show(enum)} is not a list of strings"
    if default is not None and not isinstance(default, str):
        return f"default {show(default)} is not text, a number or a boolean"
    if enum is not None and default is not None and default not in enum:
        return f"default {show(default)} is not one of its enum {', '.join(enum)}"
    return None


def _check_test_value(item: Mapping) -> str | None:
    if not isinstance(item["name"], str) or not item["name"]:
        return f"name {show(item['name'])} is not a non-empty string"
    if item["value"] is not None and not isinstance(item["value"], str):
        return f"value {show(item['value'])} is not text, a number, a boolean or null"
    return None


def _check_header(item: Mapping) -> str | None:
    name, value = item["name"], item["value"]
    if not isinstance(name, str) or not HEADER_NAME_RE.match(name):
        return f"name {show(name)} is not an HTTP header name (ASCII letters, digits and ! # $ % & ' * + - . ^ _ ` | ~)"
    if not isinstance(value, str) or not HEADER_VALUE_RE.match(value):
        return f"value {show(value)} is not an HTTP header value (text of tabs, printable ASCII and \\x80-\\xff)"
    return None


def _check_url_param(item: Mapping) -> str | None:
    for key in ("key", "value"):
        if not isinstance(item[key], str) or not CLEAN_STRING_RE.match(item[key]):
            return f"{key} {show(item[key])} is not {CLEAN_STRING}"
    return None


ITEM_CHECKS = {
    "parameters": _check_parameter,
    "test_values": _check_test_value,
    "headers": _check_header,
    "url_params": _check_url_param,
}


def _check_items(errors: Errors, field: str, value) -> list[Mapping] | None:
    """A null or a list of items, each a mapping with its required keys; returns the good items."""
    if value is None:
        return None
    if not isinstance(value, list):
        errors.add(field, f"{show(value)} is not a list ({OURS})")
        return None
    good = []
    for index, item in enumerate(value):
        if not isinstance(item, Mapping):
            problem = f"{show(item)} is not a mapping"
        else:
            missing = [key for key, (required, _, _) in ITEM_KEYS[field].items() if required and key not in item]
            problem = f"lacks {', '.join(missing)}" if missing else ITEM_CHECKS[field](item) or ""
        if problem:
            errors.add(field, f"[{index}] {problem} ({SMARTER})")
        else:
            good.append(item)
    return good


def _check_placeholders(errors: Errors, field: str, text, declared: list[str]) -> None:
    if not isinstance(text, str):
        return
    for name in dict.fromkeys(PLACEHOLDER_RE.findall(text)):
        if name not in declared:
            known = f"declared: {', '.join(declared)}" if declared else "no parameters are declared"
            errors.add(field, f"the placeholder {{{name}}} is not a declared parameter ({known}; {SMARTER})")


def _check_test_values(errors: Errors, parameters: list, test_values: list) -> None:
    """With both lists given, every declared parameter needs a test value."""
    named = {item["name"] for item in test_values}
    missing = [p["name"] for p in parameters if p["name"] not in named]
    if missing:
        extra = sorted(name for name in named if name not in {p["name"] for p in parameters})
        also = f"; it names {', '.join(map(show, extra))}, which are not parameters" if extra else ""
        errors.add(
            "test_values",
            f"has no test value for the parameter{'s' * (len(missing) > 1)} {', '.join(map(show, missing))}"
            f"{also} (every declared parameter needs a test value: {SMARTER})",
        )


def _check_limit(errors: Errors, limit, minimum: int) -> None:
    if limit is None:
        return
    if isinstance(limit, bool) or not isinstance(limit, int):
        message = _whole_number_refused(limit) if isinstance(limit, (bool, float)) else None
        errors.add("limit", message or f"{show(limit)} is not a whole number ({OURS})")
    elif limit < minimum:
        errors.add("limit", f"{limit} is below the minimum {minimum}; null means no limit ({SMARTER})")
    elif limit > INTEGER_MAX:
        errors.add("limit", f"{limit:,} is above the largest limit, {INTEGER_MAX:,} (an INTEGER column)")


def check_plugin_data(errors: Errors, plugin_class, data: Mapping) -> None:
    """The data part of a manifest, per plugin class."""
    if plugin_class == "static":
        if not isinstance(data["static_data"], Mapping):
            errors.add(
                "static_data", f"{show(data['static_data'])} is not a mapping ({OURS}: static plugins; {SMARTER})"
            )
        return
    if plugin_class not in ("sql", "api"):
        return
    connection = data["connection"]
    if not isinstance(connection, str) or not connection:
        errors.add("connection", f"is required for {plugin_class} plugins ({OURS})")
    elif not CLEAN_STRING_RE.match(connection):
        errors.add("connection", f"{show(connection)} is not {CLEAN_STRING} ({SMARTER})")
    parameters = _check_items(errors, "parameters", data["parameters"])
    test_values = _check_items(errors, "test_values", data["test_values"])
    declared = [p["name"] for p in parameters or ()]
    text_field = "sql_query" if plugin_class == "sql" else "endpoint"
    text = data[text_field]
    if not isinstance(text, str) or not text:
        errors.add(text_field, f"is required for {plugin_class} plugins ({OURS})")
    elif plugin_class == "api" and len(text) > ENDPOINT_MAX:
        errors.add("endpoint", f"is {len(text):,} characters; the limit is {ENDPOINT_MAX} ({SMARTER})")
    elif plugin_class == "api" and not ENDPOINT_RE.match(text):
        errors.add(
            "endpoint",
            f"{show(text)} is not an endpoint path: it starts and ends with / and holds only letters, digits"
            f" and / _ - {{ }} (the connection gives the scheme and host; {SMARTER})",
        )
    else:
        _check_placeholders(errors, text_field, text, declared)
    if plugin_class == "api":
        check_choice(errors, "method", data["method"], HTTP_METHODS)
        _check_items(errors, "url_params", data["url_params"])
        _check_items(errors, "headers", data["headers"])
        if data["body"] is not None and not isinstance(data["body"], (Mapping, list)):
            errors.add("body", f"{show(data['body'])} is not a mapping or a list ({SMARTER})")
    if parameters is not None and test_values is not None and not {"parameters", "test_values"} & errors.keys():
        _check_test_values(errors, parameters, test_values)
    _check_limit(errors, data["limit"], SQL_LIMIT_MIN if plugin_class == "sql" else API_LIMIT_MIN)
