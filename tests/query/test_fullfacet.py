"""fullfacet pipelines run on small collections: SciCat's output shape."""

from __future__ import annotations

import pytest

from common.errors import InvalidError
from common.query.fullfacet import (
    build_fullfacet_count_pipeline,
    build_fullfacet_pipeline,
    build_match_stages,
)
from tests.query.conftest import DATASET_SPEC


def facet(db, fields, facets, sub_field=""):
    pipeline = build_fullfacet_pipeline(DATASET_SPEC, fields, facets, sub_field)
    return list(db.Dataset.aggregate(pipeline))


def test_output_shape_and_counts(db):
    result = facet(db, {}, ["type", "creationLocation", "ownerGroup"])
    assert result == [
        {
            "type": [{"_id": "raw", "count": 2}, {"_id": "derived", "count": 1}],
            "creationLocation": [
                {"_id": "PSI", "count": 1},
                {"_id": "ESS", "count": 2},
            ],
            "ownerGroup": [
                {"_id": "g3", "count": 1},
                {"_id": "g2", "count": 1},
                {"_id": "g1", "count": 1},
            ],
            "all": [{"totalSets": 3}],
        }
    ]


def test_array_facets_are_unwound(db):
    [result] = facet(db, {}, ["keywords"])
    assert result["keywords"] == [
        {"_id": "gamma", "count": 1},
        {"_id": "beta", "count": 2},
        {"_id": "alpha", "count": 1},
    ]


def test_date_facets_group_by_day(db):
    [result] = facet(db, {}, ["creationTime"])
    assert result["creationTime"] == [
        {"_id": {"year": 2022, "month": 7, "day": 8}, "count": 1},
        {"_id": {"year": 2021, "month": 3, "day": 4}, "count": 2},
    ]


def test_fields_restrict_every_facet(db):
    [result] = facet(
        db, {"creationLocation": ["ESS"], "userGroups": ["g1", "g3"]}, ["type"]
    )
    assert result == {"type": [{"_id": "raw", "count": 2}], "all": [{"totalSets": 2}]}


def test_scientific_conditions_restrict(db):
    fields = {
        "scientific": [{"lhs": "temperature", "relation": "LESS_THAN", "rhs": 20}]
    }
    [result] = facet(db, fields, ["ownerGroup"])
    assert result == {
        "ownerGroup": [{"_id": "g3", "count": 1}],
        "all": [{"totalSets": 1}],
    }


def test_nothing_matching_gives_empty_all(db):
    [result] = facet(db, {"ownerGroup": "nobody"}, ["type"])
    assert result == {"type": [], "all": []}


def test_globalaccess_lifts_the_group_condition(db):
    [result] = facet(db, {"userGroups": ["globalaccess"]}, [])
    assert result == {"all": [{"totalSets": 3}]}


def test_lifecycle_facets_group_by_the_lifecycle_field(db):
    [result] = facet(db, {}, ["datasetlifecycle.archiveStatusMessage"])
    assert result["archiveStatusMessage"] == [
        {"_id": "datasetOnArchiveDisk", "count": 1},
        {"_id": "datasetCreated", "count": 2},
    ]


def test_unknown_facets_are_skipped(db):
    [result] = facet(db, {}, ["noSuchField"])
    assert result == {"all": [{"totalSets": 3}]}


def test_facet_match_excludes_the_facets_own_condition():
    pipeline = build_fullfacet_pipeline(
        DATASET_SPEC,
        {"type": "raw", "creationLocation": "ESS"},
        ["type", "creationLocation"],
    )
    branches = pipeline[-1]["$facet"]
    assert {"$match": {"creationLocation": "ESS"}} in branches["type"]
    assert {"$match": {"type": "raw"}} in branches["creationLocation"]
    assert branches["all"][0] == {"$match": {"type": "raw", "creationLocation": "ESS"}}


def test_fields_make_one_match_stage():
    stages = build_match_stages(
        DATASET_SPEC, {"ownerGroup": "g1", "text": "water", "text2": 5}
    )
    assert stages == [
        {"$match": {"ownerGroup": "g1", "$text": {"$search": "water"}, "text2": 5}}
    ]
    assert build_match_stages(DATASET_SPEC, {"text": 5}) == []


def test_count_pipeline_counts_without_documents(db):
    pipeline = build_fullfacet_count_pipeline(DATASET_SPEC, {"keywords": ["beta"]})
    assert list(db.Dataset.aggregate(pipeline)) == [{"totalSets": 2}]
    unwound = build_fullfacet_count_pipeline(DATASET_SPEC, {}, sub_field="keywords")
    assert list(db.Dataset.aggregate(unwound)) == [{"totalSets": 4}]


def test_sub_field_counts_unwound_items(db):
    [result] = facet(db, {}, [], sub_field="keywords")
    assert result == {"all": [{"totalSets": 4}]}


@pytest.mark.parametrize(
    ("fields", "facets"),
    [
        ({"mode": {"$where": "1"}}, []),
        ({"ownerGroup": {"$expr": 1}}, ["ownerGroup"]),
        ({}, ["$where"]),
        ({}, ["a.$b"]),
        ({}, ["type"] * 51),
        ("fields", []),
    ],
)
def test_bad_requests_are_refused(fields, facets):
    with pytest.raises(InvalidError):
        build_fullfacet_pipeline(DATASET_SPEC, fields, facets)
