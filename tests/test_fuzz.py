"""Property-based fuzzing (hypothesis) of ids, locators, searches and forms: no input gets a 5xx.

Examples are bounded (``EXAMPLES`` per test) and derandomized, so a run costs the same every
time and a failure is reproduced by the next run.
"""

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin_admin import hashing
from tests import factories
from tests.helpers import csrf_token

EXAMPLES = 60
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
"""Any text a browser can send (surrogates cannot be encoded), NUL and control characters included."""
ID_LIKE = st.one_of(
    TEXT,
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.integers(min_value=-(2**70), max_value=2**70).map(
        lambda n: hashing.hashed_id(n) if n > -hashing.HASH_FLOOR else str(n)
    ),
    st.from_regex(r"r[A-Za-z0-9_-]{0,40}x", fullmatch=True),
)
"""Hashed ids, near-misses and junk."""


def no_server_error(response, what):
    assert response.status_code < 500, (what, response.status_code)


@given(value=ID_LIKE)
@settings(max_examples=300, deadline=None, derandomize=True, database=None)
def test_decoding_never_raises_and_stays_in_the_bigint_range(value):
    pk = hashing.id_from_hashed_id(value)
    assert pk is None or (1 <= pk <= hashing.MAX_PK and hashing.hashed_id(pk) == value)
    parsed = hashing.parse_locator(f"pluginmeta-{value}")
    assert parsed is None or parsed == ("pluginmeta", pk)
    found = hashing.find_hash(f"x-{value}-y")
    assert found is None or hashing.id_from_hashed_id(found) is not None


@pytest.fixture
def admin_client(client, auth, app_context):
    factories.plugin("weather")
    auth.login("admin")
    return client


@FUZZ
@given(value=ID_LIKE, view=st.sampled_from(["pluginmeta", "pluginprompt", "plugindata", "user"]),
       route=st.sampled_from(["details", "edit", "manifest"]))  # fmt: skip
def test_ids_in_admin_urls_never_fail(admin_client, value, view, route):
    response = admin_client.get(f"/admin/{view}/{route}/", query_string={"id": value})
    no_server_error(response, (view, route, value))


@FUZZ
@given(value=ID_LIKE, prefix=st.sampled_from(["pluginmeta", "pluginprompt", "user", "", "x"]),
       suffix=st.sampled_from(["", ".json", ".yaml"]))  # fmt: skip
def test_locators_never_fail(admin_client, value, prefix, suffix):
    response = admin_client.get("/l/" + quote(f"{prefix}-{value}{suffix}", safe=""))
    no_server_error(response, (prefix, value, suffix))


@FUZZ
@given(search=TEXT, flt=TEXT, query=TEXT, offset=st.one_of(TEXT, st.integers().map(str)), limit=TEXT)
def test_searches_filters_lookups_and_exports_never_fail(admin_client, search, flt, query, offset, limit):
    for url, args in (
        ("/admin/pluginmeta/", {"search": search, "flt0_author_equals": flt}),
        ("/admin/pluginprompt/", {"search": search, "flt0_plugin_name_contains": flt, "page": offset}),
        ("/admin/pluginmeta/export/csv/", {"search": search}),
        ("/admin/pluginprompt/ajax/lookup/", {"name": "plugin", "query": query, "offset": offset, "limit": limit}),
    ):
        no_server_error(admin_client.get(url, query_string=args), (url, args))


@FUZZ
@given(name=TEXT, version=TEXT, tags=TEXT, annotations=TEXT, author=TEXT, rowid=ID_LIKE)
def test_the_plugin_form_and_bulk_actions_never_fail(admin_client, name, version, tags, annotations, author, rowid):
    token = csrf_token(admin_client, "/admin/pluginmeta/new/")
    form = {"name": name, "version": version, "tags": tags, "annotations": annotations, "author": author}
    no_server_error(admin_client.post("/admin/pluginmeta/new/", data={**form, "csrf_token": token}), form)
    for action in ("delete", "export_manifests"):
        data = {"action": action, "rowid": rowid, "csrf_token": token}
        no_server_error(admin_client.post("/admin/pluginmeta/action/", data=data), data)


@FUZZ
@given(plugin=ID_LIKE, provider=TEXT, model=TEXT, temperature=TEXT, tokens=TEXT, system_role=TEXT)
def test_the_prompt_form_never_fails(admin_client, plugin, provider, model, temperature, tokens, system_role):
    token = csrf_token(admin_client, "/admin/pluginprompt/new/")
    form = {"plugin": plugin, "provider": provider, "model": model, "temperature": temperature,
            "max_completion_tokens": tokens, "system_role": system_role, "csrf_token": token}  # fmt: skip
    no_server_error(admin_client.post("/admin/pluginprompt/new/", data=form), form)


@FUZZ
@given(static_data=TEXT, parameters=TEXT, limit=TEXT, method=TEXT)
def test_the_plugin_data_form_never_fails(admin_client, static_data, parameters, limit, method):
    token = csrf_token(admin_client, "/admin/plugindata/new/")
    form = {"plugin": hashing.hashed_id(1), "static_data": static_data, "parameters": parameters, "limit": limit,
            "method": method, "csrf_token": token}  # fmt: skip
    no_server_error(admin_client.post("/admin/plugindata/new/", data=form), form)


@FUZZ
@given(username=TEXT, role=TEXT, password=TEXT)
def test_the_user_and_login_forms_never_fail(admin_client, username, role, password):
    token = csrf_token(admin_client, "/admin/user/new/")
    form = {"username": username, "role": role, "password": password, "active": "y", "csrf_token": token}
    no_server_error(admin_client.post("/admin/user/new/", data=form), form)
    login = {"username": username, "password": password, "csrf_token": token}
    no_server_error(admin_client.post("/login", data=login), login)
