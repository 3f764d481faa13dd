"""Admin list pages issue the same statements at 10,000 rows as at 10, on every page."""

import html
import re
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from plugin_admin import demo
from plugin_admin.extensions import db
from plugin_admin.models import PluginData, PluginMeta, PluginPrompt, PluginSelector

from .factories import plugin
from .helpers import AuthActions, QueryCounter

pytestmark = pytest.mark.slow
LISTS = ("pluginmeta", "pluginprompt", "pluginselector", "plugindata")


def shown_total(body: str) -> int:
    found = re.search(r"List\s*\((\d+)\)", body)  # Flask-Admin leaves out a total of 0
    return int(found.group(1)) if found else 0


def pages(client, endpoint: str) -> list[tuple[str, int]]:
    """``(path, page)``: first, middle and last pages of the list, a search, and sorts."""
    base = f"/admin/{endpoint}/"
    with client.application.app_context():
        topic = db.session.get(PluginMeta, 1).name.split("_")[0]  # a term that finds rows on every list
    last = max(shown_total(client.get(base).get_data(as_text=True)) - 1, 0) // 20
    return [
        (base, 0),
        (f"{base}?page={last // 2}", last // 2),
        (f"{base}?page={last}", last),
        (f"{base}?search={topic}", 0),
        (f"{base}?sort=0&desc=1", 0),
        (f"{base}?page={last}&sort=0", last),
    ]


def statements(client, queries) -> dict[str, int]:
    """Statements per list page once its total is cached (a change drops it; the first view recounts)."""
    counts = {}
    for endpoint in LISTS:
        for index, (path, page) in enumerate(pages(client, endpoint)):
            assert client.get(path).status_code == 200, path
            with queries:
                body = client.get(path).get_data(as_text=True)
            rows = len(re.findall(r'name="rowid"', body))
            assert rows == min(20, shown_total(body) - page * 20) and rows > 0, path
            counts[f"{endpoint} #{index}"] = queries.count
    return counts


def test_list_pages_cost_the_same_at_10_and_10000_plugins(app, client, auth, queries, large_app):
    auth.login("admin")
    with app.app_context():
        demo.seed(10)
    small = statements(client, queries)
    large_client = large_app.test_client()
    AuthActions(large_client).login("admin")
    with large_app.app_context():
        large = statements(large_client, QueryCounter(db.engine))
    assert small == large
    assert max(large.values()) <= 2  # the page's ids, then its rows with what they show


def test_a_change_is_listed_at_once_and_counted_and_walked_once(client, auth, queries, app_context):
    """Totals and a page's ids are cached; the next view after a commit anywhere derives them again."""
    auth.login("admin")
    demo.seed(30)
    client.get("/admin/pluginmeta/")
    with queries:
        client.get("/admin/pluginmeta/")
    assert queries.count == 2  # the session check and the rows: total and ids come from the cache
    with Session(db.engine) as elsewhere:  # a change made apart from the requests' session
        changed = elsewhere.get(PluginMeta, 1)
        changed.description = "changed"
        elsewhere.commit()
        name = changed.name
    with queries:
        body = client.get("/admin/pluginmeta/").get_data(as_text=True)
    assert queries.count == 4 and "List (30)" in body.replace("\n", "")  # the session check, total, ids, rows
    assert listed_names(body)[0] == name  # most recently updated first
    with queries:
        client.get("/admin/pluginmeta/")
    assert queries.count == 2


def listed_names(body: str) -> list[str]:
    """The plugin names of a plugin list page, in order (each its row's link)."""
    return re.findall(r'<td class="col-name">\s*<a href="[^"]+" class="row-link">([^<]+)</a>', body)


def admin_view(app, endpoint: str):
    return next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", "") == endpoint)


def rows(body: str) -> list[list[tuple]]:
    """Each table row's cells as (tag, attributes, text) with URLs decoded, and whitespace, quoting
    and the CSRF token's time stamp (it differs from request to request) aside."""
    body = re.sub(r'(name="csrf_token"[^>]*? value=")[^"]*', r"\1token", body)
    start = body.index("</thead>", body.index('class="table table-striped table-bordered table-hover model-list"'))
    tbody = body[start : body.index("</table>", start)]
    return [
        [(tag, tuple(sorted((k, unquote(html.unescape(v))) for k, v in re.findall(r'(\w+)="([^"]*)"', attrs))),
          " ".join(text.split()))
         for tag, attrs, text in re.findall(r"<(td|a|form|input|button|span)\b([^>]*)>([^<]*)", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", tbody, re.S)
    ]  # fmt: skip


@pytest.mark.parametrize("endpoint", ["pluginmeta", "pluginprompt"])
def test_rows_are_flask_admins_and_delete_works(app, app_context, client, auth, endpoint):
    """The fast row block writes what Flask-Admin's writes: every cell, button and link (its row
    checkbox labelled by a ``<label>`` rather than a ``title``)."""
    auth.login("admin")
    demo.seed(25)
    view = admin_view(app, endpoint)
    fast = client.get(f"/admin/{endpoint}/?page=1").get_data(as_text=True)
    view.list_template = "admin/model/list.html"
    try:
        stock = client.get(f"/admin/{endpoint}/?page=1").get_data(as_text=True)
    finally:
        del view.list_template
    labels = re.findall(r'<label class="sr-only" for="select-(r\w+)">Select ', fast)
    assert labels == re.findall(r'id="select-(r\w+)"', fast)
    labelled = re.sub(r' id="select-r\w+"', ' title="Select record"', fast)
    assert rows(labelled) == rows(stock) and len(rows(fast)) > 0
    buttons = {tag for row in rows(fast) for tag, _, _ in row}
    assert {"td", "a", "form", "input", "button", "span"} <= buttons
    form = re.search(r'<form class="icon" method="POST" action="([^"]+)">(.*?)</form>', fast, re.S)
    fields = dict(re.findall(r'name="(\w+)" type="hidden" value="([^"]*)"', form.group(2)))
    assert set(fields) == {"id", "url", "csrf_token"}
    assert client.post(form.group(1), data=fields).status_code == 302
    assert view.get_one(fields["id"]) is None


@pytest.mark.parametrize(
    "search, found",
    [("WEATHER", {"weather_faq", "weather_helper"}), ("^billing", {"billing_faq"}), ("faq weather", {"weather_faq"}),
     ("=weather_faq", {"weather_faq"}), ("nothing", set())],
)  # fmt: skip
def test_search_ignores_case_and_keeps_flask_admins_syntax(client, auth, app_context, search, found):
    for name in ("weather_faq", "weather_helper", "billing_faq"):
        plugin(name)
    auth.login("viewer")
    body = client.get("/admin/pluginmeta/", query_string={"search": search}).get_data(as_text=True)
    names = set(listed_names(body))
    assert names == found


FILTERED_LISTS = [(view, column) for view, model in
                  (("pluginmeta", PluginMeta), ("pluginselector", PluginSelector), ("pluginprompt", PluginPrompt),
                   ("plugindata", PluginData))
                  for column in model.filtered_columns]  # fmt: skip


@pytest.mark.parametrize("endpoint, column", FILTERED_LISTS)
def test_a_filtered_page_is_read_off_an_index_in_list_order(app, app_context, client, auth, queries, endpoint, column):
    """Filtering by a value and listing in the default order needs no sort of the matches."""
    auth.login("admin")
    demo.seed(30)
    view = admin_view(app, endpoint)
    arg = next(f"flt0_{key}" for key, (_, flt) in view._filter_args.items()
               if flt.column.key == column and flt.operation() == "equals")  # fmt: skip
    attribute = getattr(view.model, column)
    value = db.session.scalar(sa.select(attribute).where(attribute.is_not(None), attribute != "").limit(1))
    with queries:
        assert client.get(f"/admin/{endpoint}/", query_string={arg: value}).status_code == 200
    walk = next(i for i, sql in enumerate(queries.statements) if " LIMIT " in sql and "count(" not in sql)
    connection = db.session.connection()
    if db.engine.dialect.name == "postgresql":  # on 30 rows it would rather sort: tell it not to where it can
        connection.exec_driver_sql("SET LOCAL enable_sort = off")
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        explain = "EXPLAIN"
    else:
        explain = "EXPLAIN QUERY PLAN"
    rows = connection.exec_driver_sql(f"{explain} {queries.statements[walk]}", queries.parameters[walk])
    plan = "\n".join(str(row[-1]) for row in rows)
    assert f"ix_{view.model.__tablename__}_{column}_updated_at_id" in plan, plan
    assert "TEMP B-TREE" not in plan and not re.search(r"\bSort\b", plan), plan
