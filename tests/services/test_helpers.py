"""Small pure pieces: merge patch, default policy, MetadataKeys rows, precondition."""

from __future__ import annotations

import datetime as dt

import pytest

from common.errors import PreconditionFailedError
from common.services.entity import and_filters, check_unmodified_since, merge_patch
from common.services.metadata_keys import SourceType, metadata_key_rows, user_groups
from common.services.policies import default_policy, default_policy_id


def test_merge_patch_follows_rfc_7386():
    target = {"a": "b", "c": {"d": "e", "f": "g"}, "keep": [1]}
    patch = {"a": "z", "c": {"f": None}, "new": {"x": None, "y": 1}}
    assert merge_patch(target, patch) == {
        "a": "z",
        "c": {"d": "e"},
        "keep": [1],
        "new": {"y": 1},
    }
    assert merge_patch({"a": [1, 2]}, {"a": [3]}) == {"a": [3]}
    assert merge_patch({"a": 1}, ["not", "an", "object"]) == ["not", "an", "object"]


def test_and_filters_skips_empty_parts():
    assert and_filters(None, {}) == {}
    assert and_filters({"a": 1}, None) == {"a": 1}
    assert and_filters({"a": 1}, {"b": 2}) == {"$and": [{"a": 1}, {"b": 2}]}


def test_unmodified_since_is_inclusive_like_scicat():
    updated = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    with pytest.raises(PreconditionFailedError, match="modified on server"):
        check_unmodified_since({"updatedAt": updated}, updated)
    check_unmodified_since({"updatedAt": updated}, updated + dt.timedelta(seconds=1))
    check_unmodified_since({"updatedAt": updated}, None)


def test_default_policy_managers_and_stable_id():
    policy = default_policy(
        {"ownerGroup": "g", "ownerEmail": "a@x.org,b@x.org", "createdBy": "u"}, "high"
    )
    assert policy["manager"] == ["a@x.org", "b@x.org"]
    assert policy["tapeRedundancy"] == "high"
    assert policy["_id"] == default_policy_id("g") != default_policy_id("h")
    fallback = default_policy({"ownerGroup": "g"}, "low", default_manager="boss")
    assert fallback["manager"] == ["boss"]


def test_metadata_key_rows():
    assert user_groups("g", ["a", "g", "", None, "b"]) == ["g", "a", "b"]
    rows = metadata_key_rows(
        SourceType.DATASET,
        "p/1",
        {"temp": {"human_name": "Temperature", "value": 1}, "flat": 3},
        owner_group="g",
        access_groups=["a"],
        is_published=True,
    )
    assert [(r["_id"], r["humanReadableName"]) for r in rows] == [
        ("dataset_p/1_temp", "Temperature"),
        ("dataset_p/1_flat", ""),
    ]
    assert all(r["isPublished"] and r["userGroups"] == ["g", "a"] for r in rows)
    # Stored documents keep SciCat's field order; rows are separate documents.
    assert list(rows[1]) == [
        "_id", "id", "key", "humanReadableName", "userGroups", "sourceType",
        "sourceId", "isPublished", "createdBy", "updatedBy", "createdAt",
        "updatedAt", "__v",
    ]  # fmt: skip
    assert rows[0]["key"] == "temp" and rows[1]["id"] == "dataset_p/1_flat"
    assert rows[0] is not rows[1]
    assert (
        metadata_key_rows(
            SourceType.DATASET,
            "p",
            None,
            owner_group="g",
            access_groups=[],
            is_published=False,
        )
        == []
    )
