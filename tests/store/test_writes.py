"""Updates, replaces, deletes and the find_one_and_* forms."""

from __future__ import annotations

import datetime as dt

import pytest
from pymongo import ReturnDocument

from common.errors import DuplicateKeyError, StoreQueryError


@pytest.fixture
async def samples(store):
    collection = store.collection("Sample")
    await collection.insert_many(
        [
            {"_id": "s1", "sampleId": "s1", "ownerGroup": "g", "n": 1, "tags": ["a"]},
            {"_id": "s2", "sampleId": "s2", "ownerGroup": "g", "n": 2, "tags": []},
            {"_id": "s3", "sampleId": "s3", "ownerGroup": "h", "n": 3},
        ]
    )
    return collection


async def test_update_one_applies_operators_and_reports_counts(samples):
    when = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)

    result = await samples.update_one(
        {"sampleId": "s1"},
        {"$set": {"updatedAt": when}, "$inc": {"n": 10}, "$push": {"tags": "b"}},
    )

    assert (result.matched_count, result.modified_count) == (1, 1)
    stored = await samples.find_one({"_id": "s1"})
    assert stored["n"] == 11 and stored["tags"] == ["a", "b"]
    assert stored["updatedAt"] == when


async def test_update_that_changes_nothing_is_matched_not_modified(samples):
    result = await samples.update_one({"_id": "s1"}, {"$set": {"n": 1}})
    assert (result.matched_count, result.modified_count) == (1, 0)


async def test_update_many_touches_every_match(samples):
    result = await samples.update_many({"ownerGroup": "g"}, {"$unset": {"tags": ""}})

    assert result.modified_count == 2
    assert await samples.count_documents({"tags": {"$exists": True}}) == 0


async def test_upsert_inserts_from_the_filter_and_the_update(samples):
    result = await samples.update_one(
        {"sampleId": "s9"}, {"$set": {"ownerGroup": "new"}}, upsert=True
    )

    assert result.upserted_id is not None
    stored = await samples.find_one({"sampleId": "s9"})
    assert stored["ownerGroup"] == "new" and stored["_id"] == result.upserted_id


async def test_positional_operator_updates_the_matched_element(store):
    blocks = store.collection("OrigDatablock")
    await blocks.insert_one(
        {"_id": "o1", "dataFileList": [{"path": "a", "size": 1}, {"path": "b"}]}
    )

    await blocks.update_one(
        {"_id": "o1", "dataFileList.path": "b"}, {"$set": {"dataFileList.$.size": 7}}
    )

    stored = await blocks.find_one({"_id": "o1"})
    assert stored["dataFileList"][1] == {"path": "b", "size": 7}


async def test_update_into_a_taken_unique_key_is_refused_and_leaves_the_document(
    samples,
):
    with pytest.raises(DuplicateKeyError) as caught:
        await samples.update_one({"_id": "s2"}, {"$set": {"sampleId": "s1"}})

    assert caught.value.key == {"sampleId": "s1"}
    assert (await samples.find_one({"_id": "s2"}))["sampleId"] == "s2"
    assert await samples.count_documents({"sampleId": "s2"}) == 1


async def test_changing_the_id_is_refused(samples):
    with pytest.raises(StoreQueryError):
        await samples.update_one({"_id": "s1"}, {"$set": {"_id": "other"}})


async def test_update_without_operators_is_refused(samples):
    with pytest.raises(StoreQueryError):
        await samples.update_one({"_id": "s1"}, {"n": 5})


async def test_find_one_and_update_returns_before_or_after(samples):
    before = await samples.find_one_and_update({"_id": "s3"}, {"$inc": {"n": 1}})
    after = await samples.find_one_and_update(
        {"_id": "s3"}, {"$inc": {"n": 1}}, return_document=ReturnDocument.AFTER
    )

    assert before["n"] == 3
    assert after["n"] == 5


async def test_find_one_and_update_with_sort_picks_the_first_in_order(samples):
    chosen = await samples.find_one_and_update(
        {"ownerGroup": "g"},
        {"$set": {"picked": True}},
        sort=[("n", -1)],
        return_document=ReturnDocument.AFTER,
    )
    assert chosen["_id"] == "s2" and chosen["picked"] is True


async def test_find_one_and_update_on_no_match_returns_none(samples):
    assert (
        await samples.find_one_and_update({"_id": "nope"}, {"$set": {"x": 1}}) is None
    )


async def test_replace_keeps_the_id_and_drops_missing_fields(samples):
    result = await samples.replace_one({"_id": "s1"}, {"sampleId": "s1", "n": 100})

    assert result.modified_count == 1
    assert await samples.find_one({"_id": "s1"}) == {
        "_id": "s1",
        "sampleId": "s1",
        "n": 100,
    }


async def test_find_one_and_replace_returns_the_new_document(samples):
    after = await samples.find_one_and_replace(
        {"_id": "s2"},
        {"sampleId": "s2", "ownerGroup": "z"},
        return_document=ReturnDocument.AFTER,
    )
    assert after == {"_id": "s2", "sampleId": "s2", "ownerGroup": "z"}


async def test_replace_with_upsert_inserts(samples):
    result = await samples.replace_one(
        {"_id": "s7"}, {"sampleId": "s7", "n": 7}, upsert=True
    )
    assert result.upserted_id == "s7"
    assert (await samples.find_one({"sampleId": "s7"}))["_id"] == "s7"


async def test_delete_one_and_many(samples):
    one = await samples.delete_one({"ownerGroup": "g"})
    many = await samples.delete_many({})

    assert one.deleted_count == 1
    assert many.deleted_count == 2
    assert await samples.count_documents({}) == 0


async def test_find_one_and_delete_returns_the_removed_document(samples):
    removed = await samples.find_one_and_delete({"_id": "s3"}, projection={"n": 1})

    assert removed == {"_id": "s3", "n": 3}
    assert await samples.find_one({"_id": "s3"}) is None


async def test_a_deleted_unique_key_can_be_reused(samples):
    await samples.delete_one({"sampleId": "s1"})
    await samples.insert_one({"_id": "s1-again", "sampleId": "s1"})
    assert (await samples.find_one({"sampleId": "s1"}))["_id"] == "s1-again"


async def test_insert_many_ordered_stops_at_the_first_duplicate(samples):
    with pytest.raises(DuplicateKeyError):
        await samples.insert_many(
            [
                {"_id": "n1", "sampleId": "n1"},
                {"_id": "n2", "sampleId": "s1"},
                {"_id": "n3", "sampleId": "n3"},
            ]
        )

    assert await samples.find_one({"_id": "n1"}) is not None
    assert await samples.find_one({"_id": "n3"}) is None


async def test_duplicate_id_is_a_duplicate_key_error(samples):
    with pytest.raises(DuplicateKeyError):
        await samples.insert_one({"_id": "s1", "sampleId": "fresh"})


async def test_a_document_bson_cannot_hold_is_a_query_error(store):
    with pytest.raises(StoreQueryError):
        await store.collection("Policy").insert_one({"_id": "x", "bad": object()})


@pytest.mark.parametrize(
    "document",
    [
        {"_id": "x", "ok": 1, "$set": 2},
        {"$id": "x"},
        {"_id": "x", "ok": 1, 5: "number key"},
    ],
)
async def test_dollar_or_non_string_keys_anywhere_are_refused(store, document):
    with pytest.raises(StoreQueryError):
        await store.collection("Policy").insert_one(document)
    assert await store.collection("Policy").count_documents({}) == 0


def test_a_key_merely_containing_nul_dollar_is_no_operator():
    from common.store.embedded.documents import check_document

    check_document({"_id": "x", "a\x00$b": 1, "c$": 2})
    with pytest.raises(StoreQueryError, match=r"must not start with '\$': \$b"):
        check_document({"_id": "x", "a\x00$b": 1, "$b": 2})
