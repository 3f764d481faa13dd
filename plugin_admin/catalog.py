"""The provider/model catalog: ``catalog.json`` loaded once into read-only records.

Provider limits are data; this module only gives them a shape and answers lookups.
"""

import difflib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

CATALOG_PATH = Path(__file__).with_name("catalog.json")
_SNAPSHOT_SUFFIX = re.compile(r"-\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Model:
    name: str
    provider: str
    context_window: int
    max_output_tokens: int
    temperature_adjustable: bool
    source: str
    checked: str
    variant_of: str | None = None
    """The catalog entry whose limits this dated snapshot or alias shares."""

    @property
    def citation(self) -> str:
        return f"catalog: {self.provider}/{self.name}, {self.source}, checked {self.checked}"


@dataclass(frozen=True)
class Unservable:
    """A model name the provider has but whose API cannot serve a chat prompt, and why."""

    name: str
    reason: str
    source: str
    checked: str

    @property
    def citation(self) -> str:
        return f"catalog: {self.source}, checked {self.checked}"


@dataclass(frozen=True)
class Provider:
    key: str
    display_name: str
    temperature_min: float
    temperature_max: float
    temperature_default: float
    notes: str
    source: str
    checked: str
    models: dict[str, Model]
    fine_tune_prefix: str | None = None
    unservable: dict[str, Unservable] = field(default_factory=dict)
    temperature_note: str = ""
    """What an operator must know about the temperature beyond its range (shown beside the field)."""

    @property
    def citation(self) -> str:
        return f"catalog: {self.key}, {self.source}, checked {self.checked}"

    def find_model(self, name: str) -> Model | None:
        """The catalog model for ``name``, a fine-tuned name resolving to its base model."""
        if name in self.models:
            return self.models[name]
        if self.is_fine_tuned(name):
            # OpenAI: ft:<base>[-YYYY-MM-DD]:<org>:<suffix>:<id>
            base = name[len(self.fine_tune_prefix or "") :].split(":", 1)[0]
            return self.models.get(base) or self.models.get(_SNAPSHOT_SUFFIX.sub("", base))
        return None

    def is_fine_tuned(self, name: str) -> bool:
        return self.fine_tune_prefix is not None and name.startswith(self.fine_tune_prefix)

    def suggestions(self, name: str) -> list[str]:
        """Closest known model names (not their snapshots), for error messages."""
        names = [key for key, model in self.models.items() if model.variant_of is None]
        found = difflib.get_close_matches(name, names, n=3, cutoff=0.4)
        return found or names[:3]


@dataclass(frozen=True)
class Catalog:
    providers: dict[str, Provider]

    def provider(self, key) -> Provider | None:
        return self.providers.get(str(key).strip().lower()) if key is not None else None

    def model(self, provider, name) -> Model | None:
        found = self.provider(provider)
        return found.find_model(name) if found and isinstance(name, str) else None


def parse_catalog(data: dict) -> Catalog:
    providers = {}
    for key, entry in data["providers"].items():
        models = {
            name: _model(key, name, m, base if name != base else None)
            for base, m in entry["models"].items()
            for name in (base, *m.get("variants", ()))
        }
        refused = entry.get("unservable", {"models": {}})
        unservable = {
            name: Unservable(name, refused["reasons"][reason], refused["source"], refused["checked"])
            for name, reason in refused["models"].items()
        }
        temperature = entry["temperature"]
        providers[key] = Provider(
            key=key,
            display_name=entry["display_name"],
            temperature_min=float(temperature["min"]),
            temperature_max=float(temperature["max"]),
            temperature_default=float(temperature["default"]),
            notes=entry.get("notes", ""),
            source=entry["source"],
            checked=entry["checked"],
            models=models,
            fine_tune_prefix=entry.get("fine_tune_prefix"),
            unservable=unservable,
            temperature_note=temperature.get("note", ""),
        )
    return Catalog(providers=providers)


def _model(provider: str, name: str, entry: dict, variant_of: str | None) -> Model:
    return Model(
        name=name,
        provider=provider,
        context_window=int(entry["context_window"]),
        max_output_tokens=int(entry["max_output_tokens"]),
        temperature_adjustable=bool(entry["temperature_adjustable"]),
        source=entry["source"],
        checked=entry["checked"],
        variant_of=variant_of,
    )


@cache
def get_catalog() -> Catalog:
    """The catalog, read from disk on first use only."""
    return parse_catalog(json.loads(CATALOG_PATH.read_text(encoding="utf-8")))
