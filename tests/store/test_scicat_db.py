"""An existing SciCat database is served as it is: shapes, types and ids survive."""

from __future__ import annotations

import datetime as dt

import bcrypt
import bson
import pytest
from bson import ObjectId

from common.errors import DuplicateKeyError
from tests.fixtures.scicat_db import (
    CUSTOM_PID,
    DERIVED_PID,
    LEGACY_PASSWORD,
    LEGACY_USERNAME,
    RAW_PID,
    read_collections,
)


def _same_bson(left, right):
    """Equal field order, types (int vs double, ObjectId, date) and values."""
    return bson.encode(left) == bson.encode(right)


async def test_every_document_reads_back_exactly_as_stored(scicat_db):
    for name, documents in scicat_db.documents.items():
        stored = await scicat_db.store.collection(name).find({}).to_list(None)
        by_id = {str(d["_id"]): d for d in stored}
        assert len(stored) == len(documents), name
        for original in documents:
            assert _same_bson(by_id[str(original["_id"])], original), name


async def test_scicat_types_survive(scicat_db):
    datasets = scicat_db.store.collection("Dataset")
    raw = await datasets.find_one({"pid": RAW_PID})

    assert isinstance(raw["size"], float)  # JavaScript stored 5 GiB as a double
    assert raw["__v"] == 0
    assert isinstance(raw["datasetlifecycle"]["_id"], ObjectId)
    assert isinstance(raw["techniques"][0]["_id"], ObjectId)
    assert raw["creationTime"] == dt.datetime(2024, 3, 14, 9, 26, 53, 589000, dt.UTC)
    assert raw["scientificMetadata"]["temperature%2Emax"]["unitSI"] == "K"


async def test_encoded_metadata_keys_are_queryable_by_path(scicat_db):
    datasets = scicat_db.store.collection("Dataset")

    hot = await datasets.find(
        {"scientificMetadata.temperature%2Emax.value": {"$gte": 300}}
    ).to_list(None)
    small_cell = await datasets.find(
        {"scientificMetadata.cell.a.valueSI": {"$lt": 1e-9}}
    ).to_list(None)

    assert [d["pid"] for d in hot] == [RAW_PID]
    assert [d["pid"] for d in small_cell] == [DERIVED_PID]


async def test_a_patch_keeps_fields_this_project_never_writes(scicat_db):
    datasets = scicat_db.store.collection("Dataset")

    await datasets.update_one(
        {"pid": DERIVED_PID}, {"$set": {"description": "edited"}, "$inc": {"__v": 1}}
    )

    after = await datasets.find_one({"pid": DERIVED_PID})
    before = scicat_db.original("Dataset", DERIVED_PID)
    assert after["description"] == "edited" and after["__v"] == 3
    for key in ("history", "legacyLoopbackField", "datasetlifecycle", "relationships"):
        assert _same_bson({key: after[key]}, {key: before[key]})


async def test_file_lists_and_archive_units_are_found_by_dataset(scicat_db):
    blocks = scicat_db.store.collection("OrigDatablock")
    archives = scicat_db.store.collection("Datablock")

    files = await blocks.find({"datasetId": RAW_PID}, sort=[("createdAt", 1)]).to_list(
        None
    )
    assert [len(f["dataFileList"]) for f in files] == [2, 1]
    assert all(isinstance(f["_id"], ObjectId) for b in files for f in b["dataFileList"])

    archived = await archives.find_one({"datasetId": CUSTOM_PID})
    with pytest.raises(DuplicateKeyError):
        await archives.insert_one(
            {"datasetId": CUSTOM_PID, "archiveId": archived["archiveId"]}
        )


async def test_users_and_identities_link_by_objectid(scicat_db):
    users = scicat_db.store.collection("User")
    identities = scicat_db.store.collection("UserIdentity")

    user = await users.find_one({"username": LEGACY_USERNAME})
    identity = await identities.find_one({"userId": user["_id"]})

    assert identity["profile"]["accessGroups"] == ["group1", "group3"]
    assert bcrypt.checkpw(LEGACY_PASSWORD.encode(), user["password"].encode())


async def test_the_loaded_database_survives_a_reopen(store_factory):
    from tests.fixtures.scicat_db import load_scicat_db

    store = await store_factory()
    await load_scicat_db(store)
    await store.close()

    reopened = await store_factory()
    for name, documents in read_collections().items():
        stored = await reopened.collection(name).find({}).to_list(None)
        assert sorted(bson.encode(d) for d in stored) == sorted(
            bson.encode(d) for d in documents
        ), name
