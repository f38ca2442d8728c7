"""The v4 filter key allow-list."""

from __future__ import annotations

import pytest

from common.errors import InvalidError
from common.query.allowlist import ELEM_MATCH, check_v4_filter, flatten_paths

DATASET_KEYS = frozenset(
    {
        "pid",
        "datasetName",
        "ownerGroup",
        "size",
        "scientificMetadata",
        "createdAt",
        "datasetlifecycle",
        "archiveStatusMessage",
        "jobParams",
    }
)


@pytest.mark.parametrize(
    "filter_",
    [
        {"where": {"pid": {"$in": ["a"]}}},
        {"where": {"$or": [{"ownerGroup": "g"}, {"size": {"$gt": 1}}]}},
        {"where": {"datasetlifecycle.archiveStatusMessage": "ok"}},
        {"where": {"scientificMetadata": {"any": {"thing": {"$gt": 1}}}}},
        {"where": {"scientificMetadata.any.deep.path": 1}},
        {"fields": ["pid", "whatever"], "include": ["x"]},
        {"limits": {"limit": 1, "skip": 2, "sort": {"createdAt": "desc"}}},
    ],
)
def test_allowed_paths_pass(filter_):
    check_v4_filter(filter_, DATASET_KEYS)


@pytest.mark.parametrize(
    ("filter_", "path"),
    [
        ({"where": {"unknown": 1}}, "where.unknown"),
        ({"where": {"pid": {"$where": "1"}}}, "where.pid.$where"),
        ({"where": {"size": {"$elemMatch": {"a": 1}}}}, "where.size.$elemMatch.a"),
        ({"limits": {"order": "pid:asc"}}, "limits.order"),
        ({"other": 1}, "other"),
        ({"where": {"pid": {"x": {}}}}, "where.pid.x"),
    ],
)
def test_unknown_paths_get_scicats_message(filter_, path):
    with pytest.raises(InvalidError) as caught:
        check_v4_filter(filter_, DATASET_KEYS)
    assert (
        caught.value.message == f"Property {path} should not exist in the filter object"
    )


def test_groups_can_be_disabled():
    check_v4_filter({"where": {"pid": "a"}}, DATASET_KEYS, groups=["where"])
    with pytest.raises(InvalidError, match="Property limits should not exist"):
        check_v4_filter({"limits": 5}, DATASET_KEYS, groups=["where"])


def test_elem_match_only_where_enabled():
    filter_ = {"where": {"ownerGroup": {"$elemMatch": {"$eq": "g"}}}}
    with pytest.raises(InvalidError):
        check_v4_filter(filter_, DATASET_KEYS)
    check_v4_filter(filter_, DATASET_KEYS, extra_words=ELEM_MATCH)


def test_arrays_are_leaves():
    assert list(flatten_paths({"where": {"$or": [{"x": 1}], "a": {"b": 1}}})) == [
        "where.$or",
        "where.a.b",
    ]
