"""fullquery fields: filters checked by running them on small collections."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from common.errors import InvalidError
from common.query.fullquery import (
    QuerySpec,
    ReadTier,
    augment_access_fields,
    build_fullquery_filter,
)
from tests.query.conftest import DATASET_SPEC, pids


def run(db, fields):
    return pids(db.Dataset.find(build_fullquery_filter(DATASET_SPEC, fields)))


def test_empty_fields_match_everything(db):
    assert run(db, {}) == ["p/1", "p/2", "p/3"]
    assert build_fullquery_filter(DATASET_SPEC, None) == {}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"ownerGroup": ["g2"]}, ["p/2"]),
        ({"ownerGroup": ["g1", "g3"]}, ["p/1", "p/3"]),
        ({"ownerGroup": "g3"}, ["p/3"]),
        ({"keywords": ["beta"]}, ["p/1", "p/2"]),
        ({"isPublished": True}, ["p/3"]),
        ({"size": {"min": 50, "max": 2000}}, ["p/1", "p/2"]),
        (
            {"creationTime": {"begin": "2021-03-04", "end": "2021-03-05"}},
            ["p/1", "p/2"],
        ),
        ({"creationTime": {"begin": "2022-01-01T00:00:00Z"}}, ["p/3"]),
        ({"datasetlifecycle.archiveStatusMessage": "datasetOnArchiveDisk"}, ["p/1"]),
        ({"creationLocation": ["ESS"], "type": "raw"}, ["p/1", "p/3"]),
        ({"userGroups": ["g1"]}, ["p/1", "p/2"]),
        ({"userGroups": []}, []),
        ({"mode": {"pid": "p/2"}}, ["p/2"]),
        ({"mode": {"size": {"$gt": 10}}, "ownerGroup": "g1"}, ["p/1"]),
        ({"metadataKey": "temp"}, ["p/1", "p/2", "p/3"]),
        # An unknown key with begin/end is read as a date range.
        ({"unknownDate": {"begin": "2020-01-01", "end": "2020-02-01"}}, []),
    ],
)
def test_fields_select_the_expected_datasets(db, fields, expected):
    assert run(db, fields) == expected


def test_mode_renames_the_id_field():
    assert build_fullquery_filter(DATASET_SPEC, {"mode": {"pid": "x"}}) == {"_id": "x"}
    spec = QuerySpec(id_field="_id")
    assert build_fullquery_filter(spec, {"mode": {"_id": "x"}}) == {"_id": "x"}


def test_text_becomes_a_text_search():
    assert build_fullquery_filter(DATASET_SPEC, {"text": "water"}) == {
        "$text": {"$search": "water"}
    }


def test_conditions_are_and_ed_not_overwritten(db):
    fields = {
        "userGroups": ["g1"],
        "mode": {"$and": [{"size": {"$gt": 150}}]},
    }
    assert run(db, fields) == ["p/2"]


def test_date_values_become_datetimes():
    query = build_fullquery_filter(
        DATASET_SPEC, {"creationTime": {"begin": "2021-01-01", "end": 1609545600000}}
    )
    assert query == {
        "creationTime": {
            "$gte": datetime(2021, 1, 1, tzinfo=UTC),
            "$lte": datetime(2021, 1, 2, tzinfo=UTC),
        }
    }


@pytest.mark.parametrize(
    "fields",
    [
        {"mode": {"$where": "sleep(1000)"}},
        {"ownerGroup": {"$function": {}}},
        {"mode": "pid"},
        {"text": 5},
        {"creationTime": "2021-01-01"},
        {"creationTime": {"begin": "yesterday"}},
        {"$bad": 1, "x.$y": 2},
        ["not", "an", "object"],
        {"scientific": "x"},
    ],
)
def test_bad_fields_are_refused(fields):
    with pytest.raises(InvalidError):
        build_fullquery_filter(DATASET_SPEC, fields)


class TestAccessAugmentation:
    def test_readers_of_everything_are_unchanged(self):
        assert augment_access_fields(
            {"a": 1}, ReadTier.ANY, ["g"], public_fallback=True
        ) == {"a": 1}

    def test_published_requests_are_unchanged(self):
        fields = {"isPublished": True}
        assert (
            augment_access_fields(fields, ReadTier.ACCESS, ["g"], public_fallback=True)
            == fields
        )

    def test_access_tier_gets_its_groups(self, db):
        fields = augment_access_fields(
            {}, ReadTier.ACCESS, ["g1"], public_fallback=True
        )
        assert fields == {"userGroups": ["g1"]}
        assert run(db, fields) == ["p/1", "p/2"]

    def test_owner_tier_gets_owner_groups(self, db):
        fields = augment_access_fields({}, ReadTier.OWNER, ["g1"], public_fallback=True)
        assert run(db, fields) == ["p/1"]

    def test_others_see_published_in_v3_only(self, db):
        fields = augment_access_fields({}, ReadTier.NONE, [], public_fallback=True)
        assert run(db, fields) == ["p/3"]
        assert augment_access_fields({}, ReadTier.NONE, [], public_fallback=False) == {}

    def test_naming_foreign_groups_does_not_widen_access(self, db):
        fields = augment_access_fields(
            {"userGroups": ["g3", "globalaccess"]},
            ReadTier.ACCESS,
            ["g1"],
            public_fallback=True,
        )
        assert run(db, fields) == []
        owner = augment_access_fields(
            {"ownerGroup": ["g2", "g1"]}, ReadTier.OWNER, ["g1"], public_fallback=True
        )
        assert run(db, owner) == ["p/1"]
