"""Helpers the seed's base model offers for turning records and payloads into plain data."""

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime

import yaml
from markupsafe import Markup

MAX_DEPTH = 32
"""The deepest nesting of lists and mappings a value may have: deeper is refused where values
enter (forms, payloads, the write gate), before anything recurses into it."""


def depth(value) -> int:
    """How deeply ``value`` nests lists and mappings (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children: Iterable
        if isinstance(item, Mapping):
            children = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if level <= MAX_DEPTH:  # past the limit the answer is already "too deep"
            stack.extend((child, level + 1) for child in children)
    return deepest


def depth_problem(value) -> str | None:
    """Why ``value`` is refused for its nesting, or None."""
    if depth(value) > MAX_DEPTH:
        return f"is nested more than {MAX_DEPTH} levels deep (lists and mappings); flatten it"
    return None


def _load(parse, text):
    """``parse(text)``; nesting past ``MAX_DEPTH`` is a ValueError like any other bad input."""
    try:
        value = parse(text)
    except RecursionError:  # the parser gave up long past the limit
        raise ValueError(f"the text is nested more than {MAX_DEPTH} levels deep; flatten it") from None
    problem = depth_problem(value)
    if problem:
        raise ValueError(f"the text {problem}")
    return value


def parse_json(text):
    """JSON text as a value (json.JSONDecodeError is a ValueError too)."""
    return _load(json.loads, text)


def parse_yaml(text):
    """YAML text as a value (safe tags only); yaml.YAMLError for bad YAML, ValueError for deep YAML."""
    return _load(yaml.safe_load, text)


def isoformat(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, the form ``to_json`` promises."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def json_ready(value):
    """Recursively make ``value`` JSON-serialisable (datetimes as ISO 8601 Z)."""
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    return value


def data_to_dict(data) -> dict:
    """A mapping as is; a string parsed as JSON, then YAML; anything else is a ValueError."""
    if isinstance(data, Mapping):
        return dict(data)
    if isinstance(data, (str, bytes)):
        try:
            parsed = parse_json(data)
        except ValueError:
            try:
                parsed = parse_yaml(data)
            except yaml.YAMLError as exc:
                raise ValueError(f"data is neither JSON nor YAML: {exc}") from None
        if isinstance(parsed, Mapping):
            return dict(parsed)
        raise ValueError(f"data must be a mapping, not {type(parsed).__name__}")
    raise ValueError(f"data must be a mapping or a JSON/YAML string, not {type(data).__name__}")


def sorted_dict(data: Mapping) -> dict:
    """A new dict with the keys in sorted order (nested mappings too)."""
    return {k: sorted_dict(v) if isinstance(v, Mapping) else v for k, v in sorted(data.items())}


def mask_string(string: str = "", mask_char: str = "*", mask_length: int = 4, string_length: int = 8) -> str:
    """Hide a secret for logs: ``supersecretpassword`` -> ``****word``.

    The result is ``string_length`` long at most; its last ``mask_length`` characters are
    kept and the rest are ``mask_char``; ``mask_length=0`` masks everything.
    """
    string = str(string or "")
    keep = string[-mask_length:] if mask_length > 0 else ""
    width = max(min(string_length, len(string)), len(keep))
    return mask_char * (width - len(keep)) + keep


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP's CSV injection list)."""


def csv_cell(value) -> str:
    """One exported CSV cell: plain text (HTML a formatter built becomes its text) that no
    spreadsheet runs as a formula (a leading ``= + - @``, tab or CR gets a ``'`` in front)."""
    if value is None:
        return ""
    text = value.striptags() if isinstance(value, Markup) else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text
