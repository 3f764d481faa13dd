"""Hashed ids and locators: the pure functions."""

import random

import pytest

from plugin_admin.hashing import find_hash, hash_regex, hashed_id, id_from_hashed_id, parse_locator, record_locator

VECTORS = [
    (1, "rMTAwMDAwMQx"),
    (2, "rMTAwMDAwMgx"),
    (10, "rMTAwMDAxMAx"),
    (39, "rMTAwMDAzOQx"),
    (123, "rMTAwMDEyMwx"),
    (9000000, "rMTAwMDAwMDAx"),
]


@pytest.mark.parametrize(("pk", "expected"), VECTORS)
def test_spec_vectors(pk, expected):
    assert hashed_id(pk) == expected
    assert id_from_hashed_id(expected) == pk


def test_round_trip_sampled_up_to_ten_million():
    rng = random.Random(7)
    sample = [1, 2, 999_999, 1_000_000, 10**7, *rng.sample(range(1, 10**7 + 1), 20_000)]
    for pk in sample:
        assert id_from_hashed_id(hashed_id(pk)) == pk


MALFORMED = [
    "", "r", "x", "rx", "r!!x", "rMQx", "rMTAwMDAwMQ", "MTAwMDAwMQx", "sMTAwMDAwMQx", "rMTAwMDAwMQy",
    "rMTAwMDAwMQxx", " rMTAwMDAwMQx", "rMTAwMDAwMQx ", "rÄÖÜx", "r\u0661\u0662x", "r" + "M" * 10_000 + "x",
    "x" * 10_000, "rMTAwMDAwMA==x", "rMTAwMDAwMAx", "rLTEwMDAwMDAx", "rOTk5OTk5x", "r' OR 1=1 --x",
    "rMTAwMDAwMQ=x", "rMDEwMDAwMDF4", None, 1, 1.5, b"rMTAwMDAwMQx", ["rMTAwMDAwMQx"],
]  # fmt: skip


@pytest.mark.parametrize("value", MALFORMED)
def test_malformed_gives_none_without_exception(value):
    assert id_from_hashed_id(value) is None


def test_each_record_has_exactly_one_hashed_id():
    # "rMTAwMDAwMR" decodes to the same bytes as "...MQ" under lenient base64; only one may count
    assert id_from_hashed_id("rMTAwMDAwMRx") is None


def test_ids_past_the_bigint_range_decode_to_none():
    largest = 2**63 - 1
    assert id_from_hashed_id(hashed_id(largest)) == largest
    assert id_from_hashed_id(hashed_id(largest + 1)) is None
    assert id_from_hashed_id("rOTk5OTk5OTk5OTk5OTk5OTk5OQx") is None  # 9999999999999999999, past any record


def test_find_hash_returns_first_hash_that_decodes():
    assert find_hash("userprofile-rMTAwMDAwNQx") == "rMTAwMDAwNQx"
    assert find_hash("/admin/pluginprompt/edit/?id=rMTAwMDAwMQx&next=rMTAwMDAwMgx") == "rMTAwMDAwMQx"
    assert find_hash("no hash here") is None
    assert find_hash("rx" * 5_000) is None
    assert find_hash(None) is None


def test_hash_regex_matches_anywhere():
    assert hash_regex().search("see /l/pluginmeta-rMTAwMDAwMQx.json").group() == "rMTAwMDAwMQx"


def test_record_locator_and_parse():
    assert record_locator("PluginPrompt", 1) == "pluginprompt-rMTAwMDAwMQx"
    assert parse_locator("pluginprompt-rMTAwMDAwMQx") == ("pluginprompt", 1)
    for bad in ("pluginprompt", "-rMTAwMDAwMQx", "plugin prompt-rMTAwMDAwMQx", "pluginprompt-rMQx", "x" * 300, None):
        assert parse_locator(bad) is None
