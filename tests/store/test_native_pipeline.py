"""Native aggregation stages of the embedded store where MongoDB and mongomock
differ, ``$lookup`` with a sub-pipeline, and the hand-over to mongomock."""

from __future__ import annotations

import datetime as dt

import pytest

from common.errors import StoreQueryError

WHEN = dt.datetime(2024, 3, 5, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
async def datasets(store):
    if store.kind != "embedded":
        pytest.skip("the native runner belongs to the embedded store")
    collection = store.collection("Dataset")
    await collection.insert_many(
        [
            {"_id": "d1", "pid": "d1", "creationTime": WHEN, "keywords": ["a", "b"]},
            {"_id": "d2", "pid": "d2", "creationTime": None, "keywords": []},
            {"_id": "d3", "pid": "d3", "size": 4, "keywords": "a"},
        ]
    )
    origs = store.collection("OrigDatablock")
    await origs.insert_many(
        [
            {"_id": "o1", "datasetId": "d1", "size": 1, "ownerGroup": "g1"},
            {"_id": "o2", "datasetId": "d1", "size": 5, "ownerGroup": "g2"},
            {"_id": "o3", "datasetId": "d3", "size": 3, "ownerGroup": "g1"},
        ]
    )
    return collection


async def run(collection, pipeline):
    return await (await collection.aggregate(pipeline)).to_list(None)


async def test_date_parts_of_missing_or_null_dates_group_under_null(datasets):
    day = {
        "year": {"$year": "$creationTime"},
        "month": {"$month": "$creationTime"},
        "day": {"$dayOfMonth": "$creationTime"},
    }
    rows = await run(datasets, [{"$group": {"_id": day, "count": {"$sum": 1}}}])
    assert rows == [
        {"_id": {"year": None, "month": None, "day": None}, "count": 2},
        {"_id": {"year": 2024, "month": 3, "day": 5}, "count": 1},
    ]


async def test_count_of_nothing_is_no_document(datasets):
    assert await run(datasets, [{"$match": {"pid": "none"}}, {"$count": "n"}]) == []
    assert await run(datasets, [{"$count": "n"}]) == [{"n": 3}]


async def test_unwind_drops_empty_and_keeps_scalars(datasets):
    rows = await run(
        datasets, [{"$unwind": "$keywords"}, {"$project": {"keywords": 1}}]
    )
    assert rows == [
        {"_id": "d1", "keywords": "a"},
        {"_id": "d1", "keywords": "b"},
        {"_id": "d3", "keywords": "a"},
    ]
    kept = await run(
        datasets,
        [{"$unwind": {"path": "$keywords", "preserveNullAndEmptyArrays": True}}],
    )
    assert [(r["_id"], "keywords" in r) for r in kept] == [
        ("d1", True),
        ("d1", True),
        ("d2", False),
        ("d3", True),
    ]


async def test_project_of_id_alone(datasets):
    rows = await run(datasets, [{"$match": {"pid": "d3"}}, {"$project": {"_id": 0}}])
    assert rows == [{"pid": "d3", "size": 4, "keywords": "a"}]
    rows = await run(datasets, [{"$match": {"pid": "d3"}}, {"$project": {"_id": 1}}])
    assert rows == [{"_id": "d3"}]


async def test_results_are_copies_with_aware_dates(datasets):
    rows = await run(datasets, [{"$match": {"pid": "d1"}}])
    assert rows[0]["creationTime"] == WHEN and rows[0]["creationTime"].tzinfo
    rows[0]["keywords"].append("changed")
    again = await run(datasets, [{"$match": {"pid": "d1"}}])
    assert again[0]["keywords"] == ["a", "b"]


async def test_lookup_with_local_foreign_field_and_pipeline(datasets):
    rows = await run(
        datasets,
        [
            {"$sort": {"_id": 1}},
            {
                "$lookup": {
                    "from": "OrigDatablock",
                    "localField": "pid",
                    "foreignField": "datasetId",
                    "pipeline": [
                        {"$match": {"ownerGroup": "g1"}},
                        {"$project": {"size": 1}},
                    ],
                    "as": "origdatablocks",
                }
            },
            {"$project": {"origdatablocks": 1}},
        ],
    )
    assert rows == [
        {"_id": "d1", "origdatablocks": [{"_id": "o1", "size": 1}]},
        {"_id": "d2", "origdatablocks": []},
        {"_id": "d3", "origdatablocks": [{"_id": "o3", "size": 3}]},
    ]


async def test_lookup_with_let_and_expr(datasets):
    rows = await run(
        datasets,
        [
            {"$match": {"pid": {"$in": ["d1", "d3"]}}},
            {
                "$lookup": {
                    "from": "OrigDatablock",
                    "let": {"id": "$pid"},
                    "pipeline": [
                        {"$match": {"$expr": {"$eq": ["$datasetId", "$$id"]}}},
                        {"$sort": {"size": -1}},
                    ],
                    "as": "blocks",
                }
            },
        ],
    )
    assert [[b["_id"] for b in r["blocks"]] for r in rows] == [["o2", "o1"], ["o3"]]


async def test_lookup_with_let_reads_the_foreign_index(datasets, store, monkeypatch):
    foreign = store.collection("OrigDatablock")
    seen = []
    iterate = foreign._engine._iter_documents

    def spy(query):
        seen.append(query)
        return iterate(query)

    monkeypatch.setattr(foreign._engine, "_iter_documents", spy)
    rows = await run(
        datasets,
        [
            {"$match": {"pid": "d1"}},
            {
                "$lookup": {
                    "from": "OrigDatablock",
                    "let": {"id": "$pid"},
                    "pipeline": [
                        {"$match": {"$expr": {"$in": ["$datasetId", ["d1", "x"]]}}},
                        {"$match": {"$expr": {"$eq": ["$$id", "$datasetId"]}}},
                    ],
                    "as": "blocks",
                }
            },
        ],
    )
    assert [b["_id"] for b in rows[0]["blocks"]] == ["o1", "o2"]
    assert seen == [{"datasetId": {"$in": ["d1", "x"]}}]


async def test_union_with_appends_the_other_collection(datasets):
    rows = await run(
        datasets,
        [
            {"$match": {"pid": "d3"}},
            {"$project": {"pid": 1}},
            {
                "$unionWith": {
                    "coll": "OrigDatablock",
                    "pipeline": [
                        {"$match": {"ownerGroup": "g1"}},
                        {"$project": {"size": 1}},
                    ],
                }
            },
        ],
    )
    assert rows == [
        {"_id": "d3", "pid": "d3"},
        {"_id": "o1", "size": 1},
        {"_id": "o3", "size": 3},
    ]
    plain = await run(datasets, [{"$count": "n"}, {"$unionWith": "OrigDatablock"}])
    assert [r["n"] if "n" in r else r["_id"] for r in plain] == [3, "o1", "o2", "o3"]


async def test_unhandled_stages_go_to_mongomock(datasets):
    rows = await run(
        datasets,
        [
            {"$match": {"pid": "d3"}},
            {"$addFields": {"double": {"$multiply": ["$size", 2]}}},
            {"$project": {"double": 1}},
        ],
    )
    assert rows == [{"_id": "d3", "double": 8}]
    with pytest.raises(StoreQueryError):
        await run(datasets, [{"$bogus": {}}])


async def test_pipeline_time_limit(datasets):
    from common.errors import StoreUnavailableError

    many = [{"_id": f"x{n}", "pid": f"x{n}", "k": n % 7} for n in range(3000)]
    await datasets.insert_many(many)
    with pytest.raises(StoreUnavailableError):
        await datasets.aggregate(
            [{"$group": {"_id": "$k", "n": {"$sum": 1}}}], max_time_ms=1e-6
        )
