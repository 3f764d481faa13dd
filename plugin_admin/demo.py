"""Realistic, varied demo data: plugins of every class across the catalog's providers and models.

Rows pass the same ``prepare_rows`` gate as every flush, then go to the database as
executemany INSERTs (which say so: ``VALIDATED``) with ids reserved up front: ORM objects and the unit of work's
per-row INSERTs would make 100,000 plugins take minutes.
"""

import random
from functools import cache

import sqlalchemy as sa

from . import revisions
from .catalog import get_catalog
from .extensions import db
from .models import PluginData, PluginMeta, PluginPrompt, PluginSelector, prepare_rows
from .models.gate import VALIDATED

TOPICS = (
    "billing", "shipping", "returns", "weather", "calendar", "inventory", "payroll", "crm", "support",
    "recipes", "travel", "flights", "hotels", "courses", "library", "sales", "marketing", "hr", "legal",
    "security", "devops", "analytics", "pricing", "coupons", "loyalty", "warranty", "onboarding", "tax",
)  # fmt: skip
NOUNS = ("lookup", "assistant", "faq", "catalog", "status", "report", "search", "advisor", "tracker", "helper")
ROLES = (
    "You are a helpful assistant for {topic} questions. Answer briefly and cite the plugin's data.",
    "You are a friendly {topic} specialist. Prefer the tool calls provided for facts about {topic}.",
    "You are a precise {topic} analyst. When unsure, say so and ask a clarifying question.",
    "You are a support agent for our {topic} team. Keep a professional tone and never invent numbers.",
)
TOKEN_CHOICES = (256, 512, 1024, 2048, 4096, 8192, 16384)
BATCH = 5000


def _prompt(rng: random.Random, topic: str) -> dict:
    catalog = get_catalog()
    # Most operators stay on OpenAI; the rest spread across the other providers.
    provider = catalog.providers["openai" if rng.random() < 0.45 else rng.choice(list(catalog.providers))]
    model = rng.choice(list(provider.models.values()))
    if model.temperature_adjustable:
        temperature = round(rng.uniform(provider.temperature_min, provider.temperature_max), 1)
    else:
        temperature = provider.temperature_default
    return {
        "provider": provider.key,
        "model": model.name,
        "temperature": temperature,
        "max_completion_tokens": rng.choice([t for t in TOKEN_CHOICES if t <= model.max_output_tokens]),
        "system_role": rng.choice(ROLES).format(topic=topic),
    }


def _data(rng: random.Random, plugin_class: str, topic: str) -> dict:
    description = f"Data the {topic} plugin returns to the model."
    if plugin_class == "sql":
        return {
            "description": description,
            "connection": f"{topic}_db",
            "sql_query": f"SELECT * FROM {topic} WHERE name = {{name}} LIMIT 10;",
            "parameters": [{"name": "name", "type": "string", "required": True}],
            "test_values": [{"name": "name", "value": topic}],
            "limit": rng.choice((1, 10, 50)),
        }
    if plugin_class == "api":
        return {
            "description": description,
            "connection": f"{topic}_api",
            "endpoint": f"/{topic}/v1/items/",
            "method": rng.choice(("GET", "GET", "POST")),
            "headers": [{"name": "Accept", "value": "application/json"}],
            "parameters": [],
            "test_values": [],
            "limit": 10,
        }
    return {"description": description, "static_data": {"topic": topic, "faq": [f"What is {topic}?"]}}


@cache
def _defaults(model) -> dict:
    return model().column_values()


def _row(model, /, **values) -> dict:
    """A full row of ``model``: every column, defaults filled in as the constructor would.

    Defaults are shared, not copied: rows are only read and replaced, never mutated.
    """
    return {**_defaults(model), **values, "row_version": 1}


def _plugin(rng: random.Random, pk: int) -> dict:
    """Rows of a plugin and its parts (a few lack a prompt or selector, as in real life)."""
    topic = rng.choice(TOPICS)
    plugin_class = rng.choices(("static", "sql", "api"), weights=(6, 2, 2))[0]
    rows = {
        PluginMeta: _row(
            PluginMeta,
            id=pk,
            name=f"{topic}_{rng.choice(NOUNS)}_{pk}",
            plugin_class=plugin_class,
            description=f"Answers {topic} questions for our customers.",
            version=f"{rng.randint(0, 3)}.{rng.randint(0, 9)}.{rng.randint(0, 20)}",
            tags=rng.sample(TOPICS, 2),
            annotations=[{"team": topic}],
            author=rng.choice(("ops", "data", None)),
        ),
        PluginData: _row(PluginData, plugin_id=pk, plugin_class=plugin_class, **_data(rng, plugin_class, topic)),
    }
    if rng.random() > 0.02:
        rows[PluginPrompt] = _row(PluginPrompt, plugin_id=pk, **_prompt(rng, topic))
    if rng.random() > 0.02:
        directive = rng.choices(("search_terms", "always", "llm"), weights=(8, 1, 1))[0]
        terms = [topic, f"{topic} help"] if directive == "search_terms" else []
        rows[PluginSelector] = _row(PluginSelector, plugin_id=pk, directive=directive, search_terms=terms)
    return rows


def reserve_ids(model, count: int) -> list[int]:
    """``count`` fresh primary keys: from the sequence on PostgreSQL, past any id ever issued on SQLite."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        sql = sa.text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")
        return list(session.scalars(sql, {"table": model.__tablename__, "n": count}))
    used = sa.select(sa.func.max(model.id)).scalar_subquery()
    issued = sa.text("SELECT seq FROM sqlite_sequence WHERE name = :table").bindparams(table=model.__tablename__)
    start = max(session.scalar(sa.select(used)) or 0, session.scalar(issued) or 0) + 1
    return list(range(start, start + count))


def seed(count: int, rng_seed: int = 42) -> int:
    """Create ``count`` plugins with their parts, committing in batches; returns how many were made.

    Each batch is one revision transaction: every row gets its first revision (``create``)
    in the same executemany style as the rows themselves.
    """
    rng = random.Random(rng_seed)
    session = db.session
    made = 0
    while made < count:
        size = min(BATCH, count - made)
        transaction_id = revisions.open_transaction(session)
        plugins = [_plugin(rng, pk) for pk in reserve_ids(PluginMeta, size)]
        for model in (PluginMeta, PluginData, PluginPrompt, PluginSelector):
            rows = [p[model] for p in plugins if model in p]
            for row, pk in zip(rows, reserve_ids(model, len(rows)) if model is not PluginMeta else [], strict=False):
                row["id"] = pk
            prepare_rows(session, model, rows)
            columns = model.__table__.columns.keys()
            session.execute(
                model.__table__.insert(), [{k: row[k] for k in columns} for row in rows], execution_options=VALIDATED
            )
            revisions.record_created(session, model, [row["id"] for row in rows], transaction_id)
        session.commit()
        made += size
    return made
