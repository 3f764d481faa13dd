"""The dashboard's numbers: aggregates over every record.

They come from at most seven SQL statements whatever the table sizes (GROUP BY,
index range counts and LIMIT do the work in the database) and are cached as one plain
dict under ``caching.derived_key``, which every committed change moves on: a warm
dashboard issues no SQL, and every process sharing the cache shows a change on its
next load.
"""

import sqlalchemy as sa

from .. import caching, revisions
from ..catalog import Catalog, get_catalog
from ..extensions import db
from ..models import PluginData, PluginMeta, PluginPrompt, PluginSelector, utcnow
from .catalog_rules import RULES, bounds, first_broken_rule

STATS_KEY = "dashboard:stats"

SAMPLES = 5
"""Offending records listed under each problem."""
RECENT = 8
"""Recently updated records listed."""

Part = type[PluginPrompt] | type[PluginSelector] | type[PluginData]
PARTS: dict[str, Part] = {"prompt": PluginPrompt, "selector": PluginSelector, "data": PluginData}
KINDS: dict[str, type[PluginMeta] | Part] = {"plugin": PluginMeta, **PARTS}


def dashboard_stats(invalidate: bool = False) -> dict:
    """Every number on the dashboard as a plain, picklable dict; a warm read issues no SQL."""
    return caching.read_through(
        caching.derived_key(STATS_KEY),
        lambda: compute_stats(get_catalog()),
        invalidate,
        cacheable=lambda stats: not caching.pending_keys(db.session),  # nothing this session has not committed
    )


def compute_stats(catalog: Catalog) -> dict:
    totals = count_totals()
    pairs = sorted(prompt_pairs(), key=lambda p: (-p["count"], p["provider"], p["model"]))
    broken = first_broken_rule(catalog, ((p["provider"], p["model"]) for p in pairs))  # the commonest branch first
    failures = rule_failures(catalog, broken)
    totals["failing_prompt"] = sum(f["count"] for f in failures)
    lacking = [part for part in PARTS if totals[f"missing_{part}"]]
    return {
        "computed_at": utcnow(),
        "totals": totals,
        "by_provider": by_provider(pairs),
        "by_model": pairs,
        "rule_failures": failures,
        "failing_samples": failing_samples(broken) if failures else [],
        "incomplete_samples": incomplete_samples(lacking) if lacking else [],
        "recent": recently_updated(),
        **count_distributions(catalog),
    }


# --- totals and breakdowns -------------------------------------------------------------


def _lacks(part) -> sa.ColumnElement:
    """The plugin has no record of ``part`` (an anti-join on the unique ``plugin_id``)."""
    return ~sa.exists().where(part.plugin_id == PluginMeta.id)


def count_totals() -> dict:
    """Records of each kind, and plugins lacking each part, keyed by kind and ``missing_<part>``.

    A part belongs to exactly one plugin (unique, required ``plugin_id``), so plugins
    lacking one are a subtraction, not an anti-join over every plugin.
    """
    counts = [
        sa.select(sa.func.count()).select_from(model).scalar_subquery().label(kind) for kind, model in KINDS.items()
    ]
    totals = dict(db.session.execute(sa.select(*counts)).one()._mapping)
    return {**totals, **{f"missing_{part}": totals["plugin"] - totals[part] for part in PARTS}}


def temperature_buckets(catalog: Catalog) -> list[dict]:
    """Steps of 0.1 up to the widest provider range, and the outliers either side.

    A bucket holds values ``greater_than < t < smaller_than`` (``None``: unbounded),
    the same bounds the list filters of its link use.
    """
    top = round(max(p.temperature_max for p in catalog.providers.values()) * 10)
    steps = [
        {"label": f"{k / 10:.1f}", "greater_than": (k - 0.5) / 10 if k else None, "smaller_than": (k + 0.5) / 10}
        for k in range(top + 1)
    ]
    return [
        {"label": "< 0", "greater_than": None, "smaller_than": 0.0, "outlier": True},
        *steps,
        {"label": f"> {top / 10:g}", "greater_than": (top + 0.5) / 10, "smaller_than": None, "outlier": True},
    ]


def token_buckets(catalog: Catalog) -> list[dict]:
    """Powers of two from 256 up to the largest model output limit, and the outliers above."""
    top = max(m.max_output_tokens for p in catalog.providers.values() for m in p.models.values())
    buckets, high = [], 256
    while True:
        buckets.append(
            {"label": _tokens(high), "greater_than": high // 2 if high > 256 else None, "smaller_than": high + 1}
        )
        if high >= top:
            break
        high *= 2
    return [*buckets, {"label": f"> {_tokens(high)}", "greater_than": high, "smaller_than": None, "outlier": True}]


def _tokens(n: int) -> str:
    return f"{n // 1024}K" if n >= 1024 else str(n)


def _bucket_counts(kind: str, column, buckets: list[dict]) -> list:
    """One count per bucket, each a range scan of ``column``'s index (no sort of every row)."""
    selects = []
    for b in buckets:
        where = [column > b["greater_than"]] if b["greater_than"] is not None else []
        if b["smaller_than"] is not None:
            where.append(column < b["smaller_than"])
        selects.append(
            sa.select(sa.literal(kind).label("kind"), sa.literal(b["label"]).label("key"), sa.func.count()).where(
                *where
            )
        )
    return selects


def count_distributions(catalog: Catalog) -> dict:
    """Plugins by class, selectors by directive, prompts by temperature and by token limit, in one statement."""
    temperature, tokens = temperature_buckets(catalog), token_buckets(catalog)
    statement = sa.union_all(
        sa.select(sa.literal("plugin_classes"), PluginMeta.plugin_class, sa.func.count()).group_by(
            PluginMeta.plugin_class
        ),
        sa.select(sa.literal("directives"), PluginSelector.directive, sa.func.count()).group_by(
            PluginSelector.directive
        ),
        *_bucket_counts("temperature", PluginPrompt.temperature, temperature),
        *_bucket_counts("tokens", PluginPrompt.max_completion_tokens, tokens),
    )
    counts: dict = {"plugin_classes": {}, "directives": {}, "temperature": {}, "tokens": {}}
    for kind, key, n in db.session.execute(statement):
        counts[kind][key] = n
    return {
        "plugin_classes": _ranked(counts["plugin_classes"]),
        "directives": _ranked(counts["directives"]),
        "temperature": _histogram(temperature, counts["temperature"]),
        "tokens": _histogram(tokens, counts["tokens"]),
    }


def _ranked(counts: dict) -> list[dict]:
    return [{"key": k, "count": n} for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _histogram(buckets: list[dict], counts: dict) -> list[dict]:
    """Every bucket in order, the outlier buckets only when something is in them."""
    found = [{**b, "count": counts.get(b["label"], 0)} for b in buckets]
    return [b for b in found if b["count"] or not b.get("outlier")]


# --- prompts against today's catalog --------------------------------------------------

RULE_TITLES = {
    "unknown_provider": "provider not in the catalog",
    "unknown_model": "model not in the catalog",
    "temperature_above": "temperature above the allowed range",
    "temperature_below": "temperature below the allowed range",
    "tokens_above": "token limit above the model's output limit",
    "tokens_below": "token limit below 1",
}
"""The rules of ``catalog_rules.RULES``, in words."""


def prompt_pairs() -> list[dict]:
    """Prompts per stored (provider, model): a scan of their index."""
    prompt = PluginPrompt.__table__
    query = sa.select(prompt.c.provider, prompt.c.model, sa.func.count().label("count")).group_by(
        prompt.c.provider, prompt.c.model
    )
    return [{**row._mapping} for row in db.session.execute(query)]


def by_provider(pairs: list[dict]) -> list[dict]:
    counts: dict = {}
    for pair in pairs:
        counts[pair["provider"]] = counts.get(pair["provider"], 0) + pair["count"]
    return [{"provider": k, "count": n} for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _with_rule(broken) -> sa.Subquery:
    prompt = PluginPrompt.__table__
    return sa.select(*prompt.c, broken.label("rule")).subquery("checked")


def rule_failures(catalog: Catalog, broken) -> list[dict]:
    """Prompts breaking a rule, per (rule, provider, model), most first, with the bound they break.

    Each prompt counts once, under the first rule it breaks. The grouping starts with
    the rule so that SQLite scans the table once instead of walking the (provider,
    model) index with a row look-up per prompt.
    """
    checked = _with_rule(broken)
    query = (
        sa.select(checked.c.rule, checked.c.provider, checked.c.model, sa.func.count().label("count"))
        .where(checked.c.rule.is_not(None))
        .group_by(checked.c.rule, checked.c.provider, checked.c.model)
    )
    found = [
        {**row._mapping, **_bound(catalog, row.rule, row.provider, row.model)} for row in db.session.execute(query)
    ]
    return sorted(found, key=lambda f: (-f["count"], RULES.index(f["rule"]), f["provider"], f["model"]))


def _bound(catalog: Catalog, rule: str, provider: str, model: str) -> dict:
    """The bound a rule compares with (``limit``, for the link) and what it says (``detail``)."""
    found = bounds(catalog, provider, model)
    if found is None:  # the catalog does not know the pair: there is no bound to show
        return {"limit": None, "detail": ""}
    if rule == "temperature_above":
        limit = found.temperature_max
    elif rule == "temperature_below":
        limit = found.temperature_min
    elif rule == "tokens_above":
        return {"limit": found.max_tokens, "detail": f"at most {found.max_tokens:,} output tokens"}
    else:
        return {"limit": None, "detail": ""}
    if found.temperature_min == found.temperature_max:
        return {"limit": limit, "detail": f"only {limit:g} is accepted"}
    return {"limit": limit, "detail": f"range {found.temperature_min:g}–{found.temperature_max:g}"}


def failing_samples(broken) -> list[dict]:
    """The newest prompts that break a catalog rule, with the first rule each breaks."""
    checked = _with_rule(broken)
    query = (
        sa.select(
            checked.c.id,
            PluginMeta.name,
            checked.c.provider,
            checked.c.model,
            checked.c.temperature,
            checked.c.max_completion_tokens,
            checked.c.updated_at,
            checked.c.rule,
        )
        .join(PluginMeta, PluginMeta.id == checked.c.plugin_id)
        .where(checked.c.rule.is_not(None))
        .order_by(checked.c.id.desc())
        .limit(SAMPLES)
    )
    return [{**row._mapping} for row in db.session.execute(query)]


# --- plugins and records -------------------------------------------------------------


def incomplete_samples(parts: list[str]) -> list[dict]:
    """The newest plugins that lack one of ``parts`` (a prompt, a selector, data), and what they lack.

    Each part's newest lacking plugins come from an anti-join walking the primary key
    down and stopping at the limit; only those few plugins are then joined to all parts.
    (A single ``WHERE NOT EXISTS … OR NOT EXISTS …`` makes PostgreSQL hash every part table.)
    """
    candidates = sa.union_all(
        *(
            sa.select(PluginMeta.id)
            .where(_lacks(PARTS[part]))
            .order_by(PluginMeta.id.desc())
            .limit(SAMPLES)
            .subquery()
            .select()
            for part in parts
        )
    )
    joined = sa.select(PluginMeta.id, PluginMeta.name, PluginMeta.updated_at).select_from(PluginMeta)
    for part, model in PARTS.items():
        joined = joined.outerjoin(model, model.plugin_id == PluginMeta.id).add_columns(
            model.id.is_(None).label(f"missing_{part}")
        )
    query = joined.where(PluginMeta.id.in_(candidates)).order_by(PluginMeta.id.desc()).limit(SAMPLES)
    return [
        {
            "id": row.id,
            "name": row.name,
            "updated_at": row.updated_at,
            "missing": [p for p in PARTS if row._mapping[f"missing_{p}"]],
        }
        for row in db.session.execute(query)
    ]


def recently_updated() -> list[dict]:
    """The last records updated, of any kind: a LIMIT on each table's ``updated_at`` index, then merged;
    each with who wrote its latest revision, its action and the fields it changed."""
    latest = []
    names = {"plugin": PluginMeta.name.expression} | {
        kind: sa.select(PluginMeta.name).where(PluginMeta.id == part.plugin_id).scalar_subquery()
        for kind, part in PARTS.items()
    }
    for kind, model in KINDS.items():
        name = names[kind]
        versions = revisions.version_table(model)
        latest.append(
            sa.select(
                sa.literal(kind).label("kind"),
                model.id,
                name.label("name"),
                model.updated_at,
                model.changed_by,
                versions.c.action,
                versions.c.changed,
            )  # fmt: skip
            .outerjoin(versions, sa.and_(versions.c.id == model.id, versions.c.revision == model.revision))
            .order_by(model.updated_at.desc(), model.id.desc())
            .limit(RECENT)
            .subquery()
        )
    merged = sa.union_all(*(sa.select(*q.c) for q in latest)).subquery()
    query = sa.select(merged).order_by(merged.c.updated_at.desc(), merged.c.id.desc()).limit(RECENT)
    return [{**row._mapping} for row in db.session.execute(query)]
