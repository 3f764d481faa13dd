"""The operator dashboard at ``/admin/``: the numbers of ``aggregates`` as charts and lists.

Charts are drawn on the server (HTML and inline SVG, no script, nothing from a CDN).
Every number links to the admin list filtered the way it was counted, every record
to its details page; the filters are looked up in the list views themselves, so a
renamed label cannot break a link.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from flask import url_for
from flask_admin import AdminIndexView, expose
from flask_admin.contrib.sqla.filters import FilterEqual, FilterGreater, FilterSmaller

from .. import hashing
from ..models import ElapsedSeconds, PluginMeta, PluginPrompt, PluginSelector
from .aggregates import KINDS, RULE_TITLES, dashboard_stats
from .roles import RoleGate

PROMPT_COLUMNS = PluginPrompt.__table__.c
RULE_FILTERS = {
    "temperature_above": (PROMPT_COLUMNS.temperature, FilterGreater),
    "temperature_below": (PROMPT_COLUMNS.temperature, FilterSmaller),
    "tokens_above": (PROMPT_COLUMNS.max_completion_tokens, FilterGreater),
    "tokens_below": (PROMPT_COLUMNS.max_completion_tokens, FilterSmaller),
}
"""The list filter that shows a rule's offenders, besides provider and model."""
TOP_MODELS = 12
"""Models charted; the rest are one click away in the prompt list."""


def elapsed(updated_at: datetime, now: datetime | None = None) -> str:
    """ "N minutes ago", in the largest unit that fits, counted as ``elapsed_updated`` counts."""
    seconds = ElapsedSeconds(updated_at, now)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def compact(n: int) -> str:
    """A count short enough for a narrow chart column: 950, 9.5k, 95k, 1.2M."""
    for size, suffix in ((1_000_000, "M"), (1000, "k")):
        if n >= size:
            return f"{n / size:.1f}".rstrip("0").rstrip(".") + suffix if n < 10 * size else f"{n // size}{suffix}"
    return str(n)


@cache
def filter_arg(view, column, kind) -> str | None:
    """The URL name of ``view``'s filter of class ``kind`` on ``column`` (views live as long as the app)."""
    for index, found in enumerate(view._filters or ()):
        if found.column is column and isinstance(found, kind):
            return view.get_filter_arg(index, found)
    return None


class Links:
    """URLs of records and of admin lists filtered like a dashboard number; None where a list lacks the filter."""

    def __init__(self, admin):
        self.views = {view.endpoint: view for view in admin._views}

    def record(self, kind: str, pk: int) -> str:
        return url_for(f"{KINDS[kind].__name__.lower()}.details_view", id=hashing.hashed_id(pk))

    def listing(self, model, *conditions) -> str | None:
        """The list of ``model`` with one filter per ``(column, filter class, value)`` condition."""
        view = self.views.get(model.__name__.lower())
        if view is None:
            return None
        args = {}
        for position, (column, kind, value) in enumerate(conditions):
            name = filter_arg(view, column, kind)
            if name is None:
                return None
            args[f"flt{position}_{name}"] = value
        return url_for(f"{view.endpoint}.index_view", **args)

    def provider(self, provider: str) -> str | None:
        return self.listing(PluginPrompt, (PROMPT_COLUMNS.provider, FilterEqual, provider))

    def model(self, provider: str, model: str, *more) -> str | None:
        return self.listing(
            PluginPrompt,
            (PROMPT_COLUMNS.provider, FilterEqual, provider),
            (PROMPT_COLUMNS.model, FilterEqual, model),
            *more,
        )

    def rule(self, failure: dict) -> str | None:
        if failure["rule"] == "unknown_provider":
            return self.provider(failure["provider"])
        more: tuple = ()
        if failure["rule"] in RULE_FILTERS:
            column, kind = RULE_FILTERS[failure["rule"]]
            more = ((column, kind, 1 if failure["rule"] == "tokens_below" else failure["limit"]),)
        return self.model(failure["provider"], failure["model"], *more)

    def bucket(self, column, bucket: dict) -> str | None:
        bounds = [(column, FilterGreater, bucket["greater_than"]), (column, FilterSmaller, bucket["smaller_than"])]
        return self.listing(PluginPrompt, *(b for b in bounds if b[2] is not None))

    def temperature(self, bucket: dict) -> str | None:
        return self.bucket(PROMPT_COLUMNS.temperature, bucket)

    def tokens(self, bucket: dict) -> str | None:
        return self.bucket(PROMPT_COLUMNS.max_completion_tokens, bucket)

    def plugin_class(self, value: str) -> str | None:
        return self.listing(PluginMeta, (PluginMeta.__table__.c.plugin_class, FilterEqual, value))

    def directive(self, value: str) -> str | None:
        return self.listing(PluginSelector, (PluginSelector.__table__.c.directive, FilterEqual, value))

    def kind(self, kind: str) -> str | None:
        return self.listing(KINDS[kind])


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: ``share`` is its length in percent of the longest bar."""

    label: str
    count: int
    share: float
    url: str | None
    title: str


def bars(items: list[dict], label, url, title) -> list[Bar]:
    """Bars for ``items`` (dicts with a ``count``); ``label``, ``url`` and ``title`` read one item."""
    longest = max((item["count"] for item in items), default=0) or 1
    return [Bar(label(i), i["count"], 100 * i["count"] / longest, url(i), title(i)) for i in items]


def _prompts(n: int) -> str:
    return f"{n:,} prompt{'s' if n != 1 else ''}"


def charts(stats: dict, links: Links) -> dict[str, list[Bar]]:
    return {
        "providers": bars(
            stats["by_provider"], lambda p: p["provider"], lambda p: links.provider(p["provider"]),
            lambda p: f"{p['provider']}: {_prompts(p['count'])}",
        ),
        "models": bars(
            stats["by_model"][:TOP_MODELS], lambda p: p["model"], lambda p: links.model(p["provider"], p["model"]),
            lambda p: f"{p['provider']} {p['model']}: {_prompts(p['count'])}",
        ),
        "temperature": bars(
            stats["temperature"], lambda b: b["label"], links.temperature,
            lambda b: f"temperature {_range(b)}: {_prompts(b['count'])}",
        ),
        "tokens": bars(
            stats["tokens"], lambda b: b["label"], links.tokens,
            lambda b: f"max_completion_tokens {_range(b)}: {_prompts(b['count'])}",
        ),
        "plugin_classes": bars(
            stats["plugin_classes"], lambda c: c["key"], lambda c: links.plugin_class(c["key"]),
            lambda c: f"{c['key']} plugins: {c['count']:,}",
        ),
        "directives": bars(
            stats["directives"], lambda d: d["key"], lambda d: links.directive(d["key"]),
            lambda d: f"selectors with directive {d['key']}: {d['count']:,}",
        ),
    }  # fmt: skip


def _range(bucket: dict) -> str:
    low, high = bucket["greater_than"], bucket["smaller_than"]
    if low is None:
        return f"below {high:g}"
    if high is None:
        return f"above {low:g}"
    return f"between {low:g} and {high:g}"


class DashboardView(RoleGate, AdminIndexView):
    """Readable by every role; the numbers come from the cache when warm (no SQL)."""

    @expose("/")
    def index(self):
        stats, links = dashboard_stats(), Links(self.admin)
        return self.render(
            "admin/dashboard.html",
            stats=stats,
            links=links,
            charts=charts(stats, links),
            top_models=TOP_MODELS,
            rule_titles=RULE_TITLES,
            elapsed=elapsed,
            compact=compact,
        )
