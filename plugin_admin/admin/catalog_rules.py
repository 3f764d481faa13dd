"""Today's catalog rules, checked in SQL over every prompt.

A prompt that was valid when saved can break the catalog as it is today (a model
withdrawn, a limit lowered). Finding those among 100,000 prompts must not load them
into Python. The stored (provider, model) pairs are few, so each is resolved with the
catalog's own lookup (fine-tuned names included); the bounds found go into one CASE
expression that names, for every row, the first rule it breaks, in the order
``validation.check_prompt`` checks them.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from ..catalog import Catalog
from ..models import PluginPrompt

RULES = ("unknown_provider", "unknown_model", "temperature_above", "temperature_below", "tokens_above", "tokens_below")


@dataclass(frozen=True)
class Bounds:
    """What a known (provider, model) accepts; a fixed-temperature model's range is its one value."""

    temperature_min: float
    temperature_max: float
    max_tokens: int


def bounds(catalog: Catalog, provider: str, model: str) -> Bounds | None:
    """The bounds of a stored pair under today's catalog, or None when the catalog does not know it."""
    known, entry = catalog.provider(provider), catalog.model(provider, model)
    if known is None or entry is None:
        return None
    if entry.temperature_adjustable:
        low, high = known.temperature_min, known.temperature_max
    else:
        low = high = known.temperature_default
    return Bounds(low, high, entry.max_output_tokens)


def first_broken_rule(catalog: Catalog, pairs: Iterable[tuple[str, str]]) -> sa.ColumnElement:
    """For a prompt row, the code in ``RULES`` of the first rule it breaks, or NULL.

    ``pairs`` are the stored (provider, model) pairs: names that resolve to the same
    bounds share one branch of the CASE, so its size follows the catalog, not the data.
    """
    prompt = PluginPrompt.__table__
    temperature, tokens = prompt.c.temperature, prompt.c.max_completion_tokens
    same_bounds: dict[tuple[str, Bounds], list[str]] = {}
    known_providers = set()
    for provider, model in pairs:
        if catalog.provider(provider) is not None:
            known_providers.add(provider)
        found = bounds(catalog, provider, model)
        if found is not None:
            same_bounds.setdefault((provider, found), []).append(model)
    whens = [
        (
            sa.and_(prompt.c.provider == provider, prompt.c.model.in_(models)),
            sa.case(
                (temperature > b.temperature_max, "temperature_above"),
                (temperature < b.temperature_min, "temperature_below"),
                (tokens > b.max_tokens, "tokens_above"),
                (tokens < 1, "tokens_below"),
                else_=sa.null(),
            ),
        )
        for (provider, b), models in same_bounds.items()
    ]
    return sa.case(*whens, (prompt.c.provider.in_(sorted(known_providers)), "unknown_model"), else_="unknown_provider")
