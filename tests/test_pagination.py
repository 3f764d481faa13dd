"""Paging large lists: the same rows as a plain OFFSET query, at the same cost on any page and size."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from plugin_admin import caching, demo
from plugin_admin.admin import lists as pagination
from plugin_admin.extensions import db
from plugin_admin.models import PluginMeta, PluginPrompt
from plugin_admin.models.gate import VALIDATED

from .factories import plugin
from .helpers import QueryCounter


def plain_page(stmt, model, page, size=pagination.PAGE_SIZE):
    """What a naive OFFSET query returns: the reference the fast path must match."""
    return list(db.session.scalars(stmt.with_only_columns(model.id).offset(page * size).limit(size)))


def ordered(model, sort, descending, where=None):
    """``select(model)`` filtered by ``where``, ordered by ``sort`` then the primary key, both one way."""
    stmt = sa.select(model) if where is None else sa.select(model).where(where)
    keys = [c.desc() if descending else c.asc() for c in (sort, model.id) if c is not None]
    return stmt.order_by(*keys)


def pages_to_check(total, size=pagination.PAGE_SIZE):
    last = max((total - 1) // size, 0)
    return sorted({0, 1, last // 2, last // 2 + 1, last - 1, last, last + 1} - {-1})


LISTS = [
    (PluginMeta, PluginMeta.updated_at, True, None),
    (PluginMeta, PluginMeta.name, False, None),
    (PluginMeta, PluginMeta.plugin_class, True, None),  # few values: ties everywhere
    (PluginMeta, None, False, PluginMeta.name.like("%billing%")),
    (PluginPrompt, PluginPrompt.temperature, True, PluginPrompt.provider == "openai"),
]


@pytest.fixture(params=[10, 10_000])
def seeded(request):
    """An app context on 10 freshly seeded plugins, or on the session's 10,000."""
    if request.param == 10_000:
        app = request.getfixturevalue("large_app")
    else:
        app = request.getfixturevalue("app")
        with app.app_context():
            demo.seed(request.param)
    with app.app_context():
        yield


def test_pages_match_a_plain_offset_query(seeded):
    for model, sort, descending, where in LISTS:
        stmt = ordered(model, sort, descending, where)
        total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
        assert pagination.count(db.session, stmt, model) == total
        for page in pages_to_check(total):
            expected = plain_page(stmt, model, page)
            assert pagination.page_ids(db.session, stmt, model, page, total) == expected, page
            total_, records = pagination.fetch(db.session, stmt, model, page)
            assert (total_, [r.id for r in records]) == (total, expected)


def test_ordering_ends_with_the_primary_key_in_the_sort_direction():
    assert pagination.ordering(sa.select(PluginMeta).order_by(PluginMeta.name.desc()), PluginMeta) == [
        (PluginMeta.name.expression, True),
        (PluginMeta.id, True),
    ]
    assert pagination.ordering(sa.select(PluginMeta), PluginMeta) == [(PluginMeta.id, False)]
    by_id = sa.select(PluginMeta).order_by(PluginMeta.id.desc())
    assert [d for _, d in pagination.ordering(by_id, PluginMeta)] == [True]


def test_every_row_appears_once_across_pages_with_equal_sort_keys(app_context):
    demo.seed(95)
    same_time = sa.update(PluginMeta).values(updated_at=datetime(2026, 1, 1, tzinfo=UTC))
    db.session.execute(same_time, execution_options=VALIDATED)  # a timestamp: no rule to break
    db.session.commit()
    stmt = sa.select(PluginMeta).order_by(PluginMeta.updated_at.desc())
    seen = []
    for page in range(5):
        seen += pagination.page_ids(db.session, stmt, PluginMeta, page, 95)
    assert seen == sorted(seen, reverse=True) and len(seen) == 95  # ties fall back to id


def statements_per_page(queries, model, options=()):
    """Statements for the first, middle and last page: ``(first view, next view)`` of each,
    the first after a committed change (the total counted beforehand)."""
    stmt = sa.select(model).order_by(model.updated_at.desc())
    counts = []
    for position in (0, 0.5, 1):
        caching.drop(caching.GENERATION_KEY)  # what any commit does
        total = pagination.count(db.session, stmt, model)
        page = int((total - 1) // pagination.PAGE_SIZE * position)
        views = []
        for _ in range(2):
            db.session.expunge_all()
            with queries:
                total_, records = pagination.fetch(db.session, stmt, model, page, options=options)
                [(r.id, r.plugin.name) for r in records]  # the columns a list shows
            views.append(queries.count)
        counts.append(tuple(views))
    return counts


def test_statements_per_page_are_the_same_at_10_and_10000_rows(app, large_app):
    eager = (joinedload(PluginPrompt.plugin),)
    with app.app_context():
        demo.seed(10)
        small = statements_per_page(QueryCounter(db.engine), PluginPrompt, eager)
    with large_app.app_context():
        large = statements_per_page(QueryCounter(db.engine), PluginPrompt, eager)
    # The page's ids, then its rows with their plugins; the next view finds the ids cached.
    assert small == large == [(2, 1)] * 3


def test_a_pages_ids_are_walked_again_after_a_committed_change(app_context):
    demo.seed(30)
    stmt = sa.select(PluginMeta).order_by(PluginMeta.updated_at.desc())
    first = pagination.page_ids(db.session, stmt, PluginMeta, 0, 30)
    plugin("newest")
    assert pagination.page_ids(db.session, stmt, PluginMeta, 0, 31) == [31, *first[:19]]


def test_total_is_cached_until_a_committed_change(app_context, queries):
    plugin("one")
    stmt = sa.select(PluginMeta)
    assert pagination.count(db.session, stmt, PluginMeta) == 1
    with queries:
        assert pagination.count(db.session, stmt, PluginMeta) == 1
    assert queries.count == 0
    plugin("two", commit=False)
    db.session.flush()
    assert pagination.count(db.session, stmt, PluginMeta) == 2  # this session's own flush: counted afresh ...
    db.session.rollback()
    assert pagination.count(db.session, stmt, PluginMeta) == 1  # ... and never cached for others
    plugin("three")
    assert pagination.count(db.session, stmt, PluginMeta) == 2


def test_filters_are_counted_apart(app_context):
    plugin("alpha")
    plugin("beta")

    def where(name):
        return sa.select(PluginMeta).where(PluginMeta.name == name)

    assert pagination.count(db.session, where("alpha"), PluginMeta) == 1
    assert pagination.count(db.session, where("gamma"), PluginMeta) == 0
    assert pagination.count(db.session, sa.select(PluginMeta), PluginMeta) == 2


def test_pages_past_the_end_are_empty(app_context):
    plugin()
    assert pagination.fetch(db.session, sa.select(PluginMeta), PluginMeta, page=1) == (1, [])
    assert pagination.page_ids(db.session, sa.select(PluginMeta), PluginMeta, -1, 1) == []


def test_every_order_of_a_list_shares_one_total(app_context, queries):
    plugin("one")
    unsorted = sa.select(PluginPrompt)
    by_plugin = sa.select(PluginPrompt).outerjoin(PluginPrompt.plugin).order_by(PluginMeta.name)
    assert pagination.fetch(db.session, unsorted.order_by(PluginPrompt.id), PluginPrompt, unsorted=unsorted)[0] == 1
    with queries:
        total, records = pagination.fetch(db.session, by_plugin, PluginPrompt, unsorted=unsorted)
    assert (total, len(records), queries.count) == (1, 1, 2)  # the ids and the rows: no count
