"""Aggregation stages SciCat's fullfacet, fullquery and relation includes use."""

from __future__ import annotations

import pytest


@pytest.fixture
async def catalogue(store):
    datasets = store.collection("Dataset")
    blocks = store.collection("OrigDatablock")
    await datasets.insert_many(
        [
            {
                "_id": "d1",
                "pid": "d1",
                "type": "raw",
                "ownerGroup": "g1",
                "keywords": ["a", "b"],
                "size": 10,
            },
            {
                "_id": "d2",
                "pid": "d2",
                "type": "raw",
                "ownerGroup": "g2",
                "keywords": ["b"],
                "size": 20,
            },
            {
                "_id": "d3",
                "pid": "d3",
                "type": "derived",
                "ownerGroup": "g1",
                "keywords": [],
                "size": 30,
            },
        ]
    )
    await blocks.insert_many(
        [
            {"_id": "o1", "datasetId": "d1", "size": 5},
            {"_id": "o2", "datasetId": "d1", "size": 5},
            {"_id": "o3", "datasetId": "d3", "size": 30},
        ]
    )
    return store


async def _run(collection, pipeline):
    cursor = await collection.aggregate(pipeline)
    return await cursor.to_list(None)


async def test_match_group_sort_counts_per_type(catalogue):
    rows = await _run(
        catalogue.collection("Dataset"),
        [
            {"$match": {"ownerGroup": {"$in": ["g1", "g2"]}}},
            {
                "$group": {
                    "_id": "$type",
                    "count": {"$sum": 1},
                    "size": {"$sum": "$size"},
                }
            },
            {"$sort": {"_id": 1}},
        ],
    )
    assert rows == [
        {"_id": "derived", "count": 1, "size": 30},
        {"_id": "raw", "count": 2, "size": 30},
    ]


async def test_unwind_then_group_counts_keywords(catalogue):
    rows = await _run(
        catalogue.collection("Dataset"),
        [
            {"$unwind": "$keywords"},
            {"$group": {"_id": "$keywords", "count": {"$sum": 1}}},
            {"$sort": {"count": -1, "_id": 1}},
        ],
    )
    assert rows == [{"_id": "b", "count": 2}, {"_id": "a", "count": 1}]


async def test_facet_returns_counts_and_a_page_side_by_side(catalogue):
    rows = await _run(
        catalogue.collection("Dataset"),
        [
            {"$match": {"type": "raw"}},
            {
                "$facet": {
                    "all": [{"$count": "totalSets"}],
                    "page": [
                        {"$sort": {"size": -1}},
                        {"$skip": 1},
                        {"$limit": 1},
                        {"$project": {"_id": 0, "pid": 1}},
                    ],
                }
            },
        ],
    )
    assert rows == [{"all": [{"totalSets": 2}], "page": [{"pid": "d1"}]}]


async def test_lookup_joins_file_lists_to_their_dataset(catalogue):
    rows = await _run(
        catalogue.collection("Dataset"),
        [
            {"$match": {"pid": "d1"}},
            {
                "$lookup": {
                    "from": "OrigDatablock",
                    "localField": "pid",
                    "foreignField": "datasetId",
                    "as": "origdatablocks",
                }
            },
            {"$project": {"pid": 1, "origdatablocks._id": 1}},
        ],
    )
    assert rows == [
        {"_id": "d1", "pid": "d1", "origdatablocks": [{"_id": "o1"}, {"_id": "o2"}]}
    ]


async def test_count_stage_counts_matches(catalogue):
    rows = await _run(
        catalogue.collection("Dataset"),
        [{"$match": {"keywords": "b"}}, {"$count": "n"}],
    )
    assert rows == [{"n": 2}]


async def test_aggregation_results_are_copies(catalogue):
    datasets = catalogue.collection("Dataset")
    rows = await _run(datasets, [{"$match": {"pid": "d1"}}])
    rows[0]["keywords"].append("mutated")

    assert (await datasets.find_one({"pid": "d1"}))["keywords"] == ["a", "b"]


async def test_unknown_stage_is_a_query_error(catalogue):
    from common.errors import StoreQueryError

    with pytest.raises(StoreQueryError):
        await _run(catalogue.collection("Dataset"), [{"$bogusStage": {}}])
