"""Helpers the seed's base model offers for turning records and payloads into plain data."""

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime

import yaml


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
            parsed = json.loads(data)
        except ValueError:
            try:
                parsed = yaml.safe_load(data)
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
