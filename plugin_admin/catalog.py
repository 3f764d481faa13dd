"""The provider/model catalog: ``catalog.json`` loaded once into read-only records.

Provider limits are data; this module only gives them a shape and answers lookups.
"""

import difflib
import json
import re
from dataclasses import dataclass
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

    @property
    def citation(self) -> str:
        return f"catalog: {self.provider}/{self.name}, {self.source}, checked {self.checked}"


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
    temperature_note: str = ""
    """What an operator must know about the temperature beyond its range (shown beside the field)."""

    @property
    def citation(self) -> str:
        return f"catalog: {self.key}, {self.source}, checked {self.checked}"

    def find_model(self, name: str) -> Model | None:
        """The catalog model for ``name``, a fine-tuned name resolving to its base model."""
        if name in self.models:
            return self.models[name]
        if self.fine_tune_prefix and name.startswith(self.fine_tune_prefix):
            # OpenAI: ft:<base>[-YYYY-MM-DD]:<org>:<suffix>:<id>
            base = name[len(self.fine_tune_prefix) :].split(":", 1)[0]
            return self.models.get(_SNAPSHOT_SUFFIX.sub("", base))
        return None

    def suggestions(self, name: str) -> list[str]:
        """Closest known model names, for error messages."""
        found = difflib.get_close_matches(name, self.models, n=3, cutoff=0.4)
        return found or list(self.models)[:3]


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
            name: Model(
                name=name,
                provider=key,
                context_window=int(m["context_window"]),
                max_output_tokens=int(m["max_output_tokens"]),
                temperature_adjustable=bool(m["temperature_adjustable"]),
                source=m["source"],
                checked=m["checked"],
            )
            for name, m in entry["models"].items()
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
            temperature_note=temperature.get("note", ""),
        )
    return Catalog(providers=providers)


@cache
def get_catalog() -> Catalog:
    """The catalog, read from disk on first use only."""
    return parse_catalog(json.loads(CATALOG_PATH.read_text(encoding="utf-8")))
