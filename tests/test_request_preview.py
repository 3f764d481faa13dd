"""The request preview, checked against the providers' own SDKs.

Each provider's official Python SDK (pinned in requirements-dev.txt) builds the same request
through a mock transport: nothing leaves the machine. The request it would have sent (method,
host, path, JSON body, and the key's header) must be the preview's.
"""

import json
from urllib.parse import urlsplit

import httpx
import httpx2
import pytest

from plugin_admin.catalog import get_catalog
from plugin_admin.request_preview import (
    DEFAULT_MESSAGE,
    MESSAGE_MAX,
    check_message,
    get_shapes,
    inquiry_types,
    preview_request,
    smarter_tool,
)

TEST_KEY = "sk-test-not-a-real-key-0123456789"
PLUGIN_ID = 39

STATIC = (
    "static",
    {"description": "Facts about the harbour.", "static_data": {"opening_hours": "8-18", "address": "Quay 1"}},
)
SQL = (
    "sql",
    {
        "description": "Next departures from one pier.",
        "parameters": [
            {"name": "pier", "type": "string", "description": "The pier name.", "required": True, "default": "North"},
            {"name": "unit", "type": "string", "description": "Unit.", "required": False, "enum": ["C", "F"]},
            {"name": "hours", "type": "integer", "description": "Look ahead.", "required": False, "default": None},
        ],
    },
)
API = (
    "api",
    {"description": "Tides of one port.", "parameters": [{"name": "port", "type": "string", "required": True}]},
)


def prompt_values(provider, model, temperature=0.2, tokens=800):
    return {
        "provider": provider,
        "model": model,
        "system_role": "You give tide times. Quote 'times' in 24-hour format.",
        "temperature": temperature,
        "max_completion_tokens": tokens,
    }


# --- the oracles: each SDK builds the request from the same plain values ---------------


def captured(send, module):
    """The request an SDK call sends, caught by a mock transport that answers 500 (no retries)."""
    seen = []

    def handler(request):
        seen.append(request)
        return module.Response(500, json={"error": {"message": "mock transport"}})

    with pytest.raises(Exception):  # noqa: B017 (each SDK raises its own error class for the 500)
        send(module.Client(transport=module.MockTransport(handler)))
    assert len(seen) == 1, "the SDK was told not to retry"
    return seen[0]


def openai_style_messages(p, message):
    return [{"role": "system", "content": p["system_role"]}, {"role": "user", "content": message}]


def sampling(p, name):
    """The temperature argument, as a caller who reads the catalog passes it."""
    model = get_catalog().model(p["provider"], p["model"])
    return {name: p["temperature"]} if model.temperature_adjustable else {}


def via_openai(p, tool, message):
    import openai

    def send(http):
        openai.OpenAI(api_key=TEST_KEY, http_client=http, max_retries=0).chat.completions.create(
            model=p["model"],
            messages=openai_style_messages(p, message),
            max_completion_tokens=p["max_completion_tokens"],
            tools=[tool],
            **sampling(p, "temperature"),
        )

    return captured(send, httpx2)


def via_anthropic(p, tool, message):
    import anthropic

    function = tool["function"]

    def send(http):
        anthropic.Anthropic(api_key=TEST_KEY, http_client=http, max_retries=0).messages.create(
            model=p["model"],
            system=p["system_role"],
            messages=[{"role": "user", "content": message}],
            max_tokens=p["max_completion_tokens"],
            tools=[
                {
                    "name": function["name"],
                    "description": function["description"],
                    "input_schema": function["parameters"],
                }
            ],
            # messages.create has no temperature since 1.0; API version 2023-06-01 still takes it
            extra_body=sampling(p, "temperature"),
            extra_headers={"anthropic-version": "2023-06-01"},
        )

    return captured(send, httpx2)


def via_google(p, tool, message):
    from google import genai
    from google.genai import types

    # Gemini's Schema (a subset of OpenAPI 3.0) has no additionalProperties: a caller leaves it out
    function = {**tool["function"], "parameters": dict(tool["function"]["parameters"])}
    function["parameters"].pop("additionalProperties", None)

    def send(http):
        options = types.HttpOptions(httpx_client=http, retry_options=types.HttpRetryOptions(attempts=1))
        genai.Client(api_key=TEST_KEY, http_options=options).models.generate_content(
            model=p["model"],
            contents=message,
            config=types.GenerateContentConfig(
                system_instruction=p["system_role"],
                max_output_tokens=p["max_completion_tokens"],
                tools=[types.Tool(function_declarations=[types.FunctionDeclaration(**function)])],
                **sampling(p, "temperature"),
            ),
        )

    return captured(send, httpx2)


def via_meta(p, tool, message):
    from llama_api_client import LlamaAPIClient

    def send(http):
        LlamaAPIClient(api_key=TEST_KEY, http_client=http, max_retries=0).chat.completions.create(
            model=p["model"],
            messages=openai_style_messages(p, message),
            max_completion_tokens=p["max_completion_tokens"],
            tools=[tool],
            **sampling(p, "temperature"),
        )

    return captured(send, httpx)


def via_mistral(p, tool, message):
    from mistralai.client import Mistral
    from mistralai.client.utils import BackoffStrategy, RetryConfig

    def send(http):
        Mistral(
            api_key=TEST_KEY, client=http, retry_config=RetryConfig("off", BackoffStrategy(1, 1, 1, 1), False)
        ).chat.complete(
            model=p["model"],
            messages=openai_style_messages(p, message),
            max_tokens=p["max_completion_tokens"],
            tools=[tool],
            **sampling(p, "temperature"),
        )

    return captured(send, httpx2)


def via_cohere(p, tool, message):
    import cohere

    def send(http):
        cohere.ClientV2(api_key=TEST_KEY, httpx_client=http).chat(
            model=p["model"],
            messages=openai_style_messages(p, message),
            max_tokens=p["max_completion_tokens"],
            tools=[tool],
            request_options={"max_retries": 0},
            **sampling(p, "temperature"),
        )

    return captured(send, httpx)


ORACLES = {
    "openai": via_openai,
    "anthropic": via_anthropic,
    "googleai": via_google,
    "metaai": via_meta,
    "mistral": via_mistral,
    "cohere": via_cohere,
}

CASES = [
    pytest.param(provider, model, kind, id=f"{provider}-{model}-{kind[0]}")
    for provider, entry in get_catalog().providers.items()
    for model in entry.models
    for kind in (STATIC, SQL, API)
]


def test_every_catalog_provider_has_a_shape_and_an_sdk_oracle():
    assert set(get_shapes()) == set(get_catalog().providers) == set(ORACLES)


@pytest.mark.parametrize(("provider", "model", "kind"), CASES)
def test_preview_is_the_request_the_official_sdk_sends(provider, model, kind):
    plugin_class, data = kind
    values = prompt_values(provider, model)
    message = "Next ferry from the North pier? It's 'urgent'."
    preview = preview_request(values, PLUGIN_ID, plugin_class, data, message)
    assert "error" not in preview, preview.get("error")

    sent = ORACLES[provider](values, smarter_tool(PLUGIN_ID, plugin_class, data), message)
    url = urlsplit(preview["url"])
    assert (sent.method, sent.url.host, sent.url.path) == (preview["method"], url.hostname, url.path)
    assert json.loads(sent.content) == preview["body"]
    # the key travels in the same header, the placeholder standing where the SDK put the key
    shape = get_shapes()[provider]
    assert sent.headers[shape.auth_header] == preview["headers"][shape.auth_header].replace(
        f"${shape.key_variable}", TEST_KEY
    )
    for name, value in shape.headers.items():
        assert sent.headers[name] == value


@pytest.mark.parametrize("model", ["o3", "o4-mini", "gpt-5"])
def test_reasoning_models_get_no_temperature(model):
    preview = preview_request(prompt_values("openai", model, temperature=1), PLUGIN_ID, *STATIC)
    assert "temperature" not in preview["body"]
    assert preview["body"]["max_completion_tokens"] == 800


# --- where each setting goes --------------------------------------------------------------


def test_openai_body_puts_each_setting_in_its_place():
    preview = preview_request(prompt_values("openai", "gpt-4o-mini"), PLUGIN_ID, *STATIC)
    assert preview["provider"] == "openai"
    assert (preview["method"], preview["url"]) == ("POST", "https://api.openai.com/v1/chat/completions")
    body = preview["body"]
    assert body["model"] == "gpt-4o-mini"
    assert body["messages"][0] == {"role": "system", "content": "You give tide times. Quote 'times' in 24-hour format."}
    assert body["messages"][1] == {"role": "user", "content": DEFAULT_MESSAGE}
    assert (body["temperature"], body["max_completion_tokens"]) == (0.2, 800)
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "smarter_plugin_0000000039",
                "description": "Facts about the harbour.",
                "parameters": {
                    "type": "object",
                    "properties": {"inquiry_type": {"type": "string", "enum": ["opening_hours", "address"]}},
                    "required": ["inquiry_type"],
                },
            },
        }
    ]


def test_anthropic_system_is_top_level_and_the_version_is_the_one_that_takes_temperature():
    preview = preview_request(prompt_values("anthropic", "claude-sonnet-4-5"), PLUGIN_ID, *STATIC)
    body = preview["body"]
    assert body["system"].startswith("You give tide times")
    assert body["messages"] == [{"role": "user", "content": DEFAULT_MESSAGE}]
    assert (body["max_tokens"], body["temperature"]) == (800, 0.2)
    assert body["tools"][0]["input_schema"]["required"] == ["inquiry_type"]
    assert preview["headers"]["anthropic-version"] == "2023-06-01"


def test_gemini_model_in_the_url_system_instruction_and_generation_config():
    preview = preview_request(prompt_values("googleai", "gemini-2.5-flash"), PLUGIN_ID, *SQL)
    assert preview["url"] == "https://generativelanguage.googleapis.com/v1/models/gemini-2.5-flash:generateContent"
    body = preview["body"]
    assert "model" not in body
    assert body["systemInstruction"]["parts"] == [{"text": "You give tide times. Quote 'times' in 24-hour format."}]
    assert body["generationConfig"] == {"temperature": 0.2, "maxOutputTokens": 800}
    declaration = body["tools"][0]["functionDeclarations"][0]
    assert declaration["parameters"]["properties"]["pier"]["type"] == "STRING"


@pytest.mark.parametrize(
    ("provider", "model", "limit"),
    [
        ("mistral", "codestral-latest", "max_tokens"),
        ("cohere", "command-a-03-2025", "max_tokens"),
        ("metaai", "Llama-3.3-70B-Instruct", "max_completion_tokens"),
    ],
)
def test_system_message_providers_and_their_limit_names(provider, model, limit):
    body = preview_request(prompt_values(provider, model), PLUGIN_ID, *API)["body"]
    assert body["messages"][0]["role"] == "system"
    assert body[limit] == 800


def test_fine_tuned_openai_model_is_sent_by_its_own_name():
    name = "ft:gpt-4o-mini-2024-07-18:acme::abc123"
    assert preview_request(prompt_values("openai", name), PLUGIN_ID, *STATIC)["body"]["model"] == name


# --- the tool ---------------------------------------------------------------------------


def test_sql_tool_declares_each_parameter_the_smarter_way():
    parameters = smarter_tool(PLUGIN_ID, *SQL)["function"]["parameters"]
    assert parameters == {
        "type": "object",
        "properties": {
            "pier": {"type": "string", "description": "The pier name.", "default": "North"},
            "unit": {"type": "string", "description": "Unit.", "enum": ["C", "F"]},
            "hours": {"type": "integer", "description": "Look ahead."},
        },
        "required": ["pier"],
        "additionalProperties": False,
    }


def test_sql_plugin_without_parameters_offers_a_tool_without_properties():
    parameters = smarter_tool(PLUGIN_ID, "sql", {"description": "All rows.", "parameters": None})["function"][
        "parameters"
    ]
    assert parameters["properties"] == {} and parameters["required"] == []


def test_static_list_data_offers_each_items_first_value():
    assert inquiry_types([{"name": "Alice Smith"}, {"name": "Bob"}, "plain", {"name": "Bob"}]) == [
        "Alice_Smith",
        "Bob",
        "plain",
    ]
    assert inquiry_types({"b": 1, "a": {"nested": 2}}) == ["b", "a"]


@pytest.mark.parametrize(
    ("plugin_class", "data", "says"),
    [
        ("static", None, "the plugin has no data yet"),
        ("static", {"description": "x", "static_data": {}}, "static data is empty"),
        ("static", {"description": "x", "static_data": None}, "static data is empty"),
        ("sql", {"description": "x", "parameters": {"pier": "string"}}, "parameters are not a list"),
        (
            "api",
            {"description": "x", "parameters": [{"name": "port"}]},
            "parameter 1 of the plugin data has no name or no type",
        ),
        (
            "api",
            {"description": "x", "parameters": [{"name": "a", "type": "string"}, {"name": "a", "type": "string"}]},
            "'a' of the plugin data is declared twice",
        ),
        ("other", {"description": "x"}, "plugin class 'other' is not static, sql or api"),
    ],
)
def test_a_missing_part_gives_an_error_entry(plugin_class, data, says):
    preview = preview_request(prompt_values("openai", "gpt-4o"), PLUGIN_ID, plugin_class, data)
    assert set(preview) == {"provider", "error"} and preview["provider"] == "openai"
    assert says in preview["error"]


@pytest.mark.parametrize(
    ("values", "plugin_id", "says"),
    [
        ({"provider": "acme"}, PLUGIN_ID, "provider 'acme' is not in the catalog"),
        ({"model": "gpt-9"}, PLUGIN_ID, "model 'gpt-9' is not a openai model"),
        ({"system_role": "  "}, PLUGIN_ID, "no system role"),
        ({}, None, "belongs to no plugin yet"),
    ],
)
def test_prompt_without_a_usable_part_gives_an_error_entry(values, plugin_id, says):
    preview = preview_request({**prompt_values("openai", "gpt-4o"), **values}, plugin_id, *STATIC)
    assert says in preview["error"]


# --- the curl line and the key ------------------------------------------------------------


def test_curl_line_carries_the_placeholder_and_the_exact_body(tmp_path):
    import shlex

    preview = preview_request(prompt_values("openai", "gpt-4o"), PLUGIN_ID, *STATIC, message="It's me")
    words = shlex.split(preview["curl"])  # as a shell reads it (before expanding $OPENAI_API_KEY)
    assert words[:5] == ["curl", "-sS", "-X", "POST", "https://api.openai.com/v1/chat/completions"]
    assert "Authorization: Bearer $OPENAI_API_KEY" in words
    assert json.loads(words[words.index("-d") + 1]) == preview["body"]


def test_no_real_key_ever_appears(monkeypatch):
    for shape in get_shapes().values():
        monkeypatch.setenv(shape.key_variable, TEST_KEY)
    for provider, entry in get_catalog().providers.items():
        preview = preview_request(prompt_values(provider, next(iter(entry.models))), PLUGIN_ID, *STATIC)
        text = json.dumps(preview)
        assert TEST_KEY not in text
        assert f"${get_shapes()[provider].key_variable}" in preview["headers"][get_shapes()[provider].auth_header]


def test_message_blank_is_the_default_and_bad_ones_are_refused_with_a_reason():
    assert check_message(None) == check_message("  ") == DEFAULT_MESSAGE
    assert check_message(" Hi ") == "Hi"
    with pytest.raises(ValueError, match="NUL character"):
        check_message("a\x00b")
    with pytest.raises(ValueError, match="at most 32,000"):
        check_message("x" * (MESSAGE_MAX + 1))


def test_every_shape_names_its_source_date_and_oracle():
    for shape in get_shapes().values():
        assert shape.source and shape.oracle and len(shape.checked) == 10
        assert shape.citation.startswith(f"request shape: {shape.provider}, ")
