"""The Smarter platform's manifest rules, key by key: accepted, refused with its located message, stored.

Written from the rule document (upstream Smarter 0.14.19, our target per key). Each test starts from
one of the smallest manifests of tests/fixtures/manifests/smarter/ and changes one key.
"""

import copy
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from plugin_admin import manifests, validation
from plugin_admin.catalog import get_catalog
from plugin_admin.extensions import db
from plugin_admin.models import PluginData, PluginMeta, PluginSelector
from tests import factories
from tests.test_manifests import assert_round_trips, messages

FIXTURES = Path(__file__).parent / "fixtures" / "manifests" / "smarter"
BASE = {kind: yaml.safe_load((FIXTURES / f"{name}.yaml").read_text()) for kind, name in (
    ("Plugin", "plugin"), ("SqlPlugin", "sql-plugin"), ("ApiPlugin", "api-plugin"))}  # fmt: skip
NAMES = {"Plugin": "tide_clock", "SqlPlugin": "berth_lookup", "ApiPlugin": "buoy_reading"}
DROP = object()
"""As a value in ``edited``: the key is left out."""
RULE = "Smarter's rule"
CLEAN = validation.CLEAN_WITH_SPACES


def edited(of: str = "Plugin", /, **changes) -> dict:
    """The base manifest of kind ``of`` with ``changes`` (``spec.prompt.model`` as ``spec__prompt__model``)."""
    document = copy.deepcopy(BASE[of])
    for dotted_path, value in changes.items():
        *parents, key = dotted_path.split("__")
        section = document
        for part in parents:
            section = section.setdefault(part, {})
        if value is DROP:
            section.pop(key, None)
        else:
            section[key] = value
    return document


def plan(document: dict) -> manifests.DocumentPlan:
    (planned,) = manifests.plan_import(manifests.load_documents(json.dumps(document), "rule.json")).documents
    return planned


def located(problems) -> list[str]:
    """Problems without line numbers (JSON written by ``json.dumps`` is one line)."""
    return [f"{p.path}: {p.message}" if p.path else p.message for p in problems]


def errors(document: dict) -> list[str]:
    return located(plan(document).errors)


def stored(document: dict) -> PluginMeta:
    """Import ``document``; the plugin as stored."""
    planned = manifests.apply(manifests.plan_import(manifests.load_documents(json.dumps(document), "rule.json")))
    (result,) = planned.documents
    assert result.applied, messages(result.errors)
    db.session.expire_all()
    return db.session.scalar(sa.select(PluginMeta).filter_by(name=result.name))


# --- the fixtures themselves --------------------------------------------------------------------


@pytest.mark.parametrize("kind", BASE)
def test_each_base_manifest_imports_and_round_trips(app_context, kind):
    record = stored(edited(kind))
    assert record.name == NAMES[kind]
    assert_round_trips(record)


# --- document -----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["smarter.sh/v1", "smarter.sh/v0"])
def test_api_version_v1_and_v0_are_read_and_v1_is_written(app_context, version):
    record = stored(edited(apiVersion=version))
    assert manifests.manifest(record)["apiVersion"] == "smarter.sh/v1"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (DROP, "apiVersion: is required (smarter.sh/v1 or smarter.sh/v0)"),
        ("smarter.sh/v2", "apiVersion: 'smarter.sh/v2' is not supported; use smarter.sh/v1 or smarter.sh/v0"),
    ],
)
def test_api_version_refused(app_context, value, expected):
    assert errors(edited(apiVersion=value)) == [expected]


def test_kind_is_exact_case(app_context):
    assert errors(edited(kind="plugin")) == ["kind: 'plugin' is not one of Plugin, SqlPlugin, ApiPlugin"]


@pytest.mark.parametrize("section", ["metadata", "spec"])
def test_metadata_and_spec_are_required_mappings(app_context, section):
    assert f"{section}: is required" in errors(edited(**{section: DROP}))
    assert f"{section}: must be a mapping, not a list" in errors(edited(**{section: []}))


def test_status_is_ignored_without_a_warning_and_never_exported(app_context):
    document = edited(status={"ready": True})
    assert plan(document).warnings == []
    assert "status" not in manifests.manifest(stored(document))


def test_unknown_keys_warn_naming_the_key(app_context):
    assert located(plan(edited(spec__prompt__topP=0.9)).warnings) == [
        "spec.prompt.topP: unknown key; ignored (known here: provider, systemRole, model, temperature, maxTokens)"
    ]


def test_a_repeated_key_is_refused_with_its_line_and_files_hold_several_manifests(app_context):
    text = (FIXTURES / "plugin.yaml").read_text()
    doubled = text.replace("  version: 1.0.0\n", "  version: 1.0.0\n  version: 1.0.1\n")
    (document,) = manifests.load_documents(doubled, "doubled.yaml")
    assert messages(document.errors) == [
        "line 8: metadata.version: appears twice (first on line 7); keep one (Smarter would silently keep the last;"
        " here neither is lost unseen)"
    ]
    both = text + "---\n" + (FIXTURES / "sql-plugin.yaml").read_text()
    assert [d.action for d in manifests.plan_import(manifests.load_documents(both, "both.yaml")).documents] == [
        "create",
        "create",
    ]


# --- metadata -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "saved"),
    [
        ("WeatherBot", "weatherbot"),
        ("weather.bot", "weatherbot"),
        ("Weather Bot", "weather_bot"),
        ("café bot", "cafe_bot"),
        ("Ærø naïve", "r_naive"),  # Æ and ø have no ASCII decomposition: dropped
        ("  padded  ", "padded"),
        ("a - b", "a_b"),
        ("--x__y--", "x_y"),
        ("tide 2.0 (beta)", "tide_20_beta"),
        ("a" * 50, "a" * 50),
    ],
)
def test_name_is_stored_as_smarter_normalises_it(app_context, name, saved):
    planned = plan(edited(metadata__name=name))
    assert planned.ok and planned.name == saved
    assert located(planned.warnings) == (
        []
        if name == saved
        else [f"metadata.name: {name!r} is saved as {saved!r} (names are stored as Smarter normalises them)"]
    )
    assert stored(edited(metadata__name=name)).name == saved


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a" * 51, f"is 51 characters; the limit is 50 ({RULE})"),
        ("tide<clock>", f"'tide<clock>' holds '<'; a name holds only {CLEAN} ({RULE})"),
        ('say "hi"', f"'say \"hi\"' holds '\"'; a name holds only {CLEAN} ({RULE})"),
        ("tab\tname", f"'tab\\tname' holds '\\t'; a name holds only {CLEAN} ({RULE})"),
        ("!!!", f"'!!!' has no letter or digit to make a name of ({RULE})"),
        ("", f"is required (this admin's rule: at most 50 characters of {CLEAN})"),
        (42, "42 is a number, not a string; quote it"),
        (DROP, "is required"),
    ],
)
def test_name_refused(app_context, name, expected):
    assert errors(edited(metadata__name=name)) == [f"metadata.name: {expected}"]


def test_the_same_name_normalised_updates_the_same_plugin(app_context):
    first = stored(edited(metadata__name="Tide Clock"))
    assert plan(edited(metadata__name="tide-clock")).plugin is first


@pytest.mark.parametrize(("value", "saved"), [("  Spaced.  ", "Spaced."), ("", ""), (None, "")])
def test_description_may_be_null_and_is_stripped(app_context, value, saved):
    assert stored(edited(metadata__description=value)).description == saved


def test_description_key_is_required(app_context):
    assert errors(edited(metadata__description=DROP)) == ["metadata.description: is required (it may be null)"]


@pytest.mark.parametrize(
    ("value", "saved"), [(None, "1.0.0"), ("", "1.0.0"), ("2.1.0-rc.1+build.5", "2.1.0-rc.1+build.5")]
)
def test_version_null_or_empty_takes_the_default(app_context, value, saved):
    assert stored(edited(metadata__version=value)).version == saved


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (DROP, "is required (it may be null)"),
        ("v1", "'v1' is not a SemVer version MAJOR.MINOR.PATCH (SemVer 2.0.0, semver.org)"),
        ("1.0", "'1.0' is not a SemVer version MAJOR.MINOR.PATCH (SemVer 2.0.0, semver.org)"),
    ],
)
def test_version_refused(app_context, value, expected):
    assert errors(edited(metadata__version=value)) == [f"metadata.version: {expected}"]


@pytest.mark.parametrize(
    ("value", "saved"),
    [(DROP, []), (None, []), ([" tides ", "Harbour Trust", "tides"], ["tides", "Harbour Trust"])],
)
def test_tags_default_to_none_are_stripped_and_kept_as_a_set(app_context, value, saved):
    assert stored(edited(metadata__tags=value)).tags == saved


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["ok", ""], f"[1] '' is empty; a tag needs a letter or digit ({RULE})"),
        (["ok", "  "], f"[1] '' is empty; a tag needs a letter or digit ({RULE})"),  # stripped first, as Smarter does
        (["<b>"], f"[0] '<b>' holds '<'; a tag holds only {CLEAN} ({RULE})"),
        ("tides", "'tides' is not a list of strings (this admin's rule)"),
        ([1], "[1] is not a list of strings (this admin's rule)"),
    ],
)
def test_tags_refused(app_context, value, expected):
    assert errors(edited(metadata__tags=value)) == [f"metadata.tags: {expected}"]


def test_annotations_accept_several_keys_per_item_json_text_and_any_non_null_value(app_context):
    items = [
        {"example.org/owner": "harbour", "example.org/rank": 2},
        {"example.org/flags": [True, 1.5], "example.org/nested": {"a": "b"}, "example.org/since": "2024-06-15"},
    ]
    assert stored(edited(metadata__annotations=items)).annotations == items
    factories.plugin("other")  # a second plugin, so the names differ
    text = edited(metadata__annotations=json.dumps(items[:1]), metadata__name="from_text")
    assert stored(text).annotations == items[:1]
    assert stored(edited(metadata__annotations=None, metadata__name="no_notes")).annotations == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([{"bad key": 1}], f"[0] key 'bad key' holds other than letters, digits and . _ / - ({RULE})"),
        ([{"a": 1}, {"b": None}], f"[1] b is null; an annotation needs a value ({RULE})"),
        ([{"long": "x" * 2049}], f"[0] long is 2,049 characters; the limit is 2,048 ({RULE})"),
        (["text"], "['text'] is not a list of mappings (this admin's rule)"),
        ("{not json", "'{not json' is not a list of mappings (this admin's rule)"),
    ],
)
def test_annotations_refused(app_context, value, expected):
    assert errors(edited(metadata__annotations=value)) == [f"metadata.annotations: {expected}"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (DROP, "is required"),
        (None, "is required"),
        ("Static", "'Static' is not one of static, sql, api (this admin's rule)"),
        (
            "sql",
            "'sql' does not match kind Plugin, whose pluginClass is static (Smarter does not compare them,"
            " and would store a plugin of another class than its kind)",
        ),
    ],
)
def test_plugin_class_is_required_exact_and_agrees_with_the_kind(app_context, value, expected):
    assert errors(edited(metadata__pluginClass=value)) == [f"metadata.pluginClass: {expected}"]


def test_author_is_ours_stored_and_exported(app_context):
    record = stored(edited(metadata__author="  harbour desk "))
    assert record.author == "harbour desk"
    assert manifests.manifest(record)["metadata"]["author"] == "harbour desk"


# --- selector and prompt ------------------------------------------------------------------------


@pytest.mark.parametrize("section", ["selector", "prompt"])
def test_selector_and_prompt_are_required(app_context, section):
    assert errors(edited(**{f"spec__{section}": DROP})) == [f"spec.{section}: is required"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (DROP, "is required"),
        ("Always", "'Always' is not one of search_terms, always, llm (this admin's rule)"),
        ("sometimes", "'sometimes' is not one of search_terms, always, llm (this admin's rule)"),
    ],
)
def test_directive_is_required_and_exact(app_context, value, expected):
    assert errors(edited(spec__selector__directive=value)) == [f"spec.selector.directive: {expected}"]


@pytest.mark.parametrize("directive", ["always", "llm"])
@pytest.mark.parametrize("terms", [DROP, None])
def test_always_and_llm_take_search_terms_absent_or_null_and_export_null(app_context, directive, terms):
    record = stored(edited(spec__selector__directive=directive, spec__selector__searchTerms=terms))
    assert record.plugin_selector_plugin.search_terms == []
    assert manifests.manifest(record)["spec"]["selector"] == {"directive": directive, "searchTerms": None}
    assert "searchTerms: []" not in manifests.export_plugin(record)


@pytest.mark.parametrize("directive", ["always", "llm"])
def test_always_and_llm_refuse_an_empty_list_or_terms(app_context, directive):
    assert errors(edited(spec__selector__directive=directive, spec__selector__searchTerms=[])) == [
        f"spec.selector.searchTerms: [] is refused with the directive {directive}: leave the key out or write null"
        f" ({RULE})"
    ]
    assert errors(edited(spec__selector__directive=directive, spec__selector__searchTerms=["x"])) == [
        f"spec.selector.searchTerms: must be empty when the directive is {directive} (this admin's rule, {RULE})"
    ]


def test_search_terms_are_stored_as_given(app_context):
    terms = ["Tide", "high water", "l'heure de la marée"]
    assert stored(edited(spec__selector__searchTerms=terms)).plugin_selector_plugin.search_terms == terms


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            [],
            "are required when the directive is search_terms (this admin's rule; Smarter would accept an empty list, "
            "but a plugin with no search terms is never selected)",
        ),
        (
            DROP,
            "are required when the directive is search_terms (this admin's rule; Smarter would accept an empty list, "
            "but a plugin with no search terms is never selected)",
        ),
        (["tide", ""], f"[1] '' is empty; a search term needs a letter or digit ({RULE})"),
        (
            ["tide", " "],
            "[1] ' ' is blank; a search term needs a letter or digit (Smarter would accept spaces only, which match"
            " nothing)",
        ),
        (["<x>"], f"[0] '<x>' holds '<'; a search term holds only {CLEAN} ({RULE})"),
        (["a|b"], f"[0] 'a|b' holds '|'; a search term holds only {CLEAN} ({RULE})"),
    ],
)
def test_search_terms_refused(app_context, value, expected):
    assert errors(edited(spec__selector__searchTerms=value)) == [f"spec.selector.searchTerms: {expected}"]


@pytest.mark.parametrize(
    ("provider", "model", "saved"),
    [(DROP, DROP, "openai"), ("OpenAI", "gpt-4o", "openai"), ("anthropic", "claude-haiku-4-5", "anthropic")],
)
def test_provider_is_any_catalog_provider_stored_lower_case(app_context, provider, model, saved):
    prompt = stored(edited(spec__prompt__provider=provider, spec__prompt__model=model)).plugin_prompt_plugin
    assert (prompt.provider, prompt.model) == (saved, "gpt-4o-mini" if model is DROP else model)


def test_unknown_provider_is_refused(app_context):
    assert errors(edited(spec__prompt__provider="openia")) == [
        "spec.prompt.provider: 'openia' is not a provider in the catalog; "
        "known: openai, anthropic, googleai, metaai, mistral, cohere; gpt-4o-mini is a model of openai (catalog)"
    ]


def test_system_role_is_required_with_no_silent_default(app_context):
    assert errors(edited(spec__prompt__systemRole=DROP)) == ["spec.prompt.systemRole: is required"]
    assert errors(edited(spec__prompt__systemRole=None)) == ["spec.prompt.systemRole: is required"]


@pytest.mark.parametrize("role", ["", "   \n\t"])
def test_a_blank_system_role_is_refused_saying_smarter_would_take_whitespace(app_context, role):
    assert errors(edited(spec__prompt__systemRole=role)) == [
        "spec.prompt.systemRole: is required and may not be blank (this admin's rule; Smarter would accept a "
        "whitespace-only one, which gives the model no instructions)"
    ]


def test_system_role_is_stripped_and_holds_up_to_32000_characters_of_any_text(app_context):
    role = 'Say "hello" {politely}\n' + "x" * (32000 - 23)
    assert stored(edited(spec__prompt__systemRole=f"  {role}\n")).plugin_prompt_plugin.system_role == role
    assert errors(edited(spec__prompt__systemRole=role + "x", metadata__name="longer")) == [
        "spec.prompt.systemRole: is 32001 characters; the limit is 32,000"
        " (this admin's rule; Smarter would accept longer text free of newlines, quotes and braces,"
        " but one cap holds for any text here)"
    ]


UPSTREAM_MODELS = [
    line for line in (FIXTURES / "openai-models.txt").read_text().splitlines() if line and not line.startswith("#")
]
OPENAI = get_catalog().provider("openai")
SERVABLE = [name for name in UPSTREAM_MODELS if name not in OPENAI.unservable]


def test_the_catalog_holds_every_openai_model_smarter_accepts(app_context):
    assert len(UPSTREAM_MODELS) == 82 and len(SERVABLE) == 52
    assert set(UPSTREAM_MODELS) == set(OPENAI.models) | set(OPENAI.unservable)
    assert not set(OPENAI.models) & set(OPENAI.unservable)
    for name in SERVABLE:
        model = OPENAI.models[name]
        assert model.max_output_tokens > 0 and model.context_window >= model.max_output_tokens, name
        assert model.source and len(model.checked) == 10, name  # each with its source and check date
    for name, refused in OPENAI.unservable.items():
        assert refused.reason and refused.source and refused.checked, name


@pytest.mark.parametrize(
    ("name", "output", "adjustable"),
    [
        ("gpt-4-turbo", 4096, True),
        ("gpt-4-turbo-2024-04-09", 4096, True),
        ("gpt-4", 8192, True),
        ("gpt-4o-2024-05-13", 4096, True),
        ("gpt-4o-2024-11-20", 16384, True),
        ("gpt-4o-mini-2024-07-18", 16384, True),
        ("gpt-4.1-nano-2025-04-14", 32768, True),
        ("o1", 100000, False),
        ("o1-mini-2024-09-12", 65536, False),
        ("gpt-5-nano-2025-08-07", 128000, False),
    ],
)
def test_catalog_limits_of_snapshots_and_older_models(app_context, name, output, adjustable):
    model = OPENAI.models[name]
    assert (model.max_output_tokens, model.temperature_adjustable) == (output, adjustable)


@pytest.mark.parametrize("name", SERVABLE)
def test_every_servable_model_smarter_lists_imports(app_context, name):
    planned = plan(edited(spec__prompt__model=name, spec__prompt__maxTokens=4096))
    assert planned.ok, messages(planned.errors)


REFUSED_WHY = {
    "babbage-002": "a legacy completion model, served only by the Completions API (no chat messages)",
    "gpt-3.5-turbo-instruct": "a legacy completion model, served only by the Completions API (no chat messages)",
    "o1-pro": "served only by the Responses API, not by Chat Completions",
    "codex-mini-latest": "served only by the Responses API, not by Chat Completions",
    "computer-use-preview-2025-03-11": "served only by the Responses API, not by Chat Completions",
    "o4-mini-deep-research": "served only by the Responses API, not by Chat Completions",
    "gpt-4o-realtime-preview": "a realtime model, served only over the Realtime API's sessions",
    "gpt-realtime": "a realtime model, served only over the Realtime API's sessions",
    "gpt-4o-transcribe": "a transcription (speech-to-text) model of the Audio API",
    "tts-1-hd": "a speech (text-to-speech) model of the Audio API",
    "gpt-4o-mini-tts": "a speech (text-to-speech) model of the Audio API",
    "gpt-image-1": "an image generation model of the Images API",
    "omni-moderation-latest": "a moderation model of the Moderations API",
    "gpt-5-prompt-latest": "not a model OpenAI serves (OpenAI's chat alias of GPT-5 is gpt-5-chat-latest)",
}


@pytest.mark.parametrize("name", sorted(REFUSED_WHY))
def test_models_smarter_lists_but_chat_cannot_serve_are_refused_saying_why(app_context, name):
    refused = OPENAI.unservable[name]
    assert errors(edited(spec__prompt__model=name)) == [
        f"spec.prompt.model: {name!r} is refused: it is {REFUSED_WHY[name]}, so it cannot answer a plugin's chat "
        f"prompt (Smarter lists it among its chat models; catalog: {refused.source}, checked {refused.checked})"
    ]


def test_every_unservable_name_is_refused(app_context):
    for name in OPENAI.unservable:
        assert [p.path for p in plan(edited(spec__prompt__model=name)).errors] == ["spec.prompt.model"], name


def test_fine_tuned_models_with_a_known_base_are_accepted_others_refused(app_context):
    assert plan(edited(spec__prompt__model="ft:gpt-4o-mini-2024-07-18:harbour::abc123")).ok
    assert plan(edited(spec__prompt__model="ft:gpt-4.1-mini-2099-01-01:harbour::abc123")).ok  # a later snapshot
    (message,) = errors(edited(spec__prompt__model="ft:davinci-002:harbour::abc123"))
    assert message.startswith("spec.prompt.model: 'ft:davinci-002:harbour::abc123' is not an OpenAI model")
    (message,) = errors(edited(spec__prompt__model="claude-haiku-4-5"))
    assert message.startswith("spec.prompt.model: 'claude-haiku-4-5' is not an OpenAI model in the catalog")


@pytest.mark.parametrize(("model", "saved"), [("gpt-4o", 0.5), ("o3", 1.0), ("gpt-5-mini-2025-08-07", 1.0)])
def test_an_omitted_temperature_is_the_models_own(app_context, model, saved):
    assert stored(edited(spec__prompt__model=model)).plugin_prompt_plugin.temperature == saved


def test_openai_temperature_range_is_0_to_2(app_context):
    assert stored(edited(spec__prompt__temperature=1.5)).plugin_prompt_plugin.temperature == 1.5
    assert errors(edited(spec__prompt__temperature=2.5)) == [
        f"spec.prompt.temperature: 2.5 is above openai's range 0–2 ({OPENAI.citation})"
    ]


def test_a_fixed_temperature_model_refuses_another_temperature_saying_smarter_would_take_it(app_context):
    o1 = OPENAI.models["o1"]
    assert errors(edited(spec__prompt__model="o1", spec__prompt__temperature=0.5)) == [
        "spec.prompt.temperature: 0.5 is refused: o1 accepts only its default temperature 1; leave it out to get "
        "it (Smarter would accept 0.5, having no per-model rule, but the provider would refuse the request; "
        f"{o1.citation}; {OPENAI.citation})"
    ]
    assert plan(edited(spec__prompt__model="o1", spec__prompt__temperature=1)).ok


@pytest.mark.parametrize(("value", "saved"), [("256", 256), (256, 256), (DROP, 2048)])
def test_max_tokens_whole_numbers_and_digit_strings(app_context, value, saved):
    assert stored(edited(spec__prompt__maxTokens=value)).plugin_prompt_plugin.max_completion_tokens == saved


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            256.0,
            "256 is not a whole number (Smarter would read 256 as a number; here a count is written as one, "
            "so a slip such as 2.5 or true is not silently cut)",
        ),
        (
            True,
            "True is not a whole number (Smarter would read True as a number; here a count is written as one, "
            "so a slip such as 2.5 or true is not silently cut)",
        ),
        (0, "0 is below the minimum 1 (a reply has at least one token)"),
        (
            16385,
            "16,385 is above gpt-4o-mini's maximum output of 16,384 tokens (Smarter would accept it, having no"
            f" upper bound, but the provider would refuse the request; {OPENAI.models['gpt-4o-mini'].citation})",
        ),
        ("many", "'many' is not a whole number"),
    ],
)
def test_max_tokens_refused(app_context, value, expected):
    assert errors(edited(spec__prompt__maxTokens=value)) == [f"spec.prompt.maxTokens: {expected}"]


# --- spec.data (Plugin) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"spec__data": DROP}, "spec.data: is required"),
        ({"spec__data__staticData": DROP}, "spec.data.staticData: is required"),
        ({"spec__data__staticData": None}, "spec.data.staticData: is required"),
        (
            {"spec__data__staticData": [{"high": "06:12"}]},
            f"spec.data.staticData: [{{'high': '06:12'}}] is not a mapping (this admin's rule: static plugins; {RULE})",
        ),
        (
            {"spec__data__staticData": "06:12"},
            f"spec.data.staticData: '06:12' is not a mapping (this admin's rule: static plugins; {RULE})",
        ),
    ],
)
def test_static_data_is_a_required_mapping(app_context, changes, expected):
    assert errors(edited(**changes)) == [expected]


def test_data_description_is_ours_stored_and_exported(app_context):
    record = stored(edited(spec__data__description=" Tide times. "))
    assert record.plugin_data_plugin.description == "Tide times."
    assert manifests.manifest(record)["spec"]["data"] == {"description": "Tide times.", "staticData": {"high": "06:12"}}


# --- SqlPlugin and ApiPlugin --------------------------------------------------------------------

SECTION = {"SqlPlugin": "sqlData", "ApiPlugin": "apiData"}


@pytest.mark.parametrize("kind", SECTION)
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (DROP, "is required"),
        ("", "is required for {cls} plugins (this admin's rule)"),
        ("harbour db", f"'harbour db' is not {validation.CLEAN_STRING} ({RULE})"),
        ("-harbour", f"'-harbour' is not {validation.CLEAN_STRING} ({RULE})"),
        ("harbour-.db", f"'harbour-.db' is not {validation.CLEAN_STRING} ({RULE})"),
        ("a" * 64, f"{'a' * 64!r} is not {validation.CLEAN_STRING} ({RULE})"),
    ],
)
def test_connection_is_a_required_clean_string(app_context, kind, value, expected):
    cls = manifests.KINDS[kind]
    assert errors(edited(kind, spec__connection=value)) == [f"spec.connection: {expected.format(cls=cls)}"]


@pytest.mark.parametrize("kind", SECTION)
def test_connection_names_of_dotted_labels_are_accepted(app_context, kind):
    record = stored(edited(kind, spec__connection="harbour.db_main-2"))
    assert record.plugin_data_plugin.connection == "harbour.db_main-2"


@pytest.mark.parametrize("kind", SECTION)
def test_sql_and_api_data_sections_are_required(app_context, kind):
    assert errors(edited(kind, **{f"spec__{SECTION[kind]}": DROP})) == [f"spec.{SECTION[kind]}: is required"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (DROP, "is required"),
        ("", "is required for sql plugins (this admin's rule)"),
        (
            "SELECT * FROM ships WHERE name = {ship} AND pier = {pier};",
            f"the placeholder {{pier}} is not a declared parameter (declared: ship; {RULE})",
        ),
    ],
)
def test_sql_query_is_required_and_its_placeholders_declared(app_context, value, expected):
    assert errors(edited("SqlPlugin", spec__sqlData__sqlQuery=value)) == [f"spec.sqlData.sqlQuery: {expected}"]


def test_sql_query_is_stripped(app_context):
    record = stored(edited("SqlPlugin", spec__sqlData__sqlQuery="  SELECT 1 WHERE {ship} = 'x';\n"))
    assert record.plugin_data_plugin.sql_query == "SELECT 1 WHERE {ship} = 'x';"


def test_placeholders_without_parameters_say_none_are_declared(app_context):
    document = edited("SqlPlugin", spec__sqlData__parameters=DROP, spec__sqlData__testValues=DROP)
    assert errors(document) == [
        f"spec.sqlData.sqlQuery: the placeholder {{ship}} is not a declared parameter (no parameters are declared;"
        f" {RULE})"
    ]


def test_parameters_are_stored_with_smarters_keys_defaults_and_text(app_context):
    parameters = [
        {"name": "ship", "type": "string", "description": "The ship.", "required": True, "enum": ["Aurora", "Borealis"],
         "default": "Aurora"},
        {"type": "number", "name": "depth", "default": 12.5, "colour": "blue"},
    ]  # fmt: skip
    document = edited("SqlPlugin", spec__sqlData__parameters=parameters)
    document["spec"]["sqlData"]["testValues"].append({"name": "depth", "value": 3})
    assert located(plan(document).warnings) == [
        "spec.sqlData.parameters[1].colour: unknown key; dropped (known here: name, type, description, required,"
        " enum, default)"
    ]
    data = stored(document).plugin_data_plugin
    assert data.parameters == [
        parameters[0],
        {"name": "depth", "type": "number", "required": False, "default": "12.5"},
    ]
    assert data.test_values == [{"name": "ship", "value": "Aurora"}, {"name": "depth", "value": "3"}]


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"type": "string"}, "[0] lacks name"),
        ({"name": "ship"}, "[0] lacks type"),
        ({"name": "ship", "type": "text"}, "[0] type 'text' is not one of " + ", ".join(validation.PARAMETER_TYPES)),
        ({"name": "", "type": "string"}, "[0] name '' is not a non-empty string"),
        ({"name": "ship", "type": "string", "required": "yes"}, "[0] required 'yes' is not a boolean"),
        ({"name": "ship", "type": "string", "enum": [1, 2]}, "[0] enum [1, 2] is not a list of strings"),
        ({"name": "ship", "type": "string", "default": ["a"]}, "[0] default ['a'] is not text, a number or a boolean"),
        (
            {"name": "ship", "type": "string", "enum": ["Aurora"], "default": "Borealis"},
            "[0] default 'Borealis' is not one of its enum Aurora",
        ),
        ("ship", "[0] 'ship' is not a mapping"),
    ],
)
def test_parameter_items_refused(app_context, item, expected):
    document = edited("SqlPlugin", spec__sqlData__parameters=[item], spec__sqlData__sqlQuery="SELECT 1;")
    assert errors(document) == [f"spec.sqlData.parameters: {expected} ({RULE})"]


@pytest.mark.parametrize(
    ("test_values", "expected"),
    [
        (
            [],
            f"has no test value for the parameter 'ship' (every declared parameter needs a test value: {RULE})",
        ),
        (
            [{"name": "vessel", "value": "Aurora"}],
            "has no test value for the parameter 'ship'; it names 'vessel', which are not parameters (every declared"
            f" parameter needs a test value: {RULE})",
        ),
        ([{"value": "Aurora"}], f"[0] lacks name ({RULE})"),
        ([{"name": "ship"}], f"[0] lacks value ({RULE})"),
        (
            [{"name": "ship", "value": {"a": 1}}],
            f"[0] value {{'a': 1}} is not text, a number, a boolean or null ({RULE})",
        ),
    ],
)
def test_test_values_cover_every_declared_parameter(app_context, test_values, expected):
    assert errors(edited("SqlPlugin", spec__sqlData__testValues=test_values)) == [
        f"spec.sqlData.testValues: {expected}"
    ]


def test_test_values_may_be_left_out_or_hold_null(app_context):
    assert stored(edited("SqlPlugin", spec__sqlData__testValues=DROP)).plugin_data_plugin.test_values is None
    document = edited("SqlPlugin", spec__sqlData__testValues=[{"name": "ship", "value": None}], metadata__name="b2")
    assert stored(document).plugin_data_plugin.test_values == [{"name": "ship", "value": None}]


@pytest.mark.parametrize("kind", SECTION)
@pytest.mark.parametrize(("value", "saved"), [(DROP, 100), (None, None), (5, 5), ("5", 5), (2**31 - 1, 2**31 - 1)])
def test_limit_defaults_to_100_and_null_means_no_limit(app_context, kind, value, saved):
    record = stored(edited(kind, **{f"spec__{SECTION[kind]}__limit": value}))
    assert record.plugin_data_plugin.limit == saved
    assert manifests.manifest(record)["spec"][SECTION[kind]]["limit"] == saved  # always written


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("SqlPlugin", 0, f"0 is below the minimum 1; null means no limit ({RULE})"),
        ("ApiPlugin", 1, f"1 is below the minimum 2; null means no limit ({RULE})"),
        (
            "SqlPlugin",
            5.0,
            "5 is not a whole number (Smarter would read 5 as a number; here a count is written as one, "
            "so a slip such as 2.5 or true is not silently cut)",
        ),
        ("ApiPlugin", "many", "'many' is not a whole number (this admin's rule)"),
    ],
)
def test_limit_refused(app_context, kind, value, expected):
    assert errors(edited(kind, **{f"spec__{SECTION[kind]}__limit": value})) == [
        f"spec.{SECTION[kind]}.limit: {expected}"
    ]


@pytest.mark.parametrize(
    ("endpoint", "saved"),
    [("/buoys/{buoy}/latest", "/buoys/{buoy}/latest/"), ("/v1/buoy-data_2/", "/v1/buoy-data_2/"), ("/", "/")],
)
def test_endpoint_is_stored_with_its_trailing_slash(app_context, endpoint, saved):
    record = stored(edited("ApiPlugin", spec__apiData__endpoint=endpoint))
    assert record.plugin_data_plugin.endpoint == saved
    assert manifests.manifest(record)["spec"]["apiData"]["endpoint"] == saved


ENDPOINT_FORM = (
    "is not an endpoint path: it starts and ends with / and holds only letters, digits and / _ - { } "
    f"(the connection gives the scheme and host; {RULE})"
)


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        (DROP, "is required"),
        ("", "is required for api plugins (this admin's rule)"),
        ("https://buoys.example/latest/", f"'https://buoys.example/latest/' {ENDPOINT_FORM}"),
        ("buoys/latest/", f"'buoys/latest/' {ENDPOINT_FORM}"),
        ("/buoys/latest?fresh=1", f"'/buoys/latest?fresh=1/' {ENDPOINT_FORM}"),
        ("/" + "b" * 255, f"is 257 characters; the limit is 255 ({RULE})"),
        ("/buoys/{station}/", f"the placeholder {{station}} is not a declared parameter (declared: buoy; {RULE})"),
    ],
)
def test_endpoint_refused(app_context, endpoint, expected):
    assert errors(edited("ApiPlugin", spec__apiData__endpoint=endpoint)) == [f"spec.apiData.endpoint: {expected}"]


@pytest.mark.parametrize(("method", "saved"), [(DROP, "GET"), (None, "GET"), ("patch", "PATCH"), ("Delete", "DELETE")])
def test_method_defaults_to_get_any_case_stored_upper(app_context, method, saved):
    record = stored(edited("ApiPlugin", spec__apiData__method=method))
    assert record.plugin_data_plugin.method == saved
    assert manifests.manifest(record)["spec"]["apiData"]["method"] == saved


def test_method_refused(app_context):
    assert errors(edited("ApiPlugin", spec__apiData__method="fetch")) == [
        "spec.apiData.method: 'FETCH' is not one of GET, POST, PUT, PATCH, DELETE (this admin's rule)"
    ]


def test_url_params_headers_and_body_are_stored_as_smarter_keeps_them(app_context):
    document = edited(
        "ApiPlugin",
        spec__apiData__urlParams=[{"key": "units", "value": "metric"}, {"key": "days", "value": 3}],
        spec__apiData__headers=[{"name": "X-Debug", "value": True}, {"name": "Accept", "value": "application/json"}],
        spec__apiData__body=[{"any": {"shape": [1, None]}}],
    )
    data = stored(document).plugin_data_plugin
    assert data.url_params == [{"key": "units", "value": "metric"}, {"key": "days", "value": "3"}]
    assert data.headers == [{"name": "X-Debug", "value": "true"}, {"name": "Accept", "value": "application/json"}]
    assert data.body == [{"any": {"shape": [1, None]}}]
    assert_round_trips(db.session.get(PluginMeta, data.plugin_id))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"spec__apiData__urlParams": {"units": "metric"}},
            "spec.apiData.urlParams: {'units': 'metric'} is not a list (this admin's rule)",
        ),
        (
            {"spec__apiData__urlParams": [{"key": "the units", "value": "metric"}]},
            f"spec.apiData.urlParams: [0] key 'the units' is not {validation.CLEAN_STRING} ({RULE})",
        ),
        (
            {"spec__apiData__urlParams": [{"key": "units", "value": "metric units"}]},
            f"spec.apiData.urlParams: [0] value 'metric units' is not {validation.CLEAN_STRING} ({RULE})",
        ),
        ({"spec__apiData__urlParams": [{"key": "units"}]}, f"spec.apiData.urlParams: [0] lacks value ({RULE})"),
        (
            {"spec__apiData__headers": [{"name": "X Debug", "value": "1"}]},
            "spec.apiData.headers: [0] name 'X Debug' is not an HTTP header name (ASCII letters, digits and "
            f"! # $ % & ' * + - . ^ _ ` | ~) ({RULE})",
        ),
        (
            {"spec__apiData__headers": [{"name": "X-Note", "value": "two\nlines"}]},
            "spec.apiData.headers: [0] value 'two\\nlines' is not an HTTP header value (text of tabs, printable "
            f"ASCII and \\x80-\\xff) ({RULE})",
        ),
        (
            {"spec__apiData__headers": [{"name": "X-Note", "value": None}]},
            "spec.apiData.headers: [0] value None is not an HTTP header value (text of tabs, printable "
            f"ASCII and \\x80-\\xff) ({RULE})",
        ),
        ({"spec__apiData__body": "raw"}, f"spec.apiData.body: 'raw' is not a mapping or a list ({RULE})"),
    ],
)
def test_url_params_headers_and_body_refused(app_context, changes, expected):
    assert errors(edited("ApiPlugin", **changes)) == [expected]


@pytest.mark.parametrize("kind", SECTION)
def test_sql_and_api_data_descriptions_are_ours_stored_and_exported(app_context, kind):
    record = stored(edited(kind, **{f"spec__{SECTION[kind]}__description": "Ours."}))
    assert record.plugin_data_plugin.description == "Ours."
    assert manifests.manifest(record)["spec"][SECTION[kind]]["description"] == "Ours."


# --- export -------------------------------------------------------------------------------------


def test_export_writes_what_smarter_needs_to_read_it_back(app_context):
    record = stored(edited("ApiPlugin", spec__apiData__endpoint="/buoys/{buoy}/latest"))
    document = manifests.manifest(record)
    assert document["metadata"]["pluginClass"] == "api"
    assert document["spec"]["selector"] == {"directive": "always", "searchTerms": None}
    assert document["spec"]["prompt"]["systemRole"] == "You read buoys."
    api = document["spec"]["apiData"]
    assert (api["endpoint"], api["method"], api["limit"]) == ("/buoys/{buoy}/latest/", "GET", 100)


@pytest.mark.parametrize("kind", BASE)
def test_export_import_export_is_stable_for_every_kind(app_context, kind):
    text = assert_round_trips(stored(edited(kind)))
    assert "searchTerms: []" not in text


def test_check_upstream_warns_per_plugin_where_smarter_would_refuse(app_context, runner):
    plain = stored(edited())
    assert manifests.upstream_warnings(plain) == []
    far = factories.plugin("far_plugin", prompt={"provider": "anthropic", "model": "claude-haiku-4-5"})
    far.plugin_prompt_plugin.system_role = 'Say "hi".\n' * 900  # stored stripped: 8,999 characters
    db.session.commit()
    warm = factories.plugin("warm_plugin", prompt={"temperature": 1.2, "model": "ft:gpt-4o-mini-2024-07-18:org::x1"})
    sql = stored(edited("SqlPlugin"))
    assert manifests.upstream_warnings(far) == [
        "spec.prompt.provider 'anthropic': it takes only 'openai'",
        "spec.prompt.systemRole of 8,999 characters holding a newline, quote or brace: it takes at most 8,192 such"
        " characters",
    ]
    assert manifests.upstream_warnings(warm) == [
        "spec.prompt.temperature 1.2: it takes 0 to 1",
        "spec.prompt.model 'ft:gpt-4o-mini-2024-07-18:org::x1': it takes no fine-tuned model",
    ]
    assert manifests.upstream_warnings(sql) == [
        "spec.connection 'harbour_db' unless its account has a SqlConnection of that name"
    ]
    result = runner.invoke(args=["export-manifest", "warm_plugin", "--check-upstream"])
    assert result.exit_code == 0
    assert result.stdout == manifests.export_plugin(warm)  # the manifest itself is unchanged
    assert result.stderr == (
        "warning: warm_plugin: Smarter would refuse spec.prompt.temperature 1.2: it takes 0 to 1\n"
        "warning: warm_plugin: Smarter would refuse spec.prompt.model 'ft:gpt-4o-mini-2024-07-18:org::x1': it takes"
        " no fine-tuned model\n"
    )
    assert runner.invoke(args=["export-manifest", "warm_plugin"]).stderr == ""


# --- the same gate for every write path ---------------------------------------------------------


def test_the_rules_hold_for_writes_outside_manifests(app_context):
    record = factories.plugin("Weather Bot", tags=["sun", "sun"])
    assert (record.name, record.tags) == ("weather_bot", ["sun"])
    record.plugin_class = "api"
    record.plugin_data_plugin.static_data = None
    record.plugin_data_plugin.connection = "weather_api"
    record.plugin_data_plugin.endpoint = "/today"
    db.session.commit()
    assert (record.plugin_data_plugin.endpoint, record.plugin_data_plugin.method) == ("/today/", "GET")
    record.plugin_selector_plugin.directive = "Always"
    with pytest.raises(validation.ValidationError) as caught:
        db.session.flush()
    assert caught.value.errors["directive"] == ["'Always' is not one of search_terms, always, llm (this admin's rule)"]
    db.session.rollback()
    assert db.session.scalar(sa.select(PluginSelector.directive)) == "search_terms"
    assert db.session.scalar(sa.select(PluginData.endpoint)) == "/today/"
