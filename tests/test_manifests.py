"""Smarter manifests: import, export, round trips, located errors and the CLI."""

import copy
import io
import json
import re
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from plugin_admin import manifests, validation
from plugin_admin.extensions import db
from plugin_admin.models import PluginData, PluginMeta, PluginPrompt, PluginSelector
from tests import factories

FIXTURES = Path(__file__).parent / "fixtures" / "manifests"
VALID = sorted((FIXTURES / "valid").iterdir())
PAIR = FIXTURES / "pair" / "lighthouse-cafe.yaml", FIXTURES / "pair" / "lighthouse-cafe-modified.yaml"
SHARED = next(
    (
        folder / "shared" / "fixtures" / "smarter-manifests"
        for folder in Path(__file__).resolve().parents
        if (folder / "shared" / "fixtures" / "smarter-manifests").is_dir()
    ),
    Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "smarter-manifests",
)
"""The Smarter samples in a ``shared`` folder above the repository; the project does not need them."""

OPENAI = "catalog: openai, openai-python types/chat/completion_create_params.py, checked 2026-11-27"
ANTHROPIC = (
    "catalog: anthropic, Anthropic Messages API under anthropic-version 2023-06-01"
    " (anthropic-sdk-python 0.121.0 types/message_create_params.py), checked 2026-12-01"
)
MODIFIED_FIELDS = [
    "metadata.description",
    "metadata.version",
    "metadata.tags",
    "metadata.annotations",
    "spec.selector.searchTerms",
    "spec.prompt.systemRole",
    "spec.data.description",
    "spec.data.staticData",
]
"""What the "modified" manifests change: temperature, model and maxTokens stay as they were."""


def plan_files(*paths) -> manifests.ImportPlan:
    return manifests.plan_import([doc for path in paths for doc in manifests.load_path(path)])


def import_files(*paths) -> manifests.ImportPlan:
    return manifests.apply(plan_files(*paths))


def import_text(text: str, source: str = "test.yaml") -> manifests.ImportPlan:
    return manifests.apply(manifests.plan_import(manifests.load_documents(text, source)))


def messages(problems) -> list[str]:
    return [str(p) for p in problems]


def plugin_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(PluginMeta))


def plugin(name: str) -> PluginMeta:
    return db.session.scalar(sa.select(PluginMeta).filter_by(name=name))


def locators(record: PluginMeta) -> list[str]:
    parts = (record.plugin_selector_plugin, record.plugin_prompt_plugin, record.plugin_data_plugin)
    return [record.record_locator, *(part.record_locator for part in parts)]


CLEANED = {
    "metadata.name": validation.normalise_name,
    "metadata.description": lambda v: (v or "").strip(),
    "metadata.version": lambda v: v or "1.0.0",
    "spec.prompt.provider": str.lower,
    "spec.prompt.systemRole": str.strip,
    "spec.data.description": lambda v: (v or "").strip(),
    "spec.sqlData.description": lambda v: (v or "").strip(),
    "spec.apiData.description": lambda v: (v or "").strip(),
    "spec.apiData.method": str.upper,
    "spec.connection": str.strip,
    "spec.sqlData.sqlQuery": str.strip,
    "spec.apiData.endpoint": lambda v: v.strip().rstrip("/") + "/",
}
"""What the models clean on the way in (every other value is stored as the manifest says)."""
AS_TEXT = re.compile(
    r"^spec\.(sql|api)Data\.(parameters\[\d+\]\.default|(testValues|headers|urlParams)\[\d+\]\.value)$"
)
"""Item values Smarter keeps as text: numbers and booleans are stored as JSON writes them."""


def assert_kept(original, exported, path=()) -> None:
    """Everything the original manifest says is in the export, as the documented rules store it."""
    where = manifests.dotted(path)
    if isinstance(original, dict):
        for key, value in original.items():
            assert key in exported, f"{where}.{key} was lost"
            assert_kept(value, exported[key], (*path, key))
    elif isinstance(original, list):
        assert len(original) == len(exported), where
        for index, (a, b) in enumerate(zip(original, exported, strict=True)):
            assert_kept(a, b, (*path, index))
    elif isinstance(original, date):
        assert exported == original.isoformat(), where  # dates are kept as ISO 8601 strings
    else:
        expected = validation.as_text(original) if AS_TEXT.match(where) else CLEANED.get(where, lambda v: v)(original)
        assert exported == expected, where
        assert type(exported) is type(expected), where


def assert_round_trips(record: PluginMeta) -> str:
    """export -> import -> export: the import changes nothing and the text is identical."""
    for fmt in manifests.FORMATS:
        text = manifests.export_plugin(record, fmt)
        plan = import_text(text, f"{record.name}.{fmt}")
        assert [(d.action, d.errors, d.warnings) for d in plan.documents] == [("unchanged", [], [])]
        db.session.expire_all()
        assert manifests.export_plugin(plugin(record.name), fmt) == text
    return manifests.export_plugin(record)


# --- valid manifests --------------------------------------------------------------------------

EXPECTED_WARNINGS = {
    "static-plugin.yaml": [
        "line 7: metadata.name: 'Harbour Lighthouse Tours' is saved as 'harbour_lighthouse_tours'"
        " (names are stored as Smarter normalises them)"
    ],
}


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_project_fixture_imports_and_round_trips(app_context, path):
    plan = import_files(path)
    assert plan.ok, [messages(d.errors) for d in plan.documents]
    assert [w for d in plan.documents for w in messages(d.warnings)] == EXPECTED_WARNINGS.get(path.name, [])
    assert all(d.action == "create" and d.applied for d in plan.documents)
    for document, planned in zip(manifests.load_path(path), plan.documents, strict=True):
        record = plugin(planned.name)
        assert_kept(document.data, yaml.safe_load(assert_round_trips(record)))


def test_fixtures_cover_every_kind_and_multi_document_files(app_context):
    plan = import_files(FIXTURES / "valid" / "bundle.yaml", FIXTURES / "valid" / "bundle.json")
    assert [(d.document.number, d.kind, d.name) for d in plan.documents] == [
        (1, "Plugin", "bundle_static"),
        (2, "SqlPlugin", "bundle_sql"),
        (3, "ApiPlugin", "bundle_api"),
        (1, "SqlPlugin", "json_list_sql"),
        (2, "ApiPlugin", "json_list_api"),
    ]
    assert [plugin(d.name).plugin_class for d in plan.documents] == ["static", "sql", "api", "sql", "api"]
    kinds = {d.kind for path in VALID for d in plan_files(path).documents}
    assert kinds == set(manifests.KINDS)


def test_stored_values_follow_the_documented_round_trip_rules(app_context):
    import_files(*VALID)
    lighthouse = plugin("harbour_lighthouse_tours")
    prompt, data = lighthouse.plugin_prompt_plugin, lighthouse.plugin_data_plugin
    assert prompt.provider == "openai"  # cleaned by the model: lower-case
    assert prompt.system_role == (  # a folded block: one line, its final newline stripped
        "You are the friendly guide of the Harbour Lighthouse. Use the plugin's data for hours and prices; "
        "never invent a price."
    )
    assert lighthouse.annotations[1] == {"example.org/lighthouse/opened": "1871-09-01"}  # a YAML date
    assert lighthouse.annotations[2]["example.org/lighthouse/purpose"].endswith("tours start.\n")
    assert data.static_data["prices"] == {"adult": 8.5, "child": 4, "family": 20.0}
    assert data.static_data["tours"][0] == {"time": "11:00", "language": "en", "guided": True}
    text = manifests.export_plugin(lighthouse)
    assert "    - example.org/lighthouse/opened: '1871-09-01'\n" in text  # quoted: it stays a string
    assert "    - example.org/lighthouse/purpose: |\n        Answers visitors' questions" in text
    assert "  author: visitor-desk\n" in text

    tides = plugin("tide_tables").plugin_data_plugin
    assert tides.url_params is None and tides.body is None
    assert tides.headers[:2] == [{"name": "X-Retry", "value": "3"}, {"name": "X-Debug", "value": "false"}]
    assert tides.parameters[0]["default"] == "500.0"  # as text, as Smarter keeps it
    assert tides.parameters[1]["required"] is True and tides.test_values[0] == {"name": "max_height", "value": "4.5"}
    text = manifests.export_plugin(plugin("tide_tables"))
    for line in ("    urlParams: null\n", "        value: '3'\n", "        default: '500.0'\n", "    body: null\n"):
        assert line in text
    assert "    searchTerms: null\n" in text  # directive always: never [], which Smarter refuses
    assert plugin("ferry_timetable").plugin_data_plugin.test_values[-1] == {"name": "unit", "value": "Celsiu"}
    bundle_api = plugin("bundle_api").plugin_data_plugin
    assert (bundle_api.method, bundle_api.endpoint, bundle_api.limit) == ("POST", "/status/", 100)
    assert plugin("json_list_api").plugin_data_plugin.url_params == [{"key": "verbose", "value": "1"}]


TRICKY_TEXT = [
    "ends with a newline\n",
    "two\n\n",
    " leading blank\nline",
    "trailing blank \nline",
    "\ttab\n",
    "crlf\r\nline",
    "next line\x85char",
    "line\u2028separator",
    "- looks like\nkey: yaml",
    "null",
    "1e3",
    "0x10",
    "~",
    "yes",
    "on",
    "2024-01-01",
    "'single'",
    '"double"',
    "#hash",
    "a: b",
    "",
    "\n",
    "nul\x00byte",
    "<<",
    "é ü ß 汉字 🙂",
]


def test_export_keeps_any_text_exactly(app_context):
    document = manifests.manifest(factories.plugin("tricky"))
    document["spec"]["data"]["staticData"] = {text or "empty": text for text in TRICKY_TEXT}
    import_text(json.dumps(document), "tricky.json")
    db.session.expire_all()
    record = plugin("tricky")
    assert list(record.plugin_data_plugin.static_data.values()) == TRICKY_TEXT
    assert_round_trips(record)


def test_export_writes_the_spec_shape_in_a_fixed_order(app_context):
    import_files(FIXTURES / "valid" / "sql-plugin.yaml")
    document = manifests.manifest(plugin("ferry_timetable"))
    assert list(document) == ["apiVersion", "kind", "metadata", "spec"]
    assert list(document["metadata"]) == ["name", "description", "version", "tags", "annotations", "pluginClass"]
    assert list(document["spec"]) == ["selector", "prompt", "connection", "sqlData"]
    assert list(document["spec"]["prompt"]) == ["provider", "systemRole", "model", "temperature", "maxTokens"]
    assert list(document["spec"]["sqlData"]) == ["description", "sqlQuery", "parameters", "testValues", "limit"]
    assert json.loads(manifests.export_plugin(plugin("ferry_timetable"), "json")) == document
    assert manifests.manifest_filename(plugin("ferry_timetable"), "json") == "ferry_timetable.json"


def test_export_many_writes_multi_document_yaml_or_a_json_list(app_context):
    import_files(FIXTURES / "valid" / "bundle.yaml")
    records = db.session.scalars(sa.select(PluginMeta).order_by(PluginMeta.id)).all()
    text = manifests.export_many(records)
    assert text == "".join(manifests.export_plugin(r) for r in records)
    assert [d.data["metadata"]["name"] for d in manifests.load_documents(text)] == [r.name for r in records]
    listed = manifests.export_many(records, "json")
    assert json.loads(listed) == [manifests.manifest(r) for r in records]
    assert [d.action for d in manifests.plan_import(manifests.load_documents(listed, "all.json")).documents] == [
        "unchanged"
    ] * 3
    with pytest.raises(ValueError, match="'xml' is not one of yaml, json"):
        manifests.export_many(records, "xml")


def test_a_plugin_without_a_prompt_exports_without_it_and_import_asks_for_it(app_context):
    record = factories.plugin("no_prompt", prompt=False)
    document = manifests.manifest(record)
    assert list(document["spec"]) == ["selector", "data"]
    plan = manifests.plan_import(manifests.load_documents(manifests.export_plugin(record)))
    assert messages(plan.documents[0].errors) == ["line 11: spec.prompt: is required"]


def test_importing_over_a_plugin_without_a_prompt_adds_one(app_context):
    record = factories.plugin("no_prompt", prompt=False)
    document = manifests.manifest(record)
    document["spec"]["prompt"] = {"systemRole": "You help.", "model": "gpt-4.1"}
    plan = import_text(json.dumps(document), "with-prompt.json")
    assert [str(c) for c in plan.documents[0].changes] == [
        "spec.prompt.provider: None -> 'openai'",
        "spec.prompt.systemRole: None -> 'You help.'",
        "spec.prompt.model: None -> 'gpt-4.1'",
        "spec.prompt.temperature: None -> 0.5",
        "spec.prompt.maxTokens: None -> 2048",
    ]
    db.session.expire_all()
    assert plugin("no_prompt").plugin_prompt_plugin.model == "gpt-4.1"


def test_find_plugin_by_name_or_locator(app_context):
    record = factories.plugin("harbour_tours")
    assert manifests.find_plugin("harbour_tours") is record
    assert manifests.find_plugin("Harbour Tours") is record
    assert manifests.find_plugin(record.record_locator) is record
    assert manifests.find_plugin(record.plugin_prompt_plugin.record_locator) is None
    assert manifests.find_plugin("pluginmeta-rMTAwMDA5OQx") is None
    assert manifests.find_plugin("nothing") is None and manifests.find_plugin("!!!") is None


# --- updates ----------------------------------------------------------------------------------


def test_modified_manifest_updates_the_same_records_and_the_dry_run_names_each_change(app_context):
    import_files(PAIR[0])
    record = plugin("lighthouse_cafe")
    before, text = locators(record), manifests.export_plugin(record)
    versions = [record.row_version, record.plugin_prompt_plugin.row_version]

    dry = plan_files(PAIR[1])
    (planned,) = dry.documents
    assert planned.action == "update" and planned.ok and planned.warnings == []
    assert [c.path for c in planned.changes] == MODIFIED_FIELDS
    assert str(planned.changes[1]) == "metadata.version: '0.2.0' -> '0.2.1'"
    assert (
        str(planned.changes[5])
        == "spec.prompt.systemRole: \"You are the café's host. Recommend the day's cake.\" -> 'MODIFIED'"
    )
    db.session.expire_all()
    assert manifests.export_plugin(plugin("lighthouse_cafe")) == text  # planning wrote nothing

    manifests.apply(dry)
    db.session.expire_all()
    record = plugin("lighthouse_cafe")
    assert planned.applied and planned.plugin is record
    assert locators(record) == before  # same hashed ids, same locators
    assert record.description == "MODIFIED" and record.annotations == [] and record.tags == ["MODIFIED"]
    assert record.plugin_prompt_plugin.system_role == "MODIFIED"
    assert record.plugin_data_plugin.static_data == {"returnData": "MODIFIED"}
    assert [record.row_version, record.plugin_prompt_plugin.row_version] == [v + 1 for v in versions]
    assert_round_trips(record)


def test_importing_an_unchanged_manifest_writes_nothing(app_context, queries):
    import_files(PAIR[0])
    versions = locators(plugin("lighthouse_cafe")), plugin("lighthouse_cafe").row_version
    plan = plan_files(PAIR[0])
    with queries:
        manifests.apply(plan)
    assert [d.action for d in plan.documents] == ["unchanged"] and not plan.documents[0].applied
    assert not [s for s in queries.statements if s.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))]
    assert (locators(plugin("lighthouse_cafe")), plugin("lighthouse_cafe").row_version) == versions


def test_a_manifest_is_the_whole_plugin_so_omitted_keys_take_their_defaults(app_context):
    import_files(FIXTURES / "valid" / "static-plugin.yaml")
    document = manifests.manifest(plugin("harbour_lighthouse_tours"))
    del document["metadata"]["author"], document["metadata"]["tags"], document["spec"]["prompt"]["temperature"]
    (planned,) = manifests.plan_import(manifests.load_documents(json.dumps(document), "trimmed.json")).documents
    assert [str(c) for c in planned.changes] == [
        "metadata.tags: ['tourism', 'lighthouse', 'Harbour Trust'] -> []",
        "metadata.author: 'visitor-desk' -> None",
        "spec.prompt.temperature: 0.7 -> 0.5",
    ]


def test_a_new_type_is_a_change_but_0_is_0_point_0_and_item_keys_keep_their_order(app_context):
    import_files(FIXTURES / "valid" / "api-plugin.yaml")
    original = manifests.manifest(plugin("tide_tables"))

    def changed(edit) -> list[str]:
        document = copy.deepcopy(original)
        edit(document)
        (planned,) = manifests.plan_import(manifests.load_documents(json.dumps(document), "edited.json")).documents
        return [c.path for c in planned.changes]

    assert changed(lambda d: d["spec"]["prompt"].update(temperature=0)) == []
    assert changed(lambda d: d["spec"]["apiData"]["headers"][0].update(value=True)) == ["spec.apiData.headers"]
    reordered = {"value": 3, "name": "X-Retry"}  # items are stored with their keys in Smarter's order
    assert changed(lambda d: d["spec"]["apiData"]["headers"].__setitem__(0, reordered)) == []
    assert changed(lambda d: d["spec"]["apiData"].update(body={"b": 1, "a": 2})) == ["spec.apiData.body"]


def test_changing_the_kind_clears_the_data_of_the_old_plugin_class(app_context):
    import_files(PAIR[0])
    text = manifests.export_plugin(plugin("lighthouse_cafe")).replace("kind: Plugin", "kind: SqlPlugin")
    text = text.replace("pluginClass: static", "pluginClass: sql").replace(
        "  data:\n", "  connection: cafe_db\n  sqlData:\n"
    )
    text = text.replace("    staticData:\n", "    sqlQuery: SELECT 1;\n    unused:\n")
    plan = import_text(text)
    (planned,) = plan.documents
    assert [c.path for c in planned.changes] == [
        "metadata.pluginClass",
        "spec.data.staticData",
        "spec.connection",
        "spec.sqlData.sqlQuery",
        "spec.sqlData.limit",  # absent: Smarter's default 100
    ]
    assert messages(planned.warnings) == [
        "line 31: spec.sqlData.unused: unknown key; ignored"
        " (known here: description, sqlQuery, parameters, testValues, limit)"
    ]
    data = plugin("lighthouse_cafe").plugin_data_plugin
    assert (data.static_data, data.connection, data.sql_query, data.description) == (
        None,
        "cafe_db",
        "SELECT 1;",
        "The café's menu.",
    )


def test_unknown_keys_are_warnings_and_the_rest_is_imported(app_context):
    text = (FIXTURES / "valid" / "bundle.yaml").read_text().split("---\n")[1]
    text += "status:\n  ready: true\nspec2: {}\n"
    text = text.replace("  selector:\n", "  selector:\n    searchTerm: [typo]\n")
    (planned,) = import_text(text).documents
    assert planned.applied
    assert messages(planned.warnings) == [  # status is Smarter's read-only part: ignored without a warning
        "line 10: spec.selector.searchTerm: unknown key; ignored (known here: directive, searchTerms)",
        "line 19: spec2: unknown key; ignored (known here: apiVersion, kind, metadata, spec)",
    ]


# --- invalid manifests ------------------------------------------------------------------------

PLAIN = "a manifest holds only mappings, lists, strings, numbers, booleans and null"
INVALID = {
    "syntax-error.yaml": ["line 11: invalid YAML: expected <block end>, but found '<block mapping start>'"],
    "syntax-error.json": ["line 4: invalid JSON: Expecting property name enclosed in double quotes"],
    "empty.yaml": ["holds no manifest"],
    "not-a-mapping.yaml": ["line 1: a manifest is a mapping of apiVersion, kind, metadata and spec, not a list"],
    "api-version.yaml": ["line 1: apiVersion: 'smarter.sh/v2' is not supported; use smarter.sh/v1 or smarter.sh/v0"],
    "unknown-kind.yaml": ["line 2: kind: 'Agent' is not one of Plugin, SqlPlugin, ApiPlugin"],
    "kind-mismatch.yaml": [
        "line 7: metadata.pluginClass: 'sql' does not match kind Plugin, whose pluginClass is static"
        " (Smarter does not compare them, and would store a plugin of another class than its kind)"
    ],
    "missing-name.yaml": ["line 3: metadata.name: is required"],
    "version-not-string.yaml": ["line 7: metadata.version: 1.0 is a number, not a string; quote it"],
    "version-not-semver.yaml": [
        "line 7: metadata.version: 'v1' is not a SemVer version MAJOR.MINOR.PATCH (SemVer 2.0.0, semver.org)"
    ],
    "missing-prompt.yaml": ["line 8: spec.prompt: is required"],
    "selector-not-mapping.yaml": ["line 9: spec.selector: must be a mapping, not a list"],
    "search-terms-required.yaml": [
        "line 9: spec.selector.searchTerms: are required when the directive is search_terms (this admin's rule; "
        "Smarter would accept an empty list, but a plugin with no search terms is never selected)"
    ],
    "temperature-range.yaml": [f"line 15: spec.prompt.temperature: 3 is above openai's range 0–2 ({OPENAI})"],
    "unknown-model.yaml": [
        "line 14: spec.prompt.model: 'gpt-4o-minii' is not an OpenAI model in the catalog; "
        f"closest: gpt-4o-mini, gpt-4.1-mini, gpt-5-mini ({OPENAI})"
    ],
    "max-tokens.yaml": [
        "line 16: spec.prompt.maxTokens: 100,000 is above gpt-4o-mini's maximum output of 16,384 tokens "
        "(Smarter would accept it, having no upper bound, but the provider would refuse the request; "
        "catalog: openai/gpt-4o-mini, models.dev catalogue (commit of 2026-07-02), checked 2026-11-27)"
    ],
    "sql-data.yaml": [
        "line 14: spec.sqlData.sqlQuery: is required",
        "line 16: spec.sqlData.parameters: 'username' is not a list (this admin's rule)",
        "line 17: spec.sqlData.limit: 0 is below the minimum 1; null means no limit (Smarter's rule)",
    ],
    "api-method.yaml": [
        "line 8: spec.connection: is required",
        "line 15: spec.apiData.method: 'FETCH' is not one of GET, POST, PUT, PATCH, DELETE (this admin's rule)",
    ],
    "too-large.yaml": [  # PostgreSQL would refuse the row with SQL in the error: the model says it first
        "line 7: metadata.version: is 306 characters; the limit is 255 (the size of its database column)",
        f"line 13: spec.connection: '{'x' * 76}... is not dot-separated labels of 1 to 63 ASCII letters, digits,"
        " _ and -, not starting with - (Smarter's rule)",
        "line 16: spec.sqlData.limit: 99,999,999,999 is above the largest limit, 2,147,483,647 (an INTEGER column)",
    ],
    "json-manifest.json": [
        "line 13: spec.selector.searchTerms: ['café', 7] is not a list of strings (this admin's rule)",
        f"line 18: spec.prompt.temperature: 2.5 is above openai's range 0–2 ({OPENAI})",
        "line 23: spec.data.staticData: [{'item': 'espresso', 'price': 2.2}, {'item': 'croissant', 'price': 1.8,"
        " 'veg... is not a mapping (this admin's rule: static plugins; Smarter's rule)",
    ],
    "nul-character.yaml": [
        "line 6: metadata.description: contains a NUL character (\\x00, at position 4), which text cannot hold"
    ],
    "duplicate-key.yaml": [
        "line 15: spec.prompt.model: appears twice (first on line 14); keep one (Smarter would silently keep the"
        " last; here neither is lost unseen)"
    ],
    "json-values.yaml": [
        "line 19: spec.data.staticData.ratio: nan is refused: JSON has no NaN or infinity",
        "line 20: spec.data.staticData.on: is read as a boolean (YAML 1.1: yes, no, on, off), not text; quote the key",
        "line 21: spec.data.staticData.blob: holds binary data (!!binary); " + PLAIN,
        "line 22: spec.data.staticData.choices: holds a set (!!set); " + PLAIN,
    ],
    "python-tag.yaml": [
        "line 18: refused: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object/apply:os.system'; a manifest holds plain data only"
    ],
    "alias-bomb.yaml": ["line 1: holds more than 100,000 values once its YAML aliases are expanded"],
    "many-errors.yaml": [
        "line 8: metadata.version: '1' is not a SemVer version MAJOR.MINOR.PATCH (SemVer 2.0.0, semver.org)",
        "line 9: metadata.tags: 'lighthouse' is not a list of strings (this admin's rule)",
        "line 12: spec.selector.directive: 'sometimes' is not one of search_terms, always, llm (this admin's rule)",
        "line 15: spec.prompt.systemRole: is required and may not be blank (this admin's rule; Smarter would accept a "
        "whitespace-only one, which gives the model no instructions)",
        f"line 17: spec.prompt.temperature: 1.5 is above anthropic's range 0–1 ({ANTHROPIC})",
        "line 18: spec.prompt.maxTokens: 0 is below the minimum 1 (a reply has at least one token)",
        "line 21: spec.data.staticData: 'just text' is not a mapping"
        " (this admin's rule: static plugins; Smarter's rule)",
    ],
}


def test_every_invalid_fixture_has_its_expected_messages():
    assert sorted(INVALID) == sorted(
        p.name for p in (FIXTURES / "invalid").iterdir() if p.name != "multi-document-one-bad.yaml"
    )


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_manifest_is_refused_whole_with_located_messages(app_context, name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where the python tag would have written its file
    plan = import_files(FIXTURES / "invalid" / name)
    (planned,) = plan.documents
    assert messages(planned.errors) == INVALID[name]
    assert (
        planned.action == "invalid"
        and not planned.applied
        and plan.failed_sources() == [str(FIXTURES / "invalid" / name)]
    )
    assert plugin_count() == 0
    assert not (tmp_path / "PWNED").exists()


def test_all_errors_come_at_once_and_unknown_keys_still_warn(app_context):
    (planned,) = plan_files(FIXTURES / "invalid" / "many-errors.yaml").documents
    assert messages(planned.warnings) == [
        "line 19: spec.prompt.topP: unknown key; ignored"
        " (known here: provider, systemRole, model, temperature, maxTokens)"
    ]


def test_a_file_with_one_invalid_manifest_applies_none_of_them(app_context):
    plan = import_files(FIXTURES / "invalid" / "multi-document-one-bad.yaml", FIXTURES / "valid" / "sql-plugin.yaml")
    first, second, other = plan.documents
    assert first.ok and first.action == "create" and not first.applied
    assert messages(second.errors) == [
        "line 33: spec.prompt.provider: 'openia' is not a provider in the catalog; "
        "known: openai, anthropic, googleai, metaai, mistral, cohere; gpt-4o-mini is a model of openai (catalog)"
    ]
    assert other.applied
    assert db.session.scalars(sa.select(PluginMeta.name)).all() == ["ferry_timetable"]


def test_the_same_plugin_twice_in_one_import_is_refused(app_context):
    plan = import_files(PAIR[0], PAIR[1])
    assert messages(plan.documents[1].errors) == [
        f"line 5: metadata.name: 'lighthouse_cafe' is also imported by {PAIR[0]} document 1;"
        " a plugin may appear once per import"
    ]
    assert plan.documents[0].applied and plan.failed_sources() == [str(PAIR[1])]


def test_a_plugin_created_meanwhile_fails_the_file_and_rolls_it_back(app_context):
    plan = plan_files(FIXTURES / "valid" / "bundle.yaml")
    assert [d.action for d in plan.documents] == ["create"] * 3
    factories.plugin("bundle_sql")  # someone else, between the preview and the confirm
    manifests.apply(plan)
    assert messages(plan.documents[1].errors) == [
        "line 22: metadata.name: a plugin named 'bundle_sql' already exists (names are unique)"
    ]
    assert not any(d.applied for d in plan.documents) and plan.documents[0].plugin is None
    assert db.session.scalars(sa.select(PluginMeta.name)).all() == ["bundle_sql"]


def test_a_plugin_changed_meanwhile_fails_the_file_and_rolls_it_back(app_context):
    import_files(PAIR[0])
    plan = plan_files(PAIR[1], FIXTURES / "valid" / "sql-plugin.yaml")
    db.session.execute(sa.text("UPDATE plugin_meta SET row_version = row_version + 1"))  # another writer
    manifests.apply(plan)
    assert messages(plan.documents[0].errors) == [
        "line 5: metadata.name: 'lighthouse_cafe' was changed by someone else during the import; run it again"
    ]
    assert not plan.documents[0].applied and plan.documents[1].applied
    db.session.expire_all()
    assert plugin("lighthouse_cafe").version == "0.2.0"


def test_size_limit_and_encoding_have_clear_messages(app_context, tmp_path):
    limit = manifests.MAX_MANIFEST_BYTES
    expected = f"is {limit + 1:,} bytes; a manifest file may be at most {limit:,} bytes (1 MiB)"
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (limit + 1))
    for documents in (manifests.load_documents("#" * (limit + 1), "paste"), manifests.load_path(big)):
        assert [messages(d.errors) for d in documents] == [[expected]]
    (document,) = manifests.load_upload(io.BytesIO(b"#" * (10 * limit)), "upload.yaml")
    assert messages(document.errors) == [
        f"is over {limit:,} bytes; a manifest file may be at most {limit:,} bytes (1 MiB)"
    ]
    (document,) = manifests.load_upload(io.BytesIO(PAIR[0].read_bytes()), "cafe.yaml")
    assert not document.errors and document.data["metadata"]["name"] == "lighthouse_cafe"
    (document,) = manifests.load_documents(b"name: caf\xe9\n", "latin1.yaml")
    assert messages(document.errors) == ["is not UTF-8 text (byte 9 is 0xe9)"]
    (document,) = manifests.load_path(tmp_path / "gone.yaml")
    assert messages(document.errors) == ["cannot be read: No such file or directory"]
    (document,) = manifests.load_documents("[" * 5000, "deep.yaml")
    assert messages(document.errors) == ["nests too deeply to be a manifest"]


def test_numbers_too_large_and_impossible_dates_are_refused_with_a_message(app_context):
    text = (FIXTURES / "invalid" / "temperature-range.yaml").read_text()
    (planned,) = manifests.plan_import(manifests.load_documents(text.replace("3.0", "1" + "0" * 400))).documents
    assert messages(planned.errors) == [
        f"line 15: spec.prompt.temperature: 1{'0' * 76}... is too large to be a temperature"
    ]
    long_number = (
        "holds a value that cannot be read: Exceeds the limit (4300 digits) for integer string conversion: "
        "value has 5001 digits"
    )
    for huge, source in ((text.replace("3.0", "1" + "0" * 5000), "huge.yaml"), ("[1" + "0" * 5000 + "]", "huge.json")):
        assert [messages(d.errors) for d in manifests.load_documents(huge, source)] == [[long_number]]
    (document,) = manifests.load_documents("released: 2024-13-45\n")
    assert messages(document.errors) == ["holds a value that cannot be read: month must be in 1..12"]


def test_keys_yaml_reads_as_other_than_text_are_located(app_context):
    text = "spec:\n  1: x\n  2024-01-01: y\n  ~: z\n  <<: {merged: 1}\n  !!str on: w\n  pairs: !!omap [{a: 1}]\n"
    (document,) = manifests.load_documents(text)
    assert messages(document.errors) == [
        "line 2: spec.1: is read as a number, not text; quote the key",
        "line 3: spec.2024-01-01: is read as a date, not text; quote the key",
        "line 4: spec.~: is read as null, not text; quote the key",
        "line 7: spec.pairs[0]: holds ordered pairs (!!omap, !!pairs); " + PLAIN,
    ]
    assert document.data == {"spec": {"merged": 1, "on": "w", "pairs": [None]}}


def test_recursive_aliases_are_refused():
    (document,) = manifests.load_documents("spec: &a\n  again: *a\n")
    assert messages(document.errors) == ["line 1: holds more than 100,000 values once its YAML aliases are expanded"]


def test_manifest_paths_take_files_as_given_and_manifests_inside_folders(tmp_path):
    for name in ("b.yaml", "a.json", "c.yml", "notes.txt"):
        (tmp_path / name).write_text("")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.yaml").write_text("")
    assert manifests.manifest_paths([tmp_path, tmp_path / "notes.txt"]) == [
        tmp_path / "a.json",
        tmp_path / "b.yaml",
        tmp_path / "c.yml",
        tmp_path / "notes.txt",
    ]


# --- the command line -------------------------------------------------------------------------


def test_cli_dry_run_reports_and_writes_nothing(runner, app_context):
    result = runner.invoke(args=["import-manifest", "--dry-run", str(FIXTURES / "valid")])
    assert result.exit_code == 0, result.output
    assert f"{FIXTURES / 'valid' / 'bundle.yaml'}: 3 manifests, dry run, nothing written\n" in result.output
    assert "  document 2: would create SqlPlugin bundle_sql\n" in result.output
    assert result.output.endswith("6 files: 6 valid, 0 failed\n")
    assert plugin_count() == 0


def test_cli_imports_then_shows_the_field_diff_of_an_update(runner, app_context):
    result = runner.invoke(args=["import-manifest", str(PAIR[0])])
    assert result.exit_code == 0, result.output
    locator = plugin("lighthouse_cafe").record_locator
    assert result.output == (
        f"{PAIR[0]}: 1 manifest, applied\n  document 1: created Plugin lighthouse_cafe ({locator})\n"
        "1 file: 1 applied, 0 failed\n"
    )
    result = runner.invoke(args=["import-manifest", "--dry-run", str(PAIR[1])])
    assert result.exit_code == 0
    assert f"  document 1: would update Plugin lighthouse_cafe ({locator})\n" in result.output
    assert "    ~ metadata.version: '0.2.0' -> '0.2.1'\n" in result.output
    assert [
        line[6:].split(":")[0] for line in result.output.splitlines() if line.startswith("    ~ ")
    ] == MODIFIED_FIELDS
    db.session.expire_all()
    assert plugin("lighthouse_cafe").version == "0.2.0"
    result = runner.invoke(args=["import-manifest", str(PAIR[0])])
    assert "  document 1: unchanged Plugin lighthouse_cafe" in result.output


def test_cli_batch_reports_per_file_applies_the_good_files_and_exits_1(runner, app_context):
    bad = FIXTURES / "invalid" / "temperature-range.yaml"
    result = runner.invoke(args=["import-manifest", str(bad), str(FIXTURES / "valid" / "api-plugin.yaml")])
    assert result.exit_code == 1
    assert (
        f"{bad}: 1 manifest, FAILED, nothing in this file was applied\n"
        "  document 1: invalid (Plugin broken_plugin)\n"
        f"    error: line 15: spec.prompt.temperature: 3 is above openai's range 0–2 ({OPENAI})\n"
    ) in result.output
    assert result.output.endswith("2 files: 1 applied, 1 failed (the other files were applied)\n")
    assert db.session.scalars(sa.select(PluginMeta.name)).all() == ["tide_tables"]
    mixed = FIXTURES / "invalid" / "multi-document-one-bad.yaml"
    result = runner.invoke(args=["import-manifest", str(mixed)])
    assert result.exit_code == 1
    assert result.output.startswith(
        f"{mixed}: 2 manifests, FAILED, nothing in this file was applied\n"
        "  document 1: would create Plugin first_of_two (not applied)\n"
        "  document 2: invalid (Plugin second_of_two)\n"
        "    error: line 33: spec.prompt.provider: 'openia' is not a provider in the catalog; "
    )
    assert result.output.endswith("1 file: 0 applied, 1 failed\n")


def test_cli_refuses_missing_paths_and_folders_without_manifests(runner, app_context, tmp_path):
    result = runner.invoke(args=["import-manifest", str(tmp_path)])
    assert (
        result.exit_code == 1
        and "error: no manifest files (*.yaml, *.yml, *.json) in the given folders" in result.output
    )
    result = runner.invoke(args=["import-manifest", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_cli_exports_by_name_or_locator_in_yaml_or_json(runner, app_context):
    import_files(FIXTURES / "valid" / "api-plugin.yaml")
    record = plugin("tide_tables")
    result = runner.invoke(args=["export-manifest", "tide_tables"])
    assert result.exit_code == 0 and result.output == manifests.export_plugin(record)
    result = runner.invoke(args=["export-manifest", record.record_locator, "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.output) == manifests.manifest(record)
    result = runner.invoke(args=["export-manifest", "nothing_here"])
    assert result.exit_code == 1 and "error: no plugin is named or located by 'nothing_here'" in result.output


# --- the Smarter samples (../shared, when present) -----------------------------------------------

needs_samples = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"the Smarter samples are not beside the repository ({SHARED} is absent)"
)


SAMPLE_REFUSED = {
    "api-plugin.yaml": [
        "line 53: spec.apiData.testValues: has no test value for the parameters 'max_cost', 'description'; "
        "it names 'limit', 'username', which are not parameters (every declared parameter needs a test value: "
        "Smarter's rule)"
    ]
}
"""The sample Smarter itself refuses (its docs' example): refused here too, located."""


@needs_samples
def test_the_smarter_sample_smarter_refuses_is_refused_here_with_its_located_message(app_context):
    for name, expected in SAMPLE_REFUSED.items():
        (planned,) = import_files(SHARED / name).documents
        assert (planned.action, messages(planned.errors)) == ("invalid", expected)
    assert plugin_count() == 0
    text = (SHARED / "api-plugin.yaml").read_text()
    fixed = text.replace("name: username\n        value: admin", "name: max_cost\n        value: 100")
    fixed = fixed.replace("name: limit\n        value: 1", "name: description\n        value: Python")
    (planned,) = import_text(fixed, "api-plugin-fixed.yaml").documents
    assert planned.applied, messages(planned.errors)
    assert_kept(yaml.safe_load(fixed), yaml.safe_load(assert_round_trips(plugin("api_example"))))


@needs_samples
def test_every_smarter_sample_imports_cleanly_and_round_trips(app_context):
    originals = sorted(p for p in SHARED.glob("*.yaml") if "modified" not in p.name and p.name not in SAMPLE_REFUSED)
    assert len(originals) >= 2
    for path in originals:
        plan = import_files(path)
        assert [(d.action, d.errors, d.warnings) for d in plan.documents] == [("create", [], [])], path
        for document, planned in zip(manifests.load_path(path), plan.documents, strict=True):
            assert_kept(document.data, yaml.safe_load(assert_round_trips(plugin(planned.name))))
    assert {p.plugin_class for p in db.session.scalars(sa.select(PluginMeta))} == {"static", "sql"}


@needs_samples
def test_the_modified_smarter_sample_updates_the_same_records(app_context):
    import_files(SHARED / "everlasting-gobstopper.yaml")
    before = locators(plugin("everlasting_gobstopper"))
    plan = plan_files(SHARED / "everlasting-gobstopper-modified.yaml")
    assert [c.path for c in plan.documents[0].changes] == MODIFIED_FIELDS
    manifests.apply(plan)
    db.session.expire_all()
    assert locators(plugin("everlasting_gobstopper")) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PluginPrompt)) == 1
    for model in (PluginSelector, PluginData):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 1
