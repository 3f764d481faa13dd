"""The rules every write must pass, as functions of plain values.

Models call these from the write gate (``clean_values``/``check_values``); nothing else
decides what is valid.
Each function returns the value it normalised and appends messages to an ``Errors``.
A message names the value, the rule and where the rule comes from; the field is the key.
"""

import math
import re
from collections.abc import Mapping

from .catalog import Catalog, Provider

NAME_RE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
PLUGIN_CLASSES = ("static", "sql", "api")
DIRECTIVES = ("search_terms", "always", "llm")
HTTP_METHODS = ("GET", "POST", "PUT", "DELETE")
ROLES = ("viewer", "editor", "admin")
NAME_MAX = 255
MODEL_MAX = 255
SYSTEM_ROLE_MAX = 32000
INTEGER_MAX = 2**31 - 1
SMARTER = "Smarter manifest format"
"""Where the shape of a plugin comes from: the manifests of the Smarter platform (smarter.sh/v1)."""
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
    text = f"{value:g}" if isinstance(value, float) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def a_or_an(word: str) -> str:
    """The article before ``word``, by its first letter (right for every provider name in the catalog)."""
    return "an" if word[:1].lower() in "aeiou" else "a"


def _number(value: float) -> str:
    return f"{value:g}"


# --- normalising -------------------------------------------------------------------


def snake_case(value) -> str:
    """ "Test Plugin" -> "test_plugin": the clean step for plugin names."""
    text = str(value or "").strip()
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    return re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()


def stripped(value):
    return value.strip() if isinstance(value, str) else value


def clean_string_list(value):
    """Lists of strings lose surrounding blanks and empty entries; other shapes are kept for validate."""
    if value is None:
        return []
    if isinstance(value, list):
        return [v.strip() if isinstance(v, str) else v for v in value if not (isinstance(v, str) and not v.strip())]
    return value


# --- checks ------------------------------------------------------------------------


def check_name(errors: Errors, value) -> None:
    if not value:
        errors.add("name", f"is required ({SMARTER}: snake_case, at most {NAME_MAX} characters)")
    elif len(value) > NAME_MAX:
        errors.add("name", f"is {len(value)} characters; the limit is {NAME_MAX} ({COLUMN})")
    elif not NAME_RE.match(value):
        errors.add("name", f"{show(value)} is not snake_case ({SMARTER}: {NAME_RE.pattern})")


def check_choice(errors: Errors, field: str, value, choices, source: str = SMARTER) -> None:
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


def check_length(errors: Errors, field: str, value, limit: int | None) -> None:
    """Text longer than its column holds (PostgreSQL would refuse the row; SQLite would keep it)."""
    if field not in errors and isinstance(value, str) and limit is not None and len(value) > limit:
        errors.add(field, f"is {len(value):,} characters; the limit is {limit:,} ({COLUMN})")


def check_string_list(errors: Errors, field: str, value) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.add(field, f"{show(value)} is not a list of strings ({SMARTER})")


def check_annotations(errors: Errors, value) -> None:
    ok = isinstance(value, list) and all(
        isinstance(item, Mapping) and len(item) == 1 and all(isinstance(k, str) and k for k in item) for item in value
    )
    if not ok:
        errors.add("annotations", f"{show(value)} is not a list of one-key mappings ({SMARTER})")


def check_selector(errors: Errors, directive, search_terms) -> None:
    check_choice(errors, "directive", directive, DIRECTIVES)
    check_string_list(errors, "search_terms", search_terms)
    if "search_terms" in errors:
        return
    if directive == "search_terms" and not search_terms:
        errors.add("search_terms", f"are required when the directive is search_terms ({SMARTER})")
    elif directive in DIRECTIVES and directive != "search_terms" and search_terms:
        errors.add("search_terms", f"must be empty when the directive is {directive} ({SMARTER})")


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
        errors.add("system_role", f"is required and may not be blank ({SMARTER})")
    elif len(system_role) > SYSTEM_ROLE_MAX:
        errors.add(
            "system_role",
            f"is {len(system_role)} characters; the limit is {SYSTEM_ROLE_MAX:,}"
            " (this admin's limit for a system role)",
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
                f"{_number(provider.temperature_default)} ({model.citation}; {provider.citation})",
            )
        return
    lo, hi = provider.temperature_min, provider.temperature_max
    if not lo <= value <= hi:
        side = "above" if value > hi else "below"
        errors.add(
            "temperature",
            f"{_number(value)} is {side} {provider.key}'s range {_number(lo)}–{_number(hi)} ({provider.citation})",
        )


def _check_max_tokens(errors: Errors, catalog: Catalog, provider: Provider | None, model, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add("max_completion_tokens", f"{show(value)} is not a whole number")
        return
    if value < 1:
        errors.add("max_completion_tokens", f"{value} is below the minimum 1 (a reply has at least one token)")
    elif model is not None and value > model.max_output_tokens:
        errors.add(
            "max_completion_tokens",
            f"{value:,} is above {model.name}'s maximum output of {model.max_output_tokens:,} tokens"
            f" ({model.citation})",
        )
    elif model is None:
        models = (
            provider.models if provider else {m.name: m for p in catalog.providers.values() for m in p.models.values()}
        )
        largest = max(m.max_output_tokens for m in models.values())
        if value > largest:
            whose = f"any {provider.key} model" if provider else "any model in the catalog"
            errors.add("max_completion_tokens", f"{value:,} is above the largest output of {whose}, {largest:,} tokens")


def check_plugin_data(errors: Errors, plugin_class, data: Mapping) -> None:
    """The data part of a manifest, per plugin class."""
    if plugin_class == "static":
        if not isinstance(data["static_data"], (Mapping, list)):
            errors.add(
                "static_data", f"{show(data['static_data'])} is not a mapping or a list ({SMARTER}: static plugins)"
            )
        return
    required = {"sql": ("connection", "sql_query"), "api": ("connection", "endpoint")}.get(plugin_class, ())
    for field in required:
        if not isinstance(data[field], str) or not data[field].strip():
            errors.add(field, f"is required for {plugin_class} plugins ({SMARTER})")
    if plugin_class == "api":
        check_choice(errors, "method", data["method"], HTTP_METHODS)
    for field in ("parameters", "test_values"):
        if data[field] is not None and not isinstance(data[field], list):
            errors.add(field, f"{show(data[field])} is not a list ({SMARTER})")
    limit = data["limit"]
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        errors.add("limit", f"{show(limit)} is not a whole number of at least 1 ({SMARTER})")
    elif limit is not None and limit > INTEGER_MAX:
        errors.add("limit", f"{limit:,} is above the largest limit, {INTEGER_MAX:,} (an INTEGER column)")
