"""include: relation lookups, run on small collections."""

from __future__ import annotations

import copy

import mongomock
import pytest

from common.errors import InvalidError
from common.query.include import (
    DATASET_RELATIONS,
    ORIGDATABLOCK_RELATIONS,
    IncludeSpec,
    build_lookups,
    parse_include,
)
from common.query.loopback import parse_loopback_filter
from common.query.projection import to_projection


@pytest.fixture
def db():
    database = mongomock.MongoClient(tz_aware=True).db
    database.Dataset.insert_many(
        [
            {
                "_id": "p/1",
                "pid": "p/1",
                "instrumentIds": ["i1"],
                "proposalIds": ["prop1", "prop2"],
                "sampleIds": ["s1"],
                "size": 1,
            },
            {"_id": "p/2", "pid": "p/2", "size": 2},
        ]
    )
    database.Instrument.insert_many(
        [{"_id": "i1", "pid": "i1"}, {"_id": "i2", "pid": "i2"}]
    )
    database.Proposal.insert_many(
        [
            {"_id": "prop1", "proposalId": "prop1", "ownerGroup": "g1"},
            {"_id": "prop2", "proposalId": "prop2", "ownerGroup": "g2"},
        ]
    )
    database.Sample.insert_one({"_id": "s1", "sampleId": "s1", "ownerGroup": "g1"})
    database.OrigDatablock.insert_many(
        [
            {"_id": f"o{n}", "datasetId": "p/1", "size": n, "ownerGroup": "g1"}
            for n in range(1, 5)
        ]
        + [{"_id": "o9", "datasetId": "p/2", "size": 9, "ownerGroup": "g2"}]
    )
    database.Datablock.insert_one({"_id": "d1", "datasetId": "p/2", "ownerGroup": "g2"})
    database.Attachment.insert_many(
        [
            {
                "_id": "a1",
                "relationships": [{"targetId": "p/1", "targetType": "dataset"}],
            },
            {
                "_id": "a2",
                "relationships": [{"targetId": "p/1", "targetType": "sample"}],
            },
        ]
    )
    return database


def run_lookups(database, collection, stages):
    """Run $lookup stages; sub-pipelines (not in mongomock) are run per document."""
    documents = list(database[collection].find({}, sort=[("_id", 1)]))
    for stage in stages:
        lookup = stage["$lookup"]
        foreign = database[lookup["from"]]
        for document in documents:
            local = document.get(lookup["localField"])
            values = local if isinstance(local, list) else [local]
            related = list(foreign.find({lookup["foreignField"]: {"$in": values}}))
            if "pipeline" in lookup:
                scratch = mongomock.MongoClient().db.scratch
                if related:
                    scratch.insert_many(copy.deepcopy(related))
                related = list(scratch.aggregate(lookup["pipeline"]))
            document[lookup["as"]] = related
    return {document["_id"]: document for document in documents}


def ids(documents):
    return [document["_id"] for document in documents]


def test_plain_relations_run_on_mongomock_directly(db):
    plan = build_lookups(
        parse_include(["instruments", "origdatablocks"]), DATASET_RELATIONS
    )
    assert all("pipeline" not in stage["$lookup"] for stage in plan.stages)
    result = {
        d["_id"]: d for d in db.Dataset.aggregate([*plan.stages, {"$sort": {"_id": 1}}])
    }
    assert ids(result["p/1"]["instruments"]) == ["i1"]
    assert sorted(ids(result["p/1"]["origdatablocks"])) == ["o1", "o2", "o3", "o4"]
    assert result["p/2"]["instruments"] == []
    assert ids(result["p/2"]["origdatablocks"]) == ["o9"]


def test_all_includes_every_relation(db):
    plan = build_lookups([IncludeSpec("all")], DATASET_RELATIONS)
    assert plan.relations == [
        "instruments",
        "proposals",
        "origdatablocks",
        "datablocks",
        "attachments",
        "samples",
    ]
    result = run_lookups(db, "Dataset", plan.stages)
    assert sorted(ids(result["p/1"]["proposals"])) == ["prop1", "prop2"]
    assert ids(result["p/1"]["samples"]) == ["s1"]
    assert ids(result["p/1"]["attachments"]) == ["a1"]
    assert ids(result["p/2"]["datablocks"]) == ["d1"]


def test_access_filters_restrict_related_documents(db):
    plan = build_lookups(
        parse_include(["proposals", "origdatablocks", "instruments"]),
        DATASET_RELATIONS,
        access_filters={
            "proposals": {"ownerGroup": {"$in": ["g1"]}},
            "origdatablocks": {"ownerGroup": {"$in": ["g2"]}},
        },
    )
    result = run_lookups(db, "Dataset", plan.stages)
    assert ids(result["p/1"]["proposals"]) == ["prop1"]
    assert result["p/1"]["origdatablocks"] == []
    assert ids(result["p/1"]["instruments"]) == ["i1"]


def test_scope_where_fields_limits_apply_inside_the_lookup(db):
    include = parse_include(
        [
            {
                "relation": "origdatablocks",
                "scope": {
                    "where": {"size": {"$gte": 2}},
                    "fields": ["size"],
                    "limits": {"limit": 2, "skip": 1, "sort": {"size": "desc"}},
                },
            }
        ]
    )
    plan = build_lookups(include, DATASET_RELATIONS)
    result = run_lookups(db, "Dataset", plan.stages)
    # sizes >= 2 are 4, 3, 2; sorted descending, skip one, keep two.
    assert result["p/1"]["origdatablocks"] == [
        {"_id": "o3", "size": 3},
        {"_id": "o2", "size": 2},
    ]


def test_origdatablocks_include_their_dataset(db):
    plan = build_lookups(parse_include("dataset"), ORIGDATABLOCK_RELATIONS)
    result = run_lookups(db, "OrigDatablock", plan.stages)
    assert ids(result["o1"]["dataset"]) == ["p/1"]


def test_unknown_relation_has_scicats_message():
    with pytest.raises(InvalidError) as caught:
        build_lookups(parse_include(["nope"]), DATASET_RELATIONS)
    assert caught.value.message == (
        'Provided include field "nope" is not part of the dataset relations'
    )


def test_relation_names_are_added_to_an_inclusive_projection():
    plan = build_lookups(parse_include(["samples"]), DATASET_RELATIONS)
    assert to_projection(["pid"], plan.relations) == {"pid": True, "samples": True}
    assert to_projection({"size": False}, plan.relations) == {"size": False}


def test_loopback_include_with_relation_objects():
    parsed = parse_loopback_filter('{"include": [{"relation": "datablocks"}]}')
    plan = build_lookups(parsed.include, DATASET_RELATIONS)
    assert plan.relations == ["datablocks"]


@pytest.mark.parametrize(
    "include",
    [
        [5],
        [{"name": "x"}],
        [{"relation": "samples", "extra": 1}],
        [{"relation": "samples", "scope": "x"}],
        [{"relation": "samples", "scope": {"where": {"$where": "1"}}}],
        [{"relation": "samples", "scope": {"limits": {"limit": -1}}}],
        [{"relation": "samples", "scope": {"fields": {"$x": 1}}}],
        [{"relation": "samples", "scope": {"other": 1}}],
    ],
)
def test_bad_include_values_are_refused(include):
    with pytest.raises(InvalidError):
        build_lookups(parse_include(include), DATASET_RELATIONS)
