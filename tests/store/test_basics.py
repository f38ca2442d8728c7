"""The store contract: CRUD and errors, on whichever store the suite runs."""

from __future__ import annotations

import datetime as dt

import pytest
from bson import ObjectId

from common.errors import DuplicateKeyError, StoreQueryError


async def test_inserted_document_is_found_by_id_with_utc_dates(store):
    created = dt.datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=dt.UTC)
    datasets = store.collection("Dataset")

    await datasets.insert_one({"_id": "p/1", "pid": "p/1", "createdAt": created})
    found = await datasets.find_one({"_id": "p/1"})

    assert found["pid"] == "p/1"
    assert found["createdAt"] == created.replace(microsecond=123000)
    assert found["createdAt"].tzinfo is not None


async def test_insert_without_id_gets_an_objectid_on_the_callers_document(store):
    users = store.collection("User")
    document = {"username": "ingestor", "email": "i@example.com"}

    result = await users.insert_one(document)

    assert isinstance(result.inserted_id, ObjectId)
    assert document["_id"] == result.inserted_id


async def test_returned_documents_are_copies(store):
    datasets = store.collection("Dataset")
    await datasets.insert_one({"_id": "p/2", "pid": "p/2", "keywords": ["a"]})

    first = await datasets.find_one({"_id": "p/2"})
    first["keywords"].append("mutated")

    assert (await datasets.find_one({"_id": "p/2"}))["keywords"] == ["a"]


async def test_duplicate_pid_raises_duplicate_key_with_the_key(store):
    datasets = store.collection("Dataset")
    await datasets.insert_one({"_id": "a", "pid": "same"})

    with pytest.raises(DuplicateKeyError) as caught:
        await datasets.insert_one({"_id": "b", "pid": "same"})

    assert caught.value.key == {"pid": "same"}
    assert await datasets.count_documents({}) == 1


async def test_unknown_operator_is_a_query_error(store):
    datasets = store.collection("Dataset")
    await datasets.insert_one({"_id": "a", "pid": "a"})

    with pytest.raises(StoreQueryError):
        await datasets.find({"pid": {"$bogus": 1}}).to_list(None)
