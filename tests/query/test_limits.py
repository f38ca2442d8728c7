"""limits: paging and sorting with SciCat's defaults."""

from __future__ import annotations

import pytest

from common.errors import InvalidError
from common.query.limits import (
    MAX_LIMIT,
    V4_DATASET_DEFAULTS,
    V4_DEFAULTS,
    V4_METADATAKEYS_DEFAULTS,
    Limits,
    parse_policy_limits,
    parse_v3_limits,
    parse_v4_limits,
)


def test_v3_defaults():
    assert parse_v3_limits(None) == Limits(limit=100, skip=0, sort={})
    assert parse_v3_limits({}) == Limits(limit=100, skip=0, sort={})


@pytest.mark.parametrize(
    ("order", "sort"),
    [
        ("createdAt:desc", {"createdAt": -1}),
        ("size:asc", {"size": 1}),
        ("size DESC", {"size": -1}),
        ("size", {"size": 1}),
        ("size:sideways", {}),
        (["a:asc", "b:desc"], {"a": 1, "b": -1}),
    ],
)
def test_v3_order(order, sort):
    assert parse_v3_limits({"order": order, "limit": 5, "skip": 2}) == Limits(
        5, 2, sort
    )


def test_v3_sort_object_is_taken_too():
    assert parse_v3_limits({"sort": {"size": "desc"}}).sort == {"size": -1}


def test_v4_dataset_defaults_merge():
    assert parse_v4_limits(None, V4_DATASET_DEFAULTS) == Limits(
        10, 0, {"createdAt": -1}
    )
    assert parse_v4_limits({"limit": 3}, V4_DATASET_DEFAULTS) == Limits(
        3, 0, {"createdAt": -1}
    )
    assert parse_v4_limits({"sort": {"size": "asc"}}, V4_DATASET_DEFAULTS) == Limits(
        10, 0, {"size": 1}
    )


def test_v4_other_defaults_only_when_absent():
    assert parse_v4_limits(None, V4_DEFAULTS) == Limits(10, 0, {"createdAt": -1})
    assert parse_v4_limits({"skip": 4}, V4_DEFAULTS) == Limits(10, 4, {})
    assert parse_v4_limits(None, V4_METADATAKEYS_DEFAULTS).limit == 100


def test_v4_refuses_order():
    with pytest.raises(InvalidError, match=r"limits\.order"):
        parse_v4_limits({"order": "a:asc"})


def test_policies_read_the_top_level():
    assert parse_policy_limits({"limit": 3, "skip": 1, "order": "name:desc"}) == Limits(
        3, 1, {"name": -1}
    )
    assert parse_policy_limits({}) == Limits(100, 0, {})


def test_limits_are_capped():
    assert parse_v3_limits({"limit": 10**9}).limit == MAX_LIMIT


def test_zero_limit_means_default():
    assert parse_v3_limits({"limit": 0}).limit == 100


def test_numeric_strings_are_accepted():
    assert parse_v3_limits({"limit": "7", "skip": "2"}) == Limits(7, 2, {})


@pytest.mark.parametrize(
    "limits",
    [
        {"limit": -1},
        {"limit": 1.5},
        {"limit": "ten"},
        {"limit": True},
        {"skip": -3},
        {"skip": [1]},
        {"order": 5},
        {"sort": {"a": "up"}},
        {"sort": "a"},
        {"sort": {"$where": 1}},
        "limit=5",
    ],
)
def test_bad_limits_are_refused(limits):
    with pytest.raises(InvalidError):
        parse_v3_limits(limits)


def test_stages_and_find_options():
    limits = Limits(5, 10, {"createdAt": -1})
    assert limits.stages() == [
        {"$sort": {"createdAt": -1}},
        {"$skip": 10},
        {"$limit": 5},
    ]
    assert limits.find_options() == {
        "skip": 10,
        "limit": 5,
        "sort": [("createdAt", -1)],
    }
    assert Limits(None, 0).stages() == [{"$skip": 0}]
