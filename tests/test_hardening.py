"""SPEC §8 against the running app: bad input is a 4xx with a clear message (never a 5xx),
CSV exports are plain text without formulas, sessions end on the server, logins are throttled,
an unreachable database answers 503."""

import csv
import io
import json
import re
import time

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from plugin_admin import hashing, serialization
from plugin_admin.extensions import db
from plugin_admin.models import PluginData, PluginMeta, User
from plugin_admin.serialization import MAX_DEPTH, csv_cell
from plugin_admin.validation import ValidationError
from tests import factories
from tests.helpers import PASSWORD, AuthActions, csrf_token

PAST_64_BITS = "rOTk5OTk5OTk5OTk5OTk5OTk5OQx"
"""A well-formed hashed id of 99999999999999999999 - HASH_FLOOR: past any BIGINT."""
DEEP_JSON = "[" * 10_000 + "]" * 10_000
LONG_TERM = "a" * 100_000
NUL = "plugin\x00name"


@pytest.fixture
def record(app_context):
    return factories.plugin("weather")


def body(response) -> str:
    return response.get_data(as_text=True)


# --- ids past the 64-bit range -------------------------------------------------------------


def test_an_id_past_the_64_bit_range_decodes_to_none():
    assert hashing.id_from_hashed_id(PAST_64_BITS) is None
    largest = hashing.hashed_id(hashing.MAX_PK)
    assert hashing.id_from_hashed_id(largest) == hashing.MAX_PK
    assert hashing.id_from_hashed_id(hashing.hashed_id(hashing.MAX_PK + 1)) is None
    assert hashing.parse_locator(f"pluginmeta-{PAST_64_BITS}") is None


BIG_ID_GETS = [
    ("/admin/pluginmeta/details/?id=" + PAST_64_BITS, 302),
    ("/admin/pluginmeta/edit/?id=" + PAST_64_BITS, 302),
    ("/admin/pluginmeta/manifest/?id=" + PAST_64_BITS, 404),
    ("/admin/pluginprompt/details/?id=" + PAST_64_BITS, 302),
    ("/l/pluginmeta-" + PAST_64_BITS, 404),
    ("/l/pluginmeta-" + PAST_64_BITS + ".json", 404),
    ("/l/pluginmeta-" + PAST_64_BITS + ".yaml", 404),
    ("/l/pluginprompt-" + PAST_64_BITS + ".json", 404),
]


@pytest.mark.parametrize(("url", "status"), BIG_ID_GETS)
def test_an_id_past_the_64_bit_range_finds_nothing_on_every_route(client, auth, record, url, status):
    auth.login("admin")
    assert client.get(url).status_code == status


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/admin/pluginmeta/delete/", {"id": PAST_64_BITS}),
        ("/admin/pluginmeta/action/", {"action": "delete", "rowid": PAST_64_BITS}),
        ("/admin/pluginmeta/action/", {"action": "export_manifests", "rowid": PAST_64_BITS}),
    ],
)
def test_bulk_actions_and_delete_ignore_an_id_past_the_64_bit_range(client, auth, record, url, data):
    auth.login("admin")
    token = csrf_token(client, "/admin/pluginmeta/")
    assert client.post(url, data={**data, "csrf_token": token}).status_code == 302
    assert db.session.get(PluginMeta, record.id) is not None


def test_the_prompt_forms_plugin_field_refuses_an_id_past_the_64_bit_range(client, auth, record):
    auth.login("editor")
    token = csrf_token(client, "/admin/pluginprompt/new/")
    form = {"plugin": PAST_64_BITS, "provider": "openai", "model": "gpt-4o-mini", "temperature": "0.5"}
    response = client.post(
        "/admin/pluginprompt/new/", data={**form, "max_completion_tokens": "10", "csrf_token": token}
    )
    assert response.status_code == 200
    assert "Nothing was saved" in body(response) or "Not a valid choice" in body(response)


# --- JSON nested too deeply -------------------------------------------------------------------


def test_one_depth_limit_for_json_and_yaml_text():
    assert serialization.parse_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    for text in ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), DEEP_JSON):
        with pytest.raises(ValueError, match="nested more than"):
            serialization.parse_json(text)
        with pytest.raises(ValueError, match="nested more than"):
            serialization.parse_yaml(text)
    with pytest.raises(ValueError, match="nested more than"):
        serialization.data_to_dict('{"a": ' + DEEP_JSON + "}")


def test_the_write_gate_refuses_json_nested_too_deeply(app_context):
    deep = []
    for _ in range(5_000):
        deep = [deep]
    with pytest.raises(ValidationError) as raised:
        factories.plugin("deep", annotations=deep)
    assert "nested more than" in str(raised.value.errors["annotations"])
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PluginMeta)) == 0


def test_json_form_fields_refuse_10000_levels_with_a_field_error(client, auth, record):
    auth.login("editor")
    token = csrf_token(client, "/admin/pluginmeta/new/")
    response = client.post(
        "/admin/pluginmeta/new/",
        data={"name": "deep", "version": "1.0.0", "annotations": DEEP_JSON, "csrf_token": token},
    )
    assert response.status_code == 200 and "nested more than" in body(response)
    data = record.plugin_data_plugin
    token = csrf_token(client, f"/admin/plugindata/edit/?id={data.hashed_id}")
    response = client.post(
        f"/admin/plugindata/edit/?id={data.hashed_id}",
        data={"plugin": record.hashed_id, "static_data": DEEP_JSON, "opened_version": data.row_version,
              "csrf_token": token},
    )  # fmt: skip
    assert response.status_code == 200 and "nested more than" in body(response)
    db.session.expire_all()
    assert db.session.get(PluginData, data.id).static_data == {"answer": 42}


# --- over-long search terms, offsets ------------------------------------------------------------


@pytest.mark.parametrize("view", ["pluginmeta", "pluginprompt", "plugindata", "user"])
def test_a_100_kb_search_is_a_400_that_says_why(client, auth, record, view):
    auth.login("admin")
    response = client.get(f"/admin/{view}/", query_string={"search": LONG_TERM})
    assert response.status_code == 400 and "searches are limited to" in body(response)


def test_a_100_kb_lookup_term_and_a_30_digit_offset_never_fail(client, auth, record):
    auth.login("editor")
    lookup = "/admin/pluginprompt/ajax/lookup/"
    response = client.get(lookup, query_string={"name": "plugin", "query": LONG_TERM})
    assert response.status_code == 400 and "searches are limited to" in body(response)
    response = client.get(lookup, query_string={"name": "plugin", "query": "wea", "offset": "9" * 30})
    assert response.status_code == 200 and response.json == []
    response = client.get(lookup, query_string={"name": "plugin", "query": "wea", "offset": "-5", "limit": "9" * 30})
    assert response.status_code == 200 and response.json == [[record.hashed_id, "weather"]]


# --- NUL characters -------------------------------------------------------------------------------

NUL_GETS = [
    "/admin/pluginmeta/?search=a%00b",
    "/admin/pluginmeta/?flt0_author_equals=a%00b",
    "/admin/pluginprompt/?flt0_plugin_name_contains=%00",
    "/admin/pluginprompt/ajax/lookup/?name=plugin&query=%00",
    "/admin/pluginmeta/export/csv/?search=%00",
    "/admin/user/?search=%00",
    "/admin/pluginmeta/details/?id=%00",
]


@pytest.mark.parametrize("url", NUL_GETS)
def test_a_nul_in_the_address_is_a_400_that_says_why(client, auth, record, url):
    auth.login("admin")
    response = client.get(url)
    assert response.status_code == 400 and "NUL character" in body(response)


def test_a_nul_in_the_user_form_is_a_field_error(client, auth, app_context):
    auth.login("admin")
    token = csrf_token(client, "/admin/user/new/")
    response = client.post(
        "/admin/user/new/", data={"username": NUL, "role": "viewer", "password": "long enough", "csrf_token": token}
    )
    assert response.status_code == 200 and "NUL character" in body(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 3


def test_a_nul_in_the_login_form_is_a_field_error(client, users):
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"username": NUL, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 200 and "NUL character" in body(response)


# --- CSV exports ----------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://x","y")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\tx", "\rx"]


def test_one_cell_writer_neutralises_formulas_and_strips_html():
    from markupsafe import Markup

    for formula in FORMULAS:
        assert csv_cell(formula) == "'" + formula
    assert csv_cell(Markup('<a href="/admin/x">weather &amp; co</a>')) == "weather & co"
    assert csv_cell(None) == "" and csv_cell(3) == "3" and csv_cell("<b>plain</b>") == "<b>plain</b>"


def exported(client, view) -> list[list[str]]:
    response = client.get(f"/admin/{view}/export/csv/")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(body(response))))


def test_csv_exports_hold_plain_text_without_formulas(client, auth, app_context):
    stored = FORMULAS[:4]  # the clean step strips the leading tab and CR of the others
    for number, formula in enumerate(stored):
        factories.plugin(f"p{number}", author=formula)
    auth.login("viewer")
    rows = exported(client, "pluginmeta")
    authors = {row[3] for row in rows[1:]}
    assert authors == {"'" + f for f in stored}
    for view in ("pluginselector", "pluginprompt", "plugindata"):
        rows = exported(client, view)
        assert not any("<" in cell for row in rows for cell in row), view
        assert {row[0] for row in rows[1:]} == {f"p{n}" for n in range(len(stored))}, view


# --- sessions end on the server -----------------------------------------------------------------


def saved_cookie(client) -> str:
    return client.get_cookie("session").value


def replay(client, cookie: str) -> int:
    """The status of the dashboard with a session cookie saved earlier (302: sent to the login page)."""
    client.set_cookie("session", cookie)
    return client.get("/admin/").status_code


def test_a_cookie_from_before_logout_is_logged_out(client, auth):
    auth.login("viewer")
    cookie = saved_cookie(client)
    assert replay(client, cookie) == 200
    auth.logout()
    assert replay(client, cookie) == 302


@pytest.mark.parametrize(
    "change",
    [
        lambda user: user.set_password("a brand new password"),
        lambda user: setattr(user, "role", "admin"),
        lambda user: setattr(user, "active", False),
    ],
    ids=["password", "role", "deactivation"],
)
def test_a_cookie_from_before_a_change_of_the_user_is_logged_out(client, auth, app_context, change):
    auth.login("editor")
    cookie = saved_cookie(client)
    user = db.session.scalar(sa.select(User).filter_by(username="editor"))
    change(user)
    db.session.commit()
    assert replay(client, cookie) == 302


def test_an_unrelated_save_keeps_sessions_and_an_admin_editing_themself_stays_in(client, auth, users, app_context):
    auth.login("viewer")
    viewer_cookie = saved_cookie(client)
    db.session.get(User, users["viewer"].id).username = "viewer"  # unchanged
    db.session.get(User, users["editor"].id).role = "admin"  # another user
    db.session.commit()
    assert replay(client, viewer_cookie) == 200
    client.delete_cookie("session")
    auth.login("admin")
    admin = users["admin"]
    token = csrf_token(client, f"/admin/user/edit/?id={admin.hashed_id}")
    form = {"username": "admin", "role": "admin", "active": "y", "password": "another good one"}
    response = client.post(
        f"/admin/user/edit/?id={admin.hashed_id}",
        data={**form, "opened_version": admin.row_version, "csrf_token": token},
    )
    assert response.status_code == 302  # saved: the unique username is its own
    assert client.get("/admin/").status_code == 200


def test_the_session_check_reads_the_database_not_the_cache(client, auth, users, app_context):
    auth.login("editor")
    User.get_cached_object(pk=users["editor"].id)  # a cached copy that says active
    # plain SQL, past every hook and every invalidation: only the database knows
    db.session.execute(sa.text("UPDATE user_account SET active = :no WHERE username = 'editor'"), {"no": False})
    db.session.commit()
    assert client.get("/admin/").status_code == 302


# --- login throttling ---------------------------------------------------------------------------


def login(client, username, password):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def test_ten_failures_per_account_then_429_with_retry_after_even_for_the_right_password(client, users):
    for _ in range(10):
        assert login(client, "editor", "wrong password").status_code == 200
    response = login(client, "editor", PASSWORD)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many failed logins" in body(response) and "Plugin Prompt Admin" in body(response)


def test_the_account_limit_holds_from_another_address_and_the_address_limit_for_other_accounts(make_app, users):
    app = make_app(LOGIN_FAILURE_LIMIT="3 per 15 minutes")
    with app.app_context():
        db.session.add(User(username="other", role="viewer", password_hash=users["viewer"].password_hash))
        db.session.commit()
    first, second = app.test_client(), app.test_client()
    for _ in range(3):
        login(first, "editor", "wrong")
    second.environ_base["REMOTE_ADDR"] = "127.0.0.2"
    assert login(second, "editor", PASSWORD).status_code == 429  # the account's limit
    assert login(second, "viewer", PASSWORD).status_code == 302  # another account, another address
    assert login(first, "other", PASSWORD).status_code == 429  # the first address's limit


def test_successful_logins_do_not_count(make_app, users):
    app = make_app(LOGIN_FAILURE_LIMIT="2 per 15 minutes")
    client = app.test_client()
    for _ in range(4):
        assert login(client, "viewer", PASSWORD).status_code == 302
        client.delete_cookie("session")


def test_unknown_accounts_cost_the_same_as_known_ones(make_app, users):
    app = make_app(LOGIN_FAILURE_LIMIT="1000 per minute")
    with app.app_context():  # a real-strength hash, as create-user makes
        db.session.add(User(username="strong", role="viewer", password_hash=generate_password_hash(PASSWORD)))
        db.session.commit()
    client = app.test_client()

    def cost(username) -> float:
        token = csrf_token(client, "/login")
        start = time.perf_counter()
        client.post("/login", data={"username": username, "password": "wrong password", "csrf_token": token})
        return time.perf_counter() - start

    cost("strong"), cost("nobody")  # warm both paths
    known = sorted(cost("strong") for _ in range(3))[1]
    unknown = sorted(cost("nobody") for _ in range(3))[1]
    assert 0.5 < unknown / known < 2, (known, unknown)


# --- an unreachable database -----------------------------------------------------------------------


def dead_database_client(make_app, login=True):
    """A client of an app whose database URL points where nothing listens (127.0.0.1:9, discard),
    with the session cookie and CSRF token it had while the database was there: an editor's
    session, or (``login=False``) a login form."""
    live = make_app().test_client()
    if login:
        AuthActions(live).login("editor")
    token = csrf_token(live, "/admin/" if login else "/login")
    dead = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:9/test?connect_timeout=2")
    client = dead.test_client()
    client.set_cookie("session", live.get_cookie("session").value)
    return client, token


@pytest.mark.parametrize("url", ["/admin/", "/admin/pluginmeta/", "/admin/pluginmeta/details/?id=rMTAwMDAwMQx",
                                 "/admin/pluginprompt/", "/l/pluginmeta-rMTAwMDAwMQx.json"])  # fmt: skip
def test_every_page_answers_503_with_retry_after_when_the_database_is_away(make_app, users, url):
    client, _ = dead_database_client(make_app)
    response = client.get(url)
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert "database cannot be reached" in body(response) and "Traceback" not in body(response)


def test_a_save_and_a_new_login_answer_503_and_the_probes_say_so(make_app, users):
    client, token = dead_database_client(make_app)
    response = client.post("/admin/pluginmeta/new/", data={"name": "x", "csrf_token": token})
    assert response.status_code == 503 and "Retry-After" in response.headers
    client, token = dead_database_client(make_app, login=False)
    response = client.post("/login", data={"username": "editor", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 503 and "Retry-After" in response.headers
    assert client.get("/readiness").status_code == 503
    assert json.loads(body(client.get("/readiness")))["checks"]["database"] == "unavailable"
    assert client.get("/healthz").status_code == 200


def test_integer_ids_and_garbage_session_ids_are_logged_out(client, users):
    for value in ("1", "rMTAwMDAwMQx", "rMTAwMDAwMQx.", ".token", "x" * 300, PAST_64_BITS + ".t"):
        with client.session_transaction() as session:
            session["_user_id"] = value
        assert client.get("/admin/").status_code == 302, value
    assert re.fullmatch(r"r[\w-]+x\.[\w-]{32}", users["viewer"].get_id())
