"""`$text` search over the wildcard text indexes (emulated on the embedded store)."""

from __future__ import annotations

import pytest

from common.errors import StoreQueryError


@pytest.fixture
async def datasets(store):
    collection = store.collection("Dataset")
    await collection.insert_many(
        [
            {
                "_id": "a",
                "pid": "a",
                "datasetName": "Lysozyme crystal",
                "description": "beamline",
            },
            {
                "_id": "b",
                "datasetName": "Powder",
                "scientificMetadata": {"sample": {"value": "lysozyme in buffer"}},
            },
            {
                "_id": "c",
                "pid": "c",
                "datasetName": "Protein crystal screening",
                "keywords": ["x"],
            },
            {
                "_id": "d",
                "pid": "d",
                "datasetName": "Calibration",
                "keywords": ["screening"],
            },
        ]
    )
    return collection


async def _ids(collection, filter):
    return sorted(d["_id"] for d in await collection.find(filter).to_list(None))


async def test_any_term_matches_case_insensitively_in_nested_strings(datasets):
    assert await _ids(datasets, {"$text": {"$search": "LYSOZYME"}}) == ["a", "b"]
    assert await _ids(datasets, {"$text": {"$search": "powder calibration"}}) == [
        "b",
        "d",
    ]


async def test_array_strings_are_searched(datasets):
    assert await _ids(datasets, {"$text": {"$search": "screening"}}) == ["c", "d"]


async def test_quoted_phrase_must_appear_as_written(datasets):
    found = await _ids(datasets, {"$text": {"$search": '"protein crystal"'}})
    assert found == ["c"]


async def test_negated_term_excludes(datasets):
    found = await _ids(datasets, {"$text": {"$search": "crystal -lysozyme"}})
    assert found == ["c"]


async def test_text_combines_with_other_conditions(datasets):
    found = await _ids(
        datasets, {"$text": {"$search": "crystal"}, "keywords": {"$exists": True}}
    )
    assert found == ["c"]
    assert await datasets.count_documents({"$text": {"$search": "crystal"}}) == 2


async def test_text_in_a_first_match_stage(datasets):
    cursor = await datasets.aggregate(
        [{"$match": {"$text": {"$search": "lysozyme"}}}, {"$count": "n"}]
    )
    assert await cursor.to_list(None) == [{"n": 2}]


async def test_text_without_a_text_index_is_a_query_error(store):
    users = store.collection("User")
    await users.insert_one({"username": "x"})
    with pytest.raises(StoreQueryError):
        await users.find({"$text": {"$search": "x"}}).to_list(None)


async def test_text_without_search_string_is_a_query_error(datasets):
    with pytest.raises(StoreQueryError):
        await datasets.find({"$text": {"$search": 5}}).to_list(None)
