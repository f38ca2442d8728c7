"""The filter operators SciCat's filters produce, on whichever store the suite runs."""

from __future__ import annotations

import datetime as dt

import pytest

from common.errors import StoreQueryError

UTC = dt.UTC


def _datasets():
    return [
        {
            "_id": "pid/1",
            "pid": "pid/1",
            "type": "raw",
            "ownerGroup": "p100",
            "accessGroups": ["grpA", "grpB"],
            "isPublished": False,
            "size": 100,
            "creationTime": dt.datetime(2024, 1, 1, tzinfo=UTC),
            "keywords": ["xray", "powder"],
            "datasetName": "Powder run 1",
            "scientificMetadata": {
                "temperature": {"value": 300, "unit": "K"},
                "sample%2Ename": {"value": "Fe2O3", "unit": ""},
            },
            "techniques": [{"pid": "t1", "name": "XRD"}],
        },
        {
            "_id": "pid/2",
            "pid": "pid/2",
            "type": "derived",
            "ownerGroup": "p100",
            "accessGroups": ["grpC"],
            "isPublished": True,
            "size": 250,
            "creationTime": dt.datetime(2024, 2, 1, tzinfo=UTC),
            "keywords": ["neutron"],
            "datasetName": "Derived from scan 1",
            "scientificMetadata": {"temperature": {"value": 4.2, "unit": "K"}},
            "techniques": [{"pid": "t2", "name": "SANS"}, {"pid": "t1", "name": "XRD"}],
        },
        {
            "_id": "pid/3",
            "pid": "pid/3",
            "type": "raw",
            "ownerGroup": "p200",
            "accessGroups": [],
            "isPublished": False,
            "size": 0,
            "creationTime": dt.datetime(2024, 3, 1, tzinfo=UTC),
            "datasetName": "Empty run",
            "scientificMetadata": {},
            "techniques": [],
        },
    ]


@pytest.fixture
async def datasets(store):
    collection = store.collection("Dataset")
    await collection.insert_many(_datasets())
    return collection


async def _pids(collection, filter):
    found = await collection.find(filter, sort=[("pid", 1)]).to_list(None)
    return [d["pid"] for d in found]


CASES = [
    ({"pid": "pid/1"}, ["pid/1"]),
    ({"ownerGroup": {"$in": ["p200", "nobody"]}}, ["pid/3"]),
    ({"ownerGroup": {"$nin": ["p200"]}}, ["pid/1", "pid/2"]),
    ({"accessGroups": "grpB"}, ["pid/1"]),
    ({"accessGroups": {"$in": ["grpB", "grpC"]}}, ["pid/1", "pid/2"]),
    ({"$and": [{"type": "raw"}, {"ownerGroup": "p100"}]}, ["pid/1"]),
    ({"$or": [{"type": "derived"}, {"size": 0}]}, ["pid/2", "pid/3"]),
    ({"$nor": [{"type": "derived"}, {"size": 0}]}, ["pid/1"]),
    ({"size": {"$gt": 100}}, ["pid/2"]),
    ({"size": {"$gte": 100}}, ["pid/1", "pid/2"]),
    ({"size": {"$lt": 100}}, ["pid/3"]),
    ({"size": {"$lte": 100}}, ["pid/1", "pid/3"]),
    ({"size": {"$ne": 100}}, ["pid/2", "pid/3"]),
    ({"size": {"$eq": 250}}, ["pid/2"]),
    ({"keywords": {"$exists": False}}, ["pid/3"]),
    ({"keywords": {"$exists": True}}, ["pid/1", "pid/2"]),
    ({"datasetName": {"$regex": "^powder", "$options": "i"}}, ["pid/1"]),
    ({"datasetName": {"$regex": "run"}}, ["pid/1", "pid/3"]),
    ({"datasetName": {"$not": {"$regex": "run"}}}, ["pid/2"]),
    ({"size": {"$not": {"$gt": 100}}}, ["pid/1", "pid/3"]),
    ({"techniques": {"$elemMatch": {"name": "XRD", "pid": "t1"}}}, ["pid/1", "pid/2"]),
    ({"techniques.name": "SANS"}, ["pid/2"]),
    ({"scientificMetadata.temperature.value": {"$lt": 10}}, ["pid/2"]),
    ({"scientificMetadata.sample%2Ename.value": "Fe2O3"}, ["pid/1"]),
    ({"scientificMetadata.temperature.unit": "K", "isPublished": True}, ["pid/2"]),
    (
        {"creationTime": {"$gte": dt.datetime(2024, 1, 15, tzinfo=UTC)}},
        ["pid/2", "pid/3"],
    ),
    ({"accessGroups": {"$size": 0}}, ["pid/3"]),
    ({"keywords": {"$all": ["xray", "powder"]}}, ["pid/1"]),
]


@pytest.mark.parametrize(("filter", "expected"), CASES, ids=[str(c[0]) for c in CASES])
async def test_filter_operators_select_the_expected_datasets(
    datasets, filter, expected
):
    assert await _pids(datasets, filter) == expected


async def test_count_documents_counts_the_same_as_find(datasets):
    assert await datasets.count_documents({"ownerGroup": "p100"}) == 2
    assert await datasets.count_documents({"accessGroups": "grpC"}) == 1
    assert await datasets.count_documents({}) == 3
    assert await datasets.count_documents({"ownerGroup": "p100"}, skip=1) == 1
    assert await datasets.count_documents({}, limit=2) == 2


async def test_sort_skip_limit_page_through_results(datasets):
    cursor = datasets.find({}).sort("size", -1).skip(1).limit(1)
    assert [d["pid"] for d in await cursor.to_list(None)] == ["pid/1"]

    by_two_keys = await datasets.find(
        {}, sort=[("ownerGroup", 1), ("creationTime", -1)]
    ).to_list(None)
    assert [d["pid"] for d in by_two_keys] == ["pid/2", "pid/1", "pid/3"]


async def test_async_iteration_yields_every_match(datasets):
    seen = [d["pid"] async for d in datasets.find({"type": "raw"}, sort={"pid": 1})]
    assert seen == ["pid/1", "pid/3"]


async def test_projection_includes_or_excludes_fields(datasets):
    included = await datasets.find_one({"pid": "pid/1"}, {"pid": 1, "size": 1})
    excluded = await datasets.find_one({"pid": "pid/1"}, {"scientificMetadata": 0})

    assert included == {"_id": "pid/1", "pid": "pid/1", "size": 100}
    assert "scientificMetadata" not in excluded and excluded["size"] == 100


async def test_distinct_lists_each_value_once(datasets):
    assert sorted(await datasets.distinct("ownerGroup")) == ["p100", "p200"]
    assert sorted(await datasets.distinct("accessGroups", {"type": "raw"})) == [
        "grpA",
        "grpB",
    ]


@pytest.mark.parametrize(
    "filter",
    [
        {"pid": {"$bogus": 1}},
        {"datasetName": {"$regex": "(unclosed"}},
        {"$where": "this.size > 1"},
        {"size": {"$in": 5}},
    ],
    ids=["unknown operator", "bad regex", "$where", "$in not a list"],
)
async def test_a_malformed_filter_is_a_query_error(datasets, filter):
    with pytest.raises(StoreQueryError):
        await datasets.find(filter).to_list(None)


async def test_bad_regex_is_refused_even_on_an_empty_collection(store):
    with pytest.raises(StoreQueryError):
        await store.collection("Sample").find({"x": {"$regex": "["}}).to_list(None)


@pytest.mark.parametrize(
    ("projection", "expected"),
    [
        ({"size": 1, "pid": 1}, ["_id", "pid", "size"]),
        ({"size": 1, "_id": 0}, ["size"]),
        (["type", "size"], ["_id", "type", "size"]),
        ({"scientificMetadata": 0, "techniques": 0, "keywords": 0}, None),
        ({"_id": 0, "scientificMetadata.temperature.value": 1}, ["scientificMetadata"]),
    ],
)
async def test_projections_select_fields_in_document_order(
    datasets, projection, expected
):
    found = await datasets.find_one({"pid": "pid/1"}, projection)
    if expected is None:
        assert not {"scientificMetadata", "techniques", "keywords"} & set(found)
        assert found["pid"] == "pid/1"
    else:
        assert list(found) == expected
    if "scientificMetadata.temperature.value" in projection:
        assert found == {"scientificMetadata": {"temperature": {"value": 300}}}
